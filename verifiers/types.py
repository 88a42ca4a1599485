"""Records and the Verifier protocol shared by every check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from tasks.types import Task


class Status(StrEnum):
    """How a verification ended. Only ``PASSED`` counts as a pass.

    ``ERROR`` is an infrastructure fault (sandbox, worker) and is never the
    candidate's fault; a wrong candidate is ``FAILED``, ``TIMEOUT`` or ``MEMORY``.
    """

    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    ERROR = "error"


@dataclass(frozen=True)
class Candidate:
    """A self-contained program proposed as a solution to one task."""

    task_id: str
    candidate_id: str
    source: str


@dataclass(frozen=True)
class Verdict:
    task_id: str
    candidate_id: str
    verifier: str
    status: Status
    detail: str = ""
    """Truncated, for humans."""
    seconds: float = 0.0
    stages: tuple[tuple[str, float], ...] = ()
    """Seconds spent in each check that ran on this candidate, in order (pipeline verdicts)."""

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED


DETAIL_LIMIT = 500


NOT_APPLICABLE = "not applicable:"
"""How a stage's passing verdict says it could not judge the task (the property check
without a usable reference): the pipeline's verdict then lists it as not applicable."""


def truncate(text: str, limit: int = DETAIL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Verifier(Protocol):
    """A check over a batch of candidates for one task.

    Batch-shaped so implementations can share a mypy run or a sandbox pool.
    Returns one verdict per candidate, in order.
    """

    name: str

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]: ...
