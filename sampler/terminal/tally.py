"""Live tallies for experiments (scale, generate): tasks done, samples verified,
verified passes, dataset rows; and the summary table at the end. All on stderr.

Samples and passes are counted by wrapping the verifier (every drawn sample is
verified, so samples verified = samples drawn), which leaves the loop untouched.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from sampler.terminal.progress import NullProgress
from tasks.types import Task
from verifiers.types import Candidate, Verdict, Verifier

if TYPE_CHECKING:
    from rich.progress import TaskID


class Live(Protocol):
    """``sampler.terminal.progress.Progress`` plus sample and row counts."""

    def start(self, total: int, already_done: int) -> None: ...
    def advance(self, tasks: int, solved: int) -> None: ...
    def close(self) -> None: ...
    def verified(self, samples: int, passes: int) -> None: ...
    def rows(self, total: int) -> None: ...


class NullLive(NullProgress):
    def verified(self, samples: int, passes: int) -> None:
        pass

    def rows(self, total: int) -> None:
        pass


class RichLive:
    """One bar per run: tasks done of total, samples verified, passes, rows, time."""

    def __init__(self, label: str, show_rows: bool = False) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as _Bar, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("solved {task.fields[solved]}"),
                   TextColumn("samples {task.fields[samples]}"),
                   TextColumn("passes {task.fields[passes]}")]
        if show_rows:
            columns.append(TextColumn("rows {task.fields[rows]}"))
        self._bar = _Bar(*columns, TimeElapsedColumn(), TimeRemainingColumn(),
                         console=Console(file=sys.stderr), transient=False)
        self._label = label
        self._task_id: TaskID | None = None
        self._solved = self._samples = self._passes = self._rows = 0

    def start(self, total: int, already_done: int) -> None:
        self._bar.start()
        self._task_id = self._bar.add_task(self._label, total=total, completed=already_done,
                                           solved=0, samples=0, passes=0, rows=0)

    def _update(self, advance: int = 0) -> None:
        if self._task_id is not None:
            self._bar.update(self._task_id, advance=advance, solved=self._solved,
                             samples=self._samples, passes=self._passes, rows=self._rows)

    def advance(self, tasks: int, solved: int) -> None:
        self._solved += solved
        self._update(tasks)

    def verified(self, samples: int, passes: int) -> None:
        self._samples += samples
        self._passes += passes
        self._update()

    def rows(self, total: int) -> None:
        self._rows = total
        self._update()

    def close(self) -> None:
        self._bar.stop()


class CountingVerifier:
    """Forwards to ``inner`` and reports each batch's size and passes to ``on_batch``."""

    def __init__(self, inner: Verifier, on_batch: Callable[[int, int], None]) -> None:
        self.inner = inner
        self.name = inner.name
        self.on_batch = on_batch

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        verdicts = self.inner.verify(task, candidates)
        self.on_batch(len(verdicts), sum(v.passed for v in verdicts))
        return verdicts


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for index, name in enumerate(header):
        table.add_column(name, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console(file=sys.stderr, width=None if sys.stderr.isatty() else 160).print(table)
