"""A warm mypy that checks each batch of new modules against the build it already holds.

``mypy.api.run`` starts from its on-disk cache every time: about 75 ms a run on this
machine before it reads a line of a candidate (loading typeshed's builtins, typing,
...), and the mypy stage runs once per task. mypy's daemon keeps the build in memory
and re-checks only what changed (fine-grained incremental mode): a batch of one or
two new modules takes 8-20 ms. Here it runs in-process, with no daemon socket, in the
mypy stage's guarded worker (``verifiers.guarded``), so a crash still costs only the
worker.

Its verdicts must be a classic run's. Fine-grained mode reports only the blocking
error when one module has one (a relative import with no package, say) and checks
nothing else, where a classic run exits with status 2: such a batch returns None and
the caller checks it classically, as it does after any exception inside mypy. The
build is started afresh after an exception and every ``RESTART_EVERY`` batches. Both
read imports the same way (``--follow-imports=skip``: what is not in typeshed is Any).
Without the machine's stub cache (``verifiers.mypy_warm_cache``), the first
``CLASSIC_FIRST`` batches go to classic runs: making the build from source costs more
than a short-lived checker would save. From that cache it costs about 20 ms, and the
checker takes every batch from the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

CLASSIC_FIRST = 16
"""Batches left to classic runs before the build is made: it costs about 1.5 s (typeshed
read from source), as much as 16 classic runs' start from the disk cache, so a short-
lived checker (one task, a test) never pays for it."""
RESTART_EVERY = 500
"""Batches one build checks before it is started afresh (its memory grows slowly: about
15 MiB over 400 batches)."""


class IncrementalMypy:
    """Checks batches of module files; ``check`` returns mypy's output lines, or None
    when the batch must be checked classically instead."""

    def __init__(self, flags: Sequence[str], status_file: Path, classic_first: int = CLASSIC_FIRST) -> None:
        self._flags = list(flags)  # fine-grained mode needs follow-imports skip, error or normal
        self._status_file = status_file
        self._server: Any = None
        self._options: Any = None
        self._batches = 0
        self._classic_left = classic_first

    def check(self, paths: Sequence[str]) -> str | None:
        from mypy.find_sources import create_source_list

        if self._classic_left > 0:
            self._classic_left -= 1
            return None

        try:
            server = self._started()
            result = server.check(create_source_list(list(paths), self._options), export_types=False,
                                  is_tty=False, terminal_width=80)
            manager = server.fine_grained_manager
            blocked = manager is None or manager.blocking_error is not None
        except (Exception, SystemExit):  # noqa: BLE001 - a mypy failure here is retried classically
            self.reset()
            return None
        self._batches += 1
        failed = result.get("status") == 2 or bool(result.get("err"))
        # A blocked batch is kept: the next batch's update drops the module that blocked
        # (its file is gone), and rebuilding cost 1-1.8 s a time, so a candidate with a
        # relative import in every batch made the warm build slower than classic runs (red team).
        if failed or self._batches >= RESTART_EVERY:
            self.reset()
        if blocked or failed:
            return None
        out = result.get("out", "")
        return out if isinstance(out, str) else None

    def reset(self) -> None:
        self._server = self._options = None
        self._batches = 0

    def _started(self) -> Any:
        if self._server is None:
            from mypy.dmypy_server import Server, process_start_options

            self._options = process_start_options(self._flags, allow_sources=False)
            self._server = Server(self._options, str(self._status_file))
        return self._server
