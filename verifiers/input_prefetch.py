"""Drawing the property check's inputs ahead of the run, in a process of their own.

Drawing a task's inputs is hypothesis' engine in our process, about 0.15 s a task and
half of a default ``verify``'s time over HumanEval (25 s of 49), while our other
work is mostly waiting on the sandbox: the cores are busy less than half the run.
When every task is known up front (``verify``), a worker process draws them in
task order into the disk cache (``verifiers.input_generation``), where the property
check finds them; a task it has not reached yet is drawn by the check itself, as
before. It runs at the lowest priority, so it takes only time the sandbox and the
checks leave idle, and it is killed when the check closes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from tasks.types import Task
from verifiers.worker_process import WorkerProcess, plain_task

LEAST_TASKS = 8
"""Fewer tasks than this are drawn in place: starting the process (imports) costs about
as much as drawing a few tasks."""


def _draw_all(tasks: Sequence[Task], draw: Callable[[Task], object]) -> None:
    # Last task first: the check meets the tasks first to last and draws a task this
    # process has not reached itself. Both starting at the first, they drew the same
    # tasks twice (the first sight of HumanEval's 328 candidates: 41 s; 28 s so).
    os.nice(19)
    for task in reversed(tasks):
        draw(task)


class InputPrefetcher:
    """One background drawing process at a time; ``close`` kills it."""

    def __init__(self) -> None:
        self._process: WorkerProcess | None = None

    def start(self, tasks: Sequence[Task], draw: Callable[[Task], object]) -> bool:
        """Starts ``draw(task)`` for each of ``tasks`` (stopping an earlier drawing); False if
        too few to bother. ``draw`` must be picklable (a module-level function, or a
        ``functools.partial`` of one): it is sent to a fresh interpreter
        (``verifiers.worker_process``)."""
        self.close()
        if len(tasks) < LEAST_TASKS:
            return False
        self._process = WorkerProcess(_draw_all, ([plain_task(t) for t in tasks], draw))
        return True

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.close()
