"""The best-of-N loop: sample N per task, verify every candidate, keep a verified one.

Selection rule (deterministic): among the samples whose verdict is ``passed``, the
one with the lowest sample index. Seeds derive from the base seed and the task id,
so the same settings give the same samples and the same choice.

Durability: a task's sample records are appended before its result line, both
fsynced; a task with a result line is done and skipped on rerun. A task whose
verification hit an infrastructure error and found no pass gets no result line,
so a rerun retries it (the retried verdicts supersede the ``error`` ones).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sampler.backends.base import Backend, Generation
from sampler.config import SolveConfig
from sampler.progress import NullProgress, Progress
from sampler.prompting import build_request, program_from_output
from sampler.records import SampleRecord, TaskResult
from sampler.store import RunStore
from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict, Verifier


def candidate_id(index: int) -> str:
    return f"s{index}"


@dataclass(frozen=True)
class SolveOutcome:
    """What one call of the loop did. Totals over a resumed run come from the store."""

    results: tuple[TaskResult, ...]
    """Results written by this call, in task order."""
    skipped: int
    """Tasks already done in the store."""
    incomplete: tuple[str, ...]
    """Tasks left without a result because verification had infrastructure errors."""
    seconds: float


def choose(samples: Sequence[SampleRecord]) -> SampleRecord | None:
    """The documented rule: the passing sample with the lowest index."""
    passing = [s for s in samples if s.passed]
    return min(passing, key=lambda s: s.sample_index) if passing else None


class BestOfN:
    def __init__(self, backend: Backend, verifier: Verifier, config: SolveConfig,
                 store: RunStore, progress: Progress | None = None) -> None:
        self.backend = backend
        self.verifier = verifier
        self.config = config
        self.store = store
        self.progress = progress or NullProgress()

    def run(self, tasks: Sequence[Task]) -> SolveOutcome:
        start = time.monotonic()
        pending = [t for t in tasks if not self.store.is_done(t.task_id)]
        self.progress.start(total=len(tasks), already_done=len(tasks) - len(pending))
        results: list[TaskResult] = []
        incomplete: list[str] = []
        try:
            size = self.config.batch_tasks
            for offset in range(0, len(pending), size):
                batch = pending[offset:offset + size]
                for task, result in self._solve_batch(batch):
                    if result is None:
                        incomplete.append(task.task_id)
                    else:
                        results.append(result)
                    self.progress.advance(1, int(bool(result and result.solved)))
        finally:
            self.progress.close()
        return SolveOutcome(tuple(results), len(tasks) - len(pending), tuple(incomplete),
                            time.monotonic() - start)

    def _solve_batch(self, batch: Sequence[Task]) -> list[tuple[Task, TaskResult | None]]:
        sample_config = self.config.sample
        start = time.monotonic()
        needed = [t for t in batch if not self._reusable(t)]
        generations = self.backend.generate([build_request(t, sample_config) for t in needed])
        by_task: dict[str, Generation] = {g.request_id: g for g in generations}
        gen_seconds = (time.monotonic() - start) / max(1, len(batch))
        out: list[tuple[Task, TaskResult | None]] = []
        for task in batch:
            task_start = time.monotonic()
            samples = self._verified_samples(task, by_task.get(task.task_id))
            generation = by_task.get(task.task_id)
            prompt_tokens = generation.prompt_tokens if generation else 0
            seconds = gen_seconds + time.monotonic() - task_start
            out.append((task, self._finish(task, samples, prompt_tokens, seconds)))
        return out

    def _reusable(self, task: Task) -> bool:
        """All N samples already verified (a crash came between samples and result)."""
        known = self.store.samples.get(task.task_id, {})
        return all(
            (s := known.get(candidate_id(i))) is not None and s.status != Status.ERROR.value
            for i in range(self.config.sample.n)
        )

    def _verified_samples(self, task: Task, generation: Generation | None) -> list[SampleRecord]:
        known = self.store.samples.get(task.task_id, {})
        fresh: list[tuple[int, Candidate, int, str]] = []
        if generation is not None:
            for index, completion in enumerate(generation.completions):
                cid = candidate_id(index)
                prior = known.get(cid)
                if prior is not None and prior.status != Status.ERROR.value:
                    continue
                source = program_from_output(task, completion.text, self.config.sample.prompt_style)
                fresh.append((index, Candidate(task.task_id, cid, source), completion.tokens,
                              completion.finish_reason))
        verdicts = self._verify(task, [c for _, c, _, _ in fresh])
        new = [
            SampleRecord(
                task_id=task.task_id, sample_index=index, candidate_id=cand.candidate_id,
                model=self.backend.model, passed=verdict.passed, status=verdict.status.value,
                tokens=tokens, solution=cand.source, detail=verdict.detail,
                verify_seconds=round(verdict.seconds, 4), finish_reason=finish,
                verifier=verdict.verifier, stage_seconds=dict(verdict.stages),
            )
            for (index, cand, tokens, finish), verdict in zip(fresh, verdicts)
        ]
        self.store.record_samples(new)
        merged = dict(known)
        merged.update({s.candidate_id: s for s in new})
        return sorted(merged.values(), key=lambda s: s.sample_index)

    def _verify(self, task: Task, candidates: list[Candidate]) -> list[Verdict]:
        if not candidates:
            return []
        verdicts = self.verifier.verify(task, candidates)
        if len(verdicts) != len(candidates) or any(
            v.candidate_id != c.candidate_id for v, c in zip(verdicts, candidates)
        ):
            raise RuntimeError(f"verifier {self.verifier.name!r} returned verdicts out of order")
        return verdicts

    def _finish(self, task: Task, samples: list[SampleRecord], prompt_tokens: int,
                seconds: float) -> TaskResult | None:
        chosen = choose(samples)
        if chosen is None and any(s.status == Status.ERROR.value for s in samples):
            return None
        result = TaskResult(
            task_id=task.task_id,
            solved=chosen is not None,
            solution=chosen.solution if chosen else None,
            model=self.backend.model,
            samples_drawn=len(samples),
            tokens_generated=sum(s.tokens for s in samples),
            seconds=round(seconds, 3),
            passed_samples=sum(s.passed for s in samples),
            candidate_id=chosen.candidate_id if chosen else None,
            prompt_tokens=prompt_tokens,
        )
        self.store.record_result(result)
        return result
