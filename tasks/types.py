"""The Task record: one programming problem in HumanEval's shape."""

from __future__ import annotations

import hashlib
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
    test_origin: str = "given"
    """Where ``test`` comes from: ``given`` (the task's own), ``examples`` (built from the
    prompt's examples: the task came without tests) or ``none`` (no tests, no examples)."""

    def digest(self) -> str:
        """A hash of everything that defines the task. Caches key on it, so a task id
        reused with other text never hits an old entry."""
        text = "\0".join((self.task_id, self.prompt, self.entry_point, self.test,
                           self.canonical_solution or ""))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
