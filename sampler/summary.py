"""The run summary: coverage, mean pass@1, unbiased pass@k, tokens, time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sampler.passk import mean_pass_at_k, powers_of_two_up_to
from sampler.records import SampleRecord, TaskResult


@dataclass(frozen=True)
class Summary:
    tasks: int
    """Tasks asked for."""
    finished: int
    """Tasks with a result (the rest hit infrastructure errors; rerun to retry)."""
    solved: int
    coverage: float
    """solved / tasks: the fraction with a verified solution."""
    mean_pass_at_1: float
    pass_at_k: dict[int, float]
    samples: int
    tokens_generated: int
    wall_seconds: float

    def lines(self) -> list[str]:
        ks = "  ".join(f"pass@{k}={v:.1%}" for k, v in self.pass_at_k.items())
        out = [
            f"solved {self.solved}/{self.tasks} tasks (coverage {self.coverage:.1%})",
            f"mean pass@1 {self.mean_pass_at_1:.1%}   {ks}",
            f"{self.samples} samples, {self.tokens_generated} tokens generated, "
            f"{self.wall_seconds:.1f} s wall",
        ]
        if self.finished < self.tasks:
            out.append(f"{self.tasks - self.finished} task(s) unfinished (infrastructure errors); "
                       "rerun with the same --out to retry them")
        return out


def summarise(task_ids: Sequence[str], results: Mapping[str, TaskResult],
              samples: Mapping[str, Mapping[str, SampleRecord]], n: int,
              wall_seconds: float) -> Summary:
    finished = [results[t] for t in task_ids if t in results]
    counts = []
    for task_id in task_ids:
        if task_id in results:
            task_samples = list(samples.get(task_id, {}).values())
            counts.append((len(task_samples), sum(s.passed for s in task_samples)))
    solved = sum(r.solved for r in finished)
    return Summary(
        tasks=len(task_ids),
        finished=len(finished),
        solved=solved,
        coverage=solved / len(task_ids) if task_ids else 0.0,
        mean_pass_at_1=mean_pass_at_k(counts, 1),
        pass_at_k={k: mean_pass_at_k(counts, k) for k in powers_of_two_up_to(n)},
        samples=sum(c for c, _ in counts),
        tokens_generated=sum(r.tokens_generated for r in finished),
        wall_seconds=wall_seconds,
    )
