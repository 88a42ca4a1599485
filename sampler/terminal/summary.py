"""The run summary: coverage, mean pass@1, unbiased pass@k, tokens, time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sampler.passk import mean_pass_at_k, powers_of_two_up_to
from sampler.storage.records import AGREEMENT, CHEAP, READER_DISAGREES, STRONG, SampleRecord, TaskResult


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
    fixed_n: bool = True
    """Every task drew the same n cheap samples, so pass@k is unbiased; with
    stop-on-first-pass or an adaptive budget it is not reported."""
    solved_by_tier: dict[str, int] = field(default_factory=dict)
    escalated: int = 0
    tokens_in: dict[str, int] = field(default_factory=dict)
    tokens_out: dict[str, int] = field(default_factory=dict)
    aborted_requests: int = 0
    cost: float = 0.0
    disputed: int = 0
    """Solved tasks whose solution passed the task's tests but not every advisory check."""
    solved_by_selection: dict[str, int] = field(default_factory=dict)
    """Solved tasks by the evidence their pick rests on (``TaskResult.selection``)."""
    tasks_by_selection: dict[str, int] = field(default_factory=dict)
    agreement_majority: int = 0
    """Picks by agreement whose group is a strict majority of the candidates grouped."""
    guesses: int = 0
    """Tasks without tests whose pick was too weakly supported to call solved."""
    vetoed: int = 0
    """... of which the second reader (the strong model's own answer) disagreed with."""
    stopped: int = 0
    """Tasks left undecided at the time limit (``SolveConfig.time_limit_s``)."""
    spare_samples: int = 0
    """Strong samples drawn in spare time before the limit (``sampler.core.spare_time``) ..."""
    spare_tasks: int = 0
    """... for this many tasks ..."""
    spare_solved: int = 0
    """... of which this many passed with one."""

    @property
    def cost_per_solved(self) -> float | None:
        return self.cost / self.solved if self.solved else None

    def lines(self) -> list[str]:
        out = [f"solved {self.solved}/{self.tasks} tasks (coverage {self.coverage:.1%})"]
        if self.disputed:
            out.append(f"  {self.solved - self.disputed} passed every check; {self.disputed} passed the "
                       "task's tests but disagreed with the reference on a generated input (disputed_by)")
        untested = {k: v for k, v in self.tasks_by_selection.items() if k != "tests"}
        if untested:
            tested = self.tasks_by_selection.get("tests", 0)
            out.append(f"  with tests: {self.solved_by_selection.get('tests', 0)}/{tested}; without tests: "
                       + ", ".join(f"{self.solved_by_selection.get(k, 0)}/{v} picked on {_EVIDENCE[k]}"
                                   for k, v in sorted(untested.items())))
            if self.tasks_by_selection.get(AGREEMENT):
                out.append(f"  agreement picks: {self.agreement_majority} of "
                           f"{self.tasks_by_selection[AGREEMENT]} by a majority of their candidates")
            if self.guesses:
                out.append(f"  {self.guesses} task(s) without tests left unsolved: their pick is a "
                           "guess too weakly supported to call solved (`guess` in results.jsonl)"
                           + (f"; for {self.vetoed} of them the strong model's own answer disagreed "
                              "(second_reader, careful_reader, reader_tests)" if self.vetoed else ""))
        if self.escalated or self.solved_by_tier.get(STRONG):
            out.append(f"  cheap tier solved {self.solved_by_tier.get(CHEAP, 0)}; "
                       f"{self.escalated} escalated, strong tier solved "
                       f"{self.solved_by_tier.get(STRONG, 0)}")
        if self.spare_samples:
            out.append(f"  spare time before the limit: {self.spare_samples} more strong samples for "
                       f"{self.spare_tasks} task(s), {self.spare_solved} of them solved by one")
        if self.fixed_n:
            ks = "  ".join(f"pass@{k}={v:.1%}" for k, v in self.pass_at_k.items())
            out.append(f"mean pass@1 {self.mean_pass_at_1:.1%}   {ks}")
        else:
            out.append("pass@k not estimated: samples per task vary (stop on first pass / "
                       "adaptive budget); use `bestofn scale` for pass@k")
        tiers = "; ".join(f"{tier} {self.tokens_in.get(tier, 0)} in / {self.tokens_out.get(tier, 0)} out"
                          for tier in sorted(set(self.tokens_in) | set(self.tokens_out)))
        per_solve = f"{self.cost_per_solved:.4g}" if self.cost_per_solved is not None else "-"
        out += [
            f"{self.samples} samples, {self.tokens_generated} tokens generated, "
            f"{self.wall_seconds:.1f} s wall",
            f"tokens: {tiers or 'none'}; {self.aborted_requests} request(s) aborted after a pass",
            f"cost {self.cost:.4g} at configured prices, {per_solve} per solved task",
        ]
        if self.stopped:
            out.append(f"time limit reached: {self.stopped} task(s) left undecided; "
                       "rerun with the same --out to go on with them")
        if self.finished + self.stopped < self.tasks:
            out.append(f"{self.tasks - self.finished - self.stopped} task(s) unfinished (infrastructure "
                       "errors); rerun with the same --out to retry them")
        return out


_EVIDENCE = {"examples": "the prompt's examples", "checks": "syntax and types only (no examples)",
             AGREEMENT: "agreement between candidates"}


def summarise(task_ids: Sequence[str], results: Mapping[str, TaskResult],
              samples: Mapping[str, Mapping[str, SampleRecord]], n: int,
              wall_seconds: float, *, fixed_n: bool = True, stopped: int = 0) -> Summary:
    finished = [results[t] for t in task_ids if t in results]
    counts = []
    for task_id in task_ids:
        if task_id in results:
            # pass@k is the cheap model's: strong samples are a different distribution.
            task_samples = [s for s in samples.get(task_id, {}).values() if s.tier == CHEAP]
            counts.append((len(task_samples), sum(s.passed for s in task_samples)))
    solved = sum(r.solved for r in finished)
    by_tier: dict[str, int] = {}
    tokens_in: dict[str, int] = {}
    tokens_out: dict[str, int] = {}
    for r in finished:
        if r.solved:
            by_tier[r.tier or CHEAP] = by_tier.get(r.tier or CHEAP, 0) + 1
        for tier, count in r.tokens_in.items():
            tokens_in[tier] = tokens_in.get(tier, 0) + count
        for tier, count in r.tokens_out.items():
            tokens_out[tier] = tokens_out.get(tier, 0) + count
    return Summary(
        tasks=len(task_ids),
        finished=len(finished),
        solved=solved,
        coverage=solved / len(task_ids) if task_ids else 0.0,
        mean_pass_at_1=mean_pass_at_k(counts, 1),
        pass_at_k={k: mean_pass_at_k(counts, k) for k in powers_of_two_up_to(n)},
        samples=sum(len(samples.get(r.task_id, {})) for r in finished),
        tokens_generated=sum(r.tokens_generated for r in finished),
        wall_seconds=wall_seconds,
        fixed_n=fixed_n,
        solved_by_tier=by_tier,
        escalated=sum(r.escalated for r in finished),
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        aborted_requests=sum(r.aborted_requests for r in finished),
        cost=sum(r.cost for r in finished),
        disputed=sum(bool(r.disputed_by) for r in finished),
        solved_by_selection=dict(Counter(r.selection for r in finished if r.solved)),
        tasks_by_selection=dict(Counter(r.selection for r in finished)),
        agreement_majority=sum(r.selection == AGREEMENT and 2 * r.agreement_group > r.agreement_candidates
                               for r in finished),
        guesses=sum(r.guess is not None for r in finished),
        vetoed=sum(READER_DISAGREES in (r.second_reader, r.careful_reader, r.reader_tests) for r in finished),
        stopped=stopped,
        spare_samples=sum(r.spare_samples for r in finished),
        spare_tasks=sum(r.spare_samples > 0 for r in finished),
        spare_solved=sum(r.spare_samples > 0 and r.stop_reason == "passed" for r in finished),
    )
