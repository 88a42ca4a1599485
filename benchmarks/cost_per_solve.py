"""Cost per solved task: cheap-then-escalate vs strong-only, at the same per-task cap.

What is real and what is simulated:
- cheap tier: REAL SmolLM2-135M samples, replayed in order from a fixed-N run
  (default: the one benchmarks/early_stop.py writes), so sample i is the sample
  the model drew;
- strong tier: SIMULATED. No strong model runs on these machines (the packaged
  alternative, Gemma-3-270M, solved 0 of 4 HumanEval tasks). Each strong sample is
  the task's reference solution with probability --strong-pass (seeded), else a
  wrong answer, wrapped in a prose explanation so its token count is that of a
  chatty frontier model (~--strong-tokens);
- verification: REAL, every candidate through the sandboxed unit tests;
- prices: the configured defaults (cheap 0.02/0.05, strong 1.25/10 per million
  tokens in/out), i.e. a small self-hosted model vs a hosted frontier model.

Strategies, each capped at the same strong budget per task (rounds x samples):
1. strong-only: every task goes straight to the strong tier;
2. cheap -> escalate: up to N cheap samples (stop on first pass), then the strong
   tier for the tasks still unsolved, with the cheap failures in its prompt;
3. the same with the adaptive budget;
4. with ``--prior-from FILE`` (``bestofn prior`` on other tasks' runs): the adaptive
   budget starting from that trained prior, which prices each task before its
   first sample and may send it straight to the strong tier (the pre-generation
   router), against 3 (not routing). ``--strong-price-as-cheap`` prices the strong
   tier like the cheap one, as for the embedded ``--strong same``.

    .venv/bin/python benchmarks/cost_per_solve.py --cheap-run runs/early-stop/fixed

``--strong same`` measures the tier that IS available here, everything real: the
embedded strong tier is the cheap engine itself (``bestofn solve --strong same``:
SmolLM2 with the cheap failures in a draft prompt, then review-and-repair rounds,
a larger token budget, the cheap tier's price). With one model, "strong-only" is
plain sampling, so the question is whether escalation's rounds buy more than the
same number of plain samples would:

1. cheap -> escalate: N cheap samples (stop on first pass), then ``rounds x
   samples`` strong samples for each task still unsolved;
2. plain sampling at the same per-task cap: N + rounds x samples plain samples
   (stop on first pass); its first N samples are run 1's (same seeds).

    .venv/bin/python benchmarks/cost_per_solve.py --strong same --out runs/cost-same
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from sampler.api import SAME_ENGINE, SolveReport, solve
from sampler.backends.factory import make_backend
from sampler.backends.replay import ReplayBackend
from sampler.config import (
    CHEAP_PRICE,
    EngineConfig,
    STRONG_PRICE,
    BudgetConfig,
    BudgetPolicy,
    EscalationConfig,
    SampleConfig,
)
from sampler.models import PACKAGED_MODEL
from sampler.progress import RichProgress
from sampler.prior import Prior, load_prior
from sampler.records import CHEAP, sample_from_dict
from sampler.store import read_records
from sampler.scaling import load_samples
from sampler.summary import Summary
from tasks.registry import select_tasks
from tasks.types import Task


def _fence(code: str) -> str:
    return f"```python\n{code}```\n"


def cheap_script(run_dir: Path) -> dict[str, list[str]]:
    by_task: dict[str, dict[int, str]] = {}
    for where, obj in read_records(run_dir / "samples.jsonl"):
        record = sample_from_dict(obj, where)
        if record.tier == CHEAP:
            by_task.setdefault(record.task_id, {})[record.sample_index] = _fence(record.solution)
    return {task: [texts[i] for i in sorted(texts)] for task, texts in by_task.items()}


def strong_script(tasks: list[Task], p_pass: float, tokens: int, count: int,
                  seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    prose = ("I traced the specification and the failing checks, handled the edge cases, and "
             "kept the signature. ") * max(1, (tokens * 4 - 200) // 100)
    script: dict[str, list[str]] = {}
    for task in tasks:
        right = task.prompt + (task.canonical_solution or "    raise NotImplementedError\n")
        wrong = task.prompt + "    raise NotImplementedError\n"
        script[task.task_id] = [
            prose[: max(0, tokens * 4 - len(right))] + "\n" + _fence(right if rng.random() < p_pass
                                                                      else wrong)
            for _ in range(count)
        ]
    return script


def _ratio(a: Summary, b: Summary) -> str:
    if a.cost_per_solved is None or b.cost_per_solved is None:
        return "-"
    return f"{a.cost_per_solved / b.cost_per_solved:.2f}x"


def line(name: str, s: Summary) -> str:
    per = f"{s.cost_per_solved:.5f}" if s.cost_per_solved is not None else "-"
    return (f"{name:<28} solved {s.solved:>3}/{s.tasks} ({s.coverage:6.1%})  cost {s.cost:.5f}  "
            f"per solved task {per}  tokens in/out {s.tokens_in} / {s.tokens_out}  "
            f"escalated {s.escalated}")


def same_engine(args: argparse.Namespace) -> int:
    """Both arms on one real vLLM engine (the packaged model); see the module docstring."""
    tasks = select_tasks(suite="humaneval", skip=args.skip, limit=args.limit)
    escalation = EscalationConfig(samples=args.samples, rounds=args.rounds)
    cap = args.n + args.rounds * args.samples
    backend = make_backend(PACKAGED_MODEL, EngineConfig())
    try:
        escalate = solve(tasks, out=args.out / "cheap-escalate", backend=backend, strong=SAME_ENGINE,
                         escalation=escalation, sample=SampleConfig(n=args.n), batch_tasks=16,
                         verifiers=["tests"], progress=RichProgress("cheap -> escalate"))
        plain = solve(tasks, out=args.out / f"plain-n{cap}", backend=backend,
                      sample=SampleConfig(n=cap), batch_tasks=16, verifiers=["tests"],
                      progress=RichProgress(f"plain N={cap}"))
    finally:
        backend.close()
    first, last = tasks[0].task_id, tasks[-1].task_id
    print(f"{first}..{last} ({len(tasks)} tasks); ALL REAL: one vLLM CPU engine, {PACKAGED_MODEL}; "
          f"the strong tier is the same engine ('--strong same': cheap failures in the draft "
          f"prompt, then review-and-repair rounds, max_tokens {escalation.max_tokens}), priced as "
          f"the cheap tier ({CHEAP_PRICE.input_per_mtok}/{CHEAP_PRICE.output_per_mtok} per M tokens "
          f"in/out); per-task cap {cap} samples; T=0.7, seed 0; verification: sandboxed tests")
    print(line(f"cheap N={args.n} -> escalate", escalate.summary))
    print(line(f"plain sampling N={cap}", plain.summary))
    cheap_solved = escalate.summary.solved_by_tier.get("cheap", 0)
    print(f"escalation: {escalate.summary.escalated} tasks escalated, "
          f"{escalate.summary.solved_by_tier.get('strong', 0)} solved by the strong rounds; "
          f"plain samples {args.n}..{cap - 1}: {plain.summary.solved - cheap_solved} more solved")
    print(f"cost per solved task, cheap->escalate / plain N={cap}: "
          f"{_ratio(escalate.summary, plain.summary)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--strong", choices=("simulated", SAME_ENGINE), default="simulated",
                        help="the strong tier: simulated (replayed cheap samples + a simulated "
                             "frontier model), or 'same' (the real engine for both tiers)")
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--cheap-run", type=Path, default=Path("runs/early-stop/fixed"))
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--strong-pass", type=float, default=0.85)
    parser.add_argument("--strong-tokens", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--samples", type=int, default=None,
                        help="strong samples per round (default: 2 simulated; with --strong "
                             "same, what `bestofn solve --strong same` uses)")
    parser.add_argument("--prior-from", type=Path,
                        help="also run the adaptive budget from this trained prior (the router)")
    parser.add_argument("--strong-price-as-cheap", action="store_true",
                        help="price the simulated strong tier like the cheap one")
    parser.add_argument("--out", type=Path, default=Path("runs/cost"))
    args = parser.parse_args()
    if args.strong == SAME_ENGINE:
        args.samples = args.samples or EscalationConfig().samples
        return same_engine(args)
    args.samples = args.samples or 2
    tasks = select_tasks(suite="humaneval", skip=args.skip, limit=args.limit)
    cheap = cheap_script(args.cheap_run)
    if not cheap:
        print(f"no cheap samples in {args.cheap_run}; run benchmarks/early_stop.py first",
              file=sys.stderr)
        return 2
    budget_samples = args.rounds * args.samples
    escalation = EscalationConfig(samples=args.samples, rounds=args.rounds)

    def strong_backend() -> ReplayBackend:
        return ReplayBackend(strong_script(tasks, args.strong_pass, args.strong_tokens,
                                           budget_samples, seed=0), model="strong-simulated")

    strong_price = CHEAP_PRICE if args.strong_price_as_cheap else STRONG_PRICE
    strong_only = solve(tasks, out=args.out / "strong-only", backend=strong_backend(),
                        sample=SampleConfig(n=budget_samples, max_tokens=1024),
                        budget=BudgetConfig(wave=args.samples), cheap_price=strong_price,
                        verifiers=["tests"], batch_tasks=16)
    escalate = solve(tasks, out=args.out / "cheap-escalate",
                     backend=ReplayBackend(cheap, model="smollm2-135m (replayed)"),
                     strong_backend=strong_backend(), escalation=escalation,
                     sample=SampleConfig(n=args.n), verifiers=["tests"], batch_tasks=16,
                     strong_price=strong_price)

    def adaptive_arm(name: str, trained: Prior | None) -> SolveReport:
        return solve(tasks, out=args.out / name,
                     backend=ReplayBackend(cheap, model="smollm2-135m (replayed)"),
                     strong_backend=strong_backend(), escalation=escalation,
                     budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE, trained_prior=trained),
                     sample=SampleConfig(n=args.n), verifiers=["tests"], batch_tasks=16,
                     strong_price=strong_price)

    adaptive = adaptive_arm("cheap-escalate-adaptive", None)
    routed = (adaptive_arm("cheap-escalate-adaptive-routed", load_prior(args.prior_from))
              if args.prior_from else None)
    print(f"HumanEval/{args.skip}-{args.skip + len(tasks) - 1}; cheap: real SmolLM2 samples from {args.cheap_run} "
          f"(N<={args.n}); strong: SIMULATED, pass {args.strong_pass:.0%} per sample, "
          f"~{args.strong_tokens} tokens; cap {args.rounds} rounds x {args.samples} strong samples "
          f"per task; prices per M tokens cheap {CHEAP_PRICE.input_per_mtok}/"
          f"{CHEAP_PRICE.output_per_mtok}, strong {strong_price.input_per_mtok}/"
          f"{strong_price.output_per_mtok}; verification real (sandboxed tests)")
    print(line("strong-only", strong_only.summary))
    print(line("cheap -> escalate (fixed)", escalate.summary))
    print(line("cheap -> escalate (adaptive)", adaptive.summary))
    if routed is not None:
        print(line("adaptive, trained prior", routed.summary))
        drawn = load_samples(routed.out_dir / "samples.jsonl")
        straight = sum(1 for r in routed.results if r.escalated and not any(
            s.tier == CHEAP for s in drawn.get(r.task_id, {}).values()))
        print(f"router ({args.prior_from}): {straight} task(s) sent to the strong tier before any "
              f"cheap sample; cost per solved task routed / not routed: "
              f"{_ratio(routed.summary, adaptive.summary)}")
    for name, report in (("fixed", escalate), ("adaptive", adaptive)):
        print(f"cost per solved task, cheap->escalate ({name}) / strong-only: "
              f"{_ratio(report.summary, strong_only.summary)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
