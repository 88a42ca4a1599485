"""What a person sees of a run: the progress bar and the experiments' live tallies on
stderr (``progress``, ``tally``), the run summary and its lines (``summary``), and the
self-contained HTML page of a run directory (``report``). These read results; none of
them samples, verifies or decides anything."""
