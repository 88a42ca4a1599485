"""Best-of-N orchestration, in layers that import downward only: leaves (``config``,
``models``, ``passk``), ``backends`` (the engines), ``storage`` (records and the JSONL
store), ``terminal`` (what a person sees of a run), ``policy`` (how much a task gets),
``core`` (``solve``/``verify`` and the loop), ``experiments`` (``scale``,
``generate``), and ``cli`` on top."""
