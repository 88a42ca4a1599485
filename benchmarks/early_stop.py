"""Tokens and coverage: stop-on-first-pass + adaptive budget vs a fixed N, same seeds.

One engine (the packaged model on vLLM's CPU build), HumanEval/0-39, N=10,
T=0.7, seed 0, unit-test verification (the foundation's definition of a pass):

1. fixed: all N samples of every task (no stopping), each sample generated to
   its natural end (``stop_at_code_end=False``: the foundation's sampler);
2. adaptive: waves of 2, each task stopped at its first verified pass with its
   requests still in the engine aborted, the adaptive budget (sampler.policy.budget)
   deciding whether another wave is worth its expected cost per solve (on a
   prior that reads each task's prompt length, unless
   ``--no-prior-by-prompt-length``) and capping each new request's length at
   what this run's verified passes say a pass needs (sampler.policy.length_cap), and each sample stopped when its first
   python block closes or its code can no longer parse (the defaults of
   ``--budget adaptive``).

The adaptive run's saving is split into its sources from the same samples: the
tokens its samples cost in the fixed run (same seeds, so the same samples up to
the cut) give what the budget and stop-on-first-pass alone would have spent;
the rest is shortening samples (at the code's end, where the code can no longer
parse, or at the learned cap). The program and verdict of every sample drawn in
both runs are compared: stopping at the code's end must never change them; one
stopped where it could no longer parse must have failed in the fixed run too; a
sample cut at the learned cap is counted apart, with how many of those passed in
the fixed run (the cap's cost).

Every sample has its own seed, so run 2's samples are a subset of run 1's. The
line "stop-on-first-pass alone" is computed from run 1's samples (tokens of
each task's samples up to its first pass), not run separately: it is exact
except for tokens of requests an abort would have cut short, which it overstates.
Tokens counted: every generated token, including those of aborted requests.

    .venv/bin/python benchmarks/early_stop.py --out runs/early-stop
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from sampler.backends.answer import FINISH_CODE_END, FINISH_UNPARSABLE
from sampler.backends.factory import make_backend
from sampler.config import BudgetConfig, BudgetPolicy, EngineConfig, SampleConfig
from sampler.core.api import solve
from sampler.policy.length_cap import FINISH_LENGTH_CAP
from sampler.storage.records import SampleRecord, sample_from_dict
from sampler.storage.store import read_records
from sampler.terminal.progress import RichProgress


def _stop_first_tokens(samples: dict[str, dict[str, SampleRecord]], n: int) -> tuple[int, int]:
    """(tokens, samples) had each task stopped at its first pass, from a fixed-N run."""
    tokens = drawn = 0
    for records in samples.values():
        ordered = sorted((s for s in records.values() if s.tier == "cheap"),
                         key=lambda s: s.sample_index)[:n]
        for record in ordered:
            tokens += record.tokens
            drawn += 1
            if record.passed:
                break
    return tokens, drawn


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip", type=int, default=0,
                        help="leave out the first K tasks (a held-out slice)")
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--wave", type=int, default=2)
    parser.add_argument("--solve-value-samples", type=float, default=100.0)
    parser.add_argument("--batch-tasks", type=int, default=16)
    parser.add_argument("--length-cap-miss", type=float, default=0.01,
                        help="the learned length cap's miss rate; 0: no cap")
    parser.add_argument("--no-prior-by-prompt-length", dest="by_prompt_length",
                        action="store_false",
                        help="adaptive arm: one prior for every task (no prompt-length regression)")
    parser.add_argument("--out", type=Path, default=Path("runs/early-stop"))
    args = parser.parse_args()
    sample = SampleConfig(n=args.n, seed=args.seed)
    start = time.monotonic()
    backend = make_backend("smollm2-135m", EngineConfig())
    print(f"engine start: {time.monotonic() - start:.0f} s", file=sys.stderr)
    try:
        t0 = time.monotonic()
        fixed = solve(suite="humaneval", skip=args.skip, limit=args.limit, out=args.out / "fixed",
                      backend=backend,
                      sample=dataclasses.replace(sample, stop_at_code_end=False),
                      batch_tasks=args.batch_tasks, verifiers=["tests"],
                      stop_on_first_pass=False, progress=RichProgress("fixed N"))
        fixed_s = time.monotonic() - t0
        t0 = time.monotonic()
        budget = BudgetConfig(policy=BudgetPolicy.ADAPTIVE, wave=args.wave,
                              solve_value_samples=args.solve_value_samples,
                              length_cap_miss=args.length_cap_miss or None,
                              by_prompt_length=args.by_prompt_length)
        adaptive = solve(suite="humaneval", skip=args.skip, limit=args.limit, out=args.out / "adaptive",
                         backend=backend, sample=sample, batch_tasks=args.batch_tasks,
                         verifiers=["tests"], stop_on_first_pass=True, budget=budget,
                         progress=RichProgress("adaptive"))
        adaptive_s = time.monotonic() - t0
    finally:
        backend.close()
    f, a = fixed.summary, adaptive.summary
    fixed_samples: dict[str, dict[str, SampleRecord]] = {}
    for where, obj in read_records(args.out / "fixed" / "samples.jsonl"):
        rec = sample_from_dict(obj, where)
        fixed_samples.setdefault(rec.task_id, {})[rec.candidate_id] = rec
    sf_tokens, sf_samples = _stop_first_tokens(fixed_samples, args.n)
    adaptive_samples: dict[str, dict[str, SampleRecord]] = {}
    for where, obj in read_records(args.out / "adaptive" / "samples.jsonl"):
        rec = sample_from_dict(obj, where)
        adaptive_samples.setdefault(rec.task_id, {})[rec.candidate_id] = rec
    both = [(a, fixed_samples[t][c]) for t, recs in adaptive_samples.items() for c, a in recs.items()
            if c in fixed_samples.get(t, {})]
    capped = [(a, f) for a, f in both if a.finish_reason == FINISH_LENGTH_CAP]
    unparsable = [(a, f) for a, f in both if a.finish_reason == FINISH_UNPARSABLE]
    uncapped = [(a, f) for a, f in both if a.finish_reason not in (FINISH_LENGTH_CAP, FINISH_UNPARSABLE)]
    same_program = sum(a.solution == f.solution for a, f in uncapped)
    same_verdict = sum(a.status == f.status for a, f in uncapped)
    drawn_tokens = sum(a.tokens for a, _ in both)
    uncut_tokens = sum(f.tokens for _, f in both)
    code_ended = sum(a.finish_reason == FINISH_CODE_END for a, _ in both)
    print(f"HumanEval/{args.skip}-{args.skip + args.limit - 1}, smollm2-135m on vLLM CPU, "
          f"N={args.n}, T=0.7, "
          f"seed={args.seed}, verifiers=tests, batch_tasks={args.batch_tasks}")
    print(f"fixed N={args.n}:            coverage {f.solved}/{f.tasks} = {f.coverage:.1%}, "
          f"{f.samples} samples, {f.tokens_generated} tokens, {fixed_s:.0f} s")
    print(f"stop-on-first-pass alone (computed from the fixed run's samples): "
          f"{f.solved}/{f.tasks}, {sf_samples} samples, {sf_tokens} tokens "
          f"({1 - sf_tokens / f.tokens_generated:.1%} fewer)")
    prior = "by prompt length" if args.by_prompt_length else "one for all tasks"
    print(f"stop + adaptive budget (wave {args.wave}, value {args.solve_value_samples:g} samples, "
          f"prior {prior}): "
          f"coverage {a.solved}/{a.tasks} = {a.coverage:.1%}, {a.samples} samples, "
          f"{a.tokens_generated} tokens ({1 - a.tokens_generated / f.tokens_generated:.1%} fewer), "
          f"{a.aborted_requests} requests aborted, {adaptive_s:.0f} s")
    aborted_tokens = a.tokens_generated - drawn_tokens
    budget_only = uncut_tokens + aborted_tokens
    print(f"  of which: the budget and stop-on-first-pass alone (the same samples at their fixed-run length, "
          f"plus aborted requests' {aborted_tokens} tokens): {budget_only} tokens "
          f"({1 - budget_only / f.tokens_generated:.1%} fewer than fixed N); shortening samples: "
          f"{code_ended}/{len(both)} stopped at the code's end, {len(unparsable)} where their code "
          f"could no longer parse and {len(capped)} at the learned length cap, "
          f"{uncut_tokens - drawn_tokens} tokens "
          f"({1 - drawn_tokens / max(uncut_tokens, 1):.1%} of those samples' tokens)")
    cap_tokens = sum(f.tokens - a.tokens for a, f in capped)
    print(f"  learned length cap: {len(capped)} samples cut (at {sorted({a.tokens for a, _ in capped})} "
          f"tokens), {cap_tokens} tokens fewer than their fixed-run length; of those samples "
          f"{sum(f.passed for _, f in capped)} passed in the fixed run")
    print(f"  stopped where their code could no longer parse: {len(unparsable)} samples, "
          f"{sum(f.tokens - a.tokens for a, f in unparsable)} tokens fewer than their fixed-run length; "
          f"failed in the fixed run: {sum(not f.passed for _, f in unparsable)}/{len(unparsable)}")
    print(f"  samples drawn in both runs, not cut short: {len(uncapped)}; identical program "
          f"{same_program}/{len(uncapped)}, identical verdict {same_verdict}/{len(uncapped)}")
    print(f"coverage change: {100 * (a.coverage - f.coverage):+.1f} points; "
          f"goal: >=50% fewer tokens at <=1 point coverage loss")
    reasons: dict[str, int] = {}
    for r in adaptive.results:
        key = r.stop_reason.split(":")[0] + (": " + r.stop_reason.split(":")[1].strip().split(" ")[0]
                                             if ":" in r.stop_reason else "")
        reasons[key] = reasons.get(key, 0) + 1
    print("adaptive stop reasons: " + ", ".join(f"{k} x{v}" for k, v in sorted(reasons.items())))
    lost = sorted({r.task_id for r in fixed.results if r.solved}
                  - {r.task_id for r in adaptive.results if r.solved})
    print(f"tasks solved by fixed N but not adaptive: {lost or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
