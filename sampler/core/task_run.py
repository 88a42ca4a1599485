"""One task while the loop works on it (``TaskRun``), and the records it becomes.

A run holds the task's requests in the engines, its verified samples, its token counts
per tier and its escalation rounds; only the loop's driver thread touches it (the
verifying threads see candidates, never the run). A finished sample on its way through
verification is a ``Pending`` until its verdict makes it a ``SampleRecord``; once the
loop has picked, the run becomes the task's ``TaskResult``. Sample and request ids are
made here, so that an id says which tier drew a sample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property

from sampler.backends.base import GenerationRequest
from sampler.config import TierPrice
from sampler.core.selection import agreement_fields
from sampler.policy.prior import prompt_length_covariate
from sampler.storage.records import AGREEMENT, CHEAP, SELECTION, STRONG, SampleRecord, TaskResult, Tier
from tasks.model_tests import ModelTest
from tasks.types import Task
from verifiers import agreement
from verifiers.outputs import Behaviour
from verifiers.types import Candidate, Verdict


def candidate_id(index: int, tier: Tier = CHEAP) -> str:
    return f"s{index}" if tier == CHEAP else f"x{index}"


def request_prefix(task_id: str, tier: Tier) -> str:
    return f"{task_id}|{tier}|"


@dataclass(frozen=True)
class Pending:
    """A finished sample on its way through verification."""

    candidate: Candidate
    tier: Tier
    index: int
    tokens: int
    prompt_tokens: int
    finish_reason: str

    def record(self, verdict: Verdict, model: str) -> SampleRecord:
        """This sample's line in ``samples.jsonl``, now that it has its verdict."""
        return SampleRecord(
            task_id=self.candidate.task_id, sample_index=self.index,
            candidate_id=self.candidate.candidate_id, model=model,
            passed=verdict.passed, status=verdict.status, tokens=self.tokens,
            solution=self.candidate.source, detail=verdict.detail,
            verify_seconds=round(verdict.seconds, 4), finish_reason=self.finish_reason,
            verifier=verdict.verifier, stage_seconds=dict(verdict.stages), tier=self.tier,
            prompt_tokens=self.prompt_tokens,
        )


@dataclass
class TaskRun:
    """One in-flight task's state; only the driver thread touches it."""

    task: Task
    samples: dict[str, SampleRecord]
    start: float
    requests: dict[str, tuple[Tier, int]] = field(default_factory=dict)
    """In-flight request id -> (tier, index)."""
    capped: dict[str, int] = field(default_factory=dict)
    """In-flight request id -> its learned length cap, where below ``max_tokens``."""
    verifying: int = 0
    attempted: set[int] = field(default_factory=set)
    """Cheap indices requested by this call (an ``error`` verdict is retried by a rerun,
    not within the run, so a broken sandbox cannot loop forever)."""
    strong_rounds: int = 0
    round_open: bool = False
    resumed_round: bool = False
    """The last strong round was cut short in an earlier call (a time limit, a crash): the
    next escalation asks for what it lacks, on the prompt it had, without a new decision."""
    held: list[GenerationRequest] = field(default_factory=list)
    """Requests of the open strong round sent only if the ones before them fail."""
    strong_cost_seen: float = 0.0
    tokens_in: dict[str, int] = field(default_factory=dict)
    tokens_out: dict[str, int] = field(default_factory=dict)
    aborted: int = 0
    stop_reason: str = ""
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    """Candidate id -> its outputs on the task's inputs (tasks picked by agreement)."""
    reading: int = 0
    """Readers the strong tier was asked for (``sampler.core.second_reader``): 0 none, 1
    the greedy reader, 2 the careful one too, 3 the strong model's tests as well."""
    reader_tests: tuple[ModelTest, ...] | None = None
    """The strong model's tests for the task (``sampler.core.reader_tests``), once back."""
    sent_at: dict[str, float] = field(default_factory=dict)
    """In-flight strong request id -> when it was sent (``time.monotonic()``)."""
    last_strong_seconds: float | None = None
    """How long this task's last strong request took in this call (``sampler.core.spare_time``)."""
    spent_reason: str = ""
    """Why the budget stopped the task, while it waits for spare time."""

    @cached_property
    def covariate(self) -> float:
        """The task's prompt-length covariate, read once: every verdict and decision uses it."""
        return prompt_length_covariate(self.task.prompt)

    def tier_samples(self, tier: Tier) -> list[SampleRecord]:
        return [s for s in self.samples.values() if s.tier == tier]

    def cheap_done(self) -> set[int]:
        return self.attempted | {s.sample_index for s in self.tier_samples(CHEAP)}

    def spare_drawn(self, spare_from: int | None) -> int:
        """Strong samples verified in spare time (strong index ``spare_from`` on; None: no
        strong tier), this call's and earlier ones' (``sampler.core.spare_time``)."""
        return 0 if spare_from is None else sum(s.sample_index >= spare_from for s in self.tier_samples(STRONG))

    def passed(self) -> bool:
        return any(s.passed for s in self.samples.values())

    def idle(self) -> bool:
        return not self.requests and self.verifying == 0

    def result(self, chosen: SampleRecord | None, agreed: agreement.Pick | None, *, cheap_model: str,
               cheap_price: TierPrice, strong_price: TierPrice, guess: str | None = None,
               second_reader: str = "", careful_reader: str = "", reader_tests: str = "",
               spare_from: int | None = None) -> TaskResult:
        """The task's line in ``results.jsonl``, given its pick (``agreed``: the pick by
        agreement, when it made one; ``guess``: a pick too weakly supported to call the
        task solved, ``chosen`` then None; ``spare_from``: the first strong index of
        spare time, None without a strong tier)."""
        tokens_in = {t: n for t, n in self.tokens_in.items() if n}
        tokens_out = {t: n for t, n in self.tokens_out.items() if n}
        cost = sum(
            price.cost(tokens_in.get(tier, 0), tokens_out.get(tier, 0))
            for tier, price in ((CHEAP, cheap_price), (STRONG, strong_price))
        )
        return TaskResult(
            task_id=self.task.task_id,
            solved=chosen is not None,
            solution=chosen.solution if chosen else None,
            model=chosen.model if chosen else cheap_model,
            samples_drawn=len(self.samples),
            tokens_generated=sum(tokens_out.values()),
            seconds=round(time.monotonic() - self.start, 3),
            passed_samples=sum(s.passed for s in self.samples.values()),
            candidate_id=chosen.candidate_id if chosen else None,
            prompt_tokens=sum(tokens_in.values()),
            tier=chosen.tier if chosen else None,
            escalated=self.strong_rounds > 0,
            stop_reason=self.stop_reason,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            aborted_requests=self.aborted,
            cost=round(cost, 8),
            disputed_by=chosen.verifier if chosen is not None and not chosen.passed else "",
            selection=AGREEMENT if agreed is not None else SELECTION[self.task.test_origin],
            finished_at=round(time.time(), 3),
            guess=guess,
            spare_samples=self.spare_drawn(spare_from),
            second_reader=second_reader,
            careful_reader=careful_reader,
            reader_tests=reader_tests,
            **agreement_fields(agreed),
        )
