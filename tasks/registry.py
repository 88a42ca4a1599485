"""Named task suites, and task selection (``--skip``, ``--limit``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from tasks.errors import ConfigError, UnknownNameError
from tasks.humaneval import load_humaneval
from tasks.schema import load_tasks
from tasks.types import Task

SUITES: dict[str, Callable[[], list[Task]]] = {"humaneval": load_humaneval}


def load_suite(name: str) -> list[Task]:
    try:
        loader = SUITES[name]
    except KeyError:
        raise UnknownNameError(f"unknown suite {name!r} (known: {', '.join(sorted(SUITES))})") from None
    return loader()


def select_tasks(
    source: Sequence[Task] | str | Path | None = None, *, suite: str | None = None,
    limit: int | None = None, skip: int = 0,
) -> list[Task]:
    """Tasks from a list, a file or a named suite (exactly one of the latter two when no
    list is given): the first ``limit`` after skipping ``skip`` (a held-out slice of a
    suite: ``skip=40, limit=40`` is HumanEval/40-79)."""
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {limit}")
    if skip < 0:
        raise ConfigError(f"--skip must be >= 0, got {skip}")
    if source is not None and not isinstance(source, (str, Path)):
        tasks = list(source)
    else:
        file = Path(source) if source is not None else None
        if (file is None) == (suite is None):
            raise ConfigError("give either a tasks file or --suite, not both and not neither")
        tasks = load_tasks(file) if file is not None else load_suite(suite or "")
    if skip and skip >= len(tasks):
        # Nothing to run is never what was meant: a slice past the end is a typo.
        raise ConfigError(f"--skip {skip} leaves no task: there are {len(tasks)}")
    tasks = tasks[skip:]
    return tasks[:limit] if limit is not None else tasks
