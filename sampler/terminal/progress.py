"""Progress reporting on stderr, behind a small protocol so the loop stays testable."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.progress import TaskID


class Progress(Protocol):
    def start(self, total: int, already_done: int) -> None: ...
    def advance(self, tasks: int, solved: int) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    def start(self, total: int, already_done: int) -> None:
        pass

    def advance(self, tasks: int, solved: int) -> None:
        pass

    def close(self) -> None:
        pass


class RichProgress:
    """A progress bar on stderr: tasks done of total, solved so far, elapsed and ETA."""

    def __init__(self, label: str = "solving") -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as _Bar, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self._bar = _Bar(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("solved {task.fields[solved]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=Console(file=sys.stderr), transient=False,
        )
        self._label = label
        self._task_id: TaskID | None = None
        self._solved = 0

    def start(self, total: int, already_done: int) -> None:
        self._bar.start()
        self._task_id = self._bar.add_task(self._label, total=total, completed=already_done, solved=0)

    def advance(self, tasks: int, solved: int) -> None:
        if self._task_id is None:
            return
        self._solved += solved
        self._bar.update(self._task_id, advance=tasks, solved=self._solved)

    def note(self, text: str) -> None:
        """A line of its own, for work before the bar starts (the model writing tests)."""
        self._bar.console.print(text, highlight=False)

    def close(self) -> None:
        self._bar.stop()
