"""What the best-of-N loop's parts share: the state ``sampler.core.loop.BestOfN`` keeps
and the steps it defines, declared once for the type checker. ``BestOfN`` inherits the
mixins ``Admission``, ``Reading`` and ``SpareTime``; each reads that state and calls
steps another part defines. Declared in their common base, a step's stub comes after
every definition of it in ``BestOfN``'s method order, whatever order the mixins are
listed in (a stub in one mixin used to hide another's definition)."""

from __future__ import annotations

from collections import deque

from sampler.backends.base import GenerationRequest, StreamingBackend
from sampler.config import SolveConfig
from sampler.core.task_run import Pending, TaskRun
from sampler.storage.records import SampleRecord, Tier
from sampler.storage.store import RunStore
from tasks.types import Task
from verifiers import agreement
from verifiers.outputs import Behaviour, Collector
from verifiers.types import Verdict


class LoopState:
    """The loop's state and steps, for its mixins (``BestOfN`` sets and defines them)."""

    config: SolveConfig
    cheap: StreamingBackend
    strong: StreamingBackend | None
    outputs: Collector | None
    store: RunStore
    deadline: float | None
    """``time.monotonic()`` at the time limit; ``None``: no limit."""
    _runs: dict[str, TaskRun]
    _pending: deque[Task]
    _queued: dict[str, TaskRun]
    _parked: dict[str, TaskRun]
    _escalating: dict[str, TaskRun]
    _spare: dict[str, TaskRun]
    """Escalated tasks the budget stopped unsolved, waiting for the strong tier's spare time."""
    _stopped: list[str]
    """Tasks left undecided at the time limit."""
    _last_strong_seconds: float | None
    """How long the last strong request of this call took, whichever task's."""

    def _begin(self, task: Task) -> None:
        """Start a task and make its first decision (``BestOfN``)."""
        raise NotImplementedError

    def _escalate(self, run: TaskRun) -> None:
        """Send a task's next strong request (``BestOfN``)."""
        raise NotImplementedError

    def _defer_escalation(self, run: TaskRun) -> bool:
        """(``Admission``)"""
        raise NotImplementedError

    def _admit_spare(self) -> None:
        """Give a task waiting for spare time a batch slot (``SpareTime``)."""
        raise NotImplementedError

    def _pick(self, run: TaskRun, samples: list[SampleRecord]
              ) -> tuple[SampleRecord | None, agreement.Pick | None, dict[int, SampleRecord]]:
        """The task's pick, its pick by agreement and its readers' answers (``BestOfN``)."""
        raise NotImplementedError

    def _finish(self, run: TaskRun) -> None:
        """Pick and write the task's result (``BestOfN``)."""
        raise NotImplementedError

    def _by_agreement(self, run: TaskRun) -> bool:
        raise NotImplementedError

    def _stops_at_pass(self, run: TaskRun) -> bool:
        raise NotImplementedError

    def _abort_all(self, after_pass: bool = True) -> None:
        raise NotImplementedError

    def _record(self, run: TaskRun, items: list[Pending], verdicts: list[Verdict],
                behaviours: list[Behaviour]) -> None:
        raise NotImplementedError

    def _submit(self, run: TaskRun, engine: StreamingBackend, requests: list[GenerationRequest],
                tier: Tier) -> None:
        raise NotImplementedError
