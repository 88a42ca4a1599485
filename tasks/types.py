"""The Task record: one programming problem in HumanEval's shape."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    """A function to write, and the tests that judge it.

    ``test`` defines ``check(candidate)``; ``prompt`` holds the signature and
    docstring of ``entry_point`` plus whatever imports and helpers it needs.
    """

    task_id: str
    prompt: str
    entry_point: str
    test: str
    canonical_solution: str | None = None
