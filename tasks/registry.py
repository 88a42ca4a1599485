"""Named task suites, and task selection (``--limit``)."""

from __future__ import annotations

from collections.abc import Callable
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
    *, path: Path | None = None, suite: str | None = None, limit: int | None = None
) -> list[Task]:
    """Tasks from a file or a named suite (exactly one), optionally the first ``limit``."""
    if (path is None) == (suite is None):
        raise ConfigError("give either a tasks file or --suite, not both and not neither")
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {limit}")
    tasks = load_tasks(path) if path is not None else load_suite(suite or "")
    return tasks[:limit] if limit is not None else tasks
