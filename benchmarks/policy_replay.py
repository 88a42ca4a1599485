"""Replay a recorded fixed-N run through the real loop and budget policy, offline.

Every task's samples come back in index order with their recorded verdict and
token count: the engine is the replay backend with a latency model (so tasks
overlap and finish out of order, as in a real run) and the verifier looks the
verdict up. A sample longer than its request's ``max_tokens`` (the learned length
cap) comes back cut, and fails. Nothing is generated or executed, so a policy
setting costs seconds to try, and repeating it shows how much the outcome varies
with scheduling: the order in which verdicts arrive decides what the adaptive
budget's prior has learned when it decides each task.

Token counts are the recorded ones: from a run made without stopping at the
code's end (early_stop.py's fixed arm), samples are as long as the whole answer,
so absolute savings differ from a real adaptive run; coverage and samples drawn
do not depend on that.

    .venv/bin/python benchmarks/policy_replay.py runs/early-stop/fixed \\
        --solve-value-samples 100 70 --runs 5
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sampler.backends.replay import ReplayBackend
from sampler.config import BudgetConfig, BudgetPolicy, SampleConfig
from sampler.core.api import solve
from sampler.policy.prior import load_prior
from sampler.storage.records import SampleRecord, sample_from_dict
from sampler.storage.store import read_records
from tasks.registry import load_suite
from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict

_MARK = re.compile(r"# recorded sample (\d+)$", re.M)


def recorded_text(index: int, tokens: int) -> str:
    """A fenced answer of ``tokens`` replay tokens (four characters each) whose last
    line names the sample: cutting it short removes the name, so it fails."""
    head, tail = "```python\n", f"\n# recorded sample {index}\n```"
    return head + "#" * max(0, 4 * tokens - len(head) - len(tail)) + tail


class RecordedVerdicts:
    """The recorded verdict of the sample a candidate came from; a cut one fails."""

    name = "recorded"

    def __init__(self, samples: dict[str, dict[int, SampleRecord]]) -> None:
        self.samples = samples

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        out = []
        for candidate in candidates:
            mark = _MARK.search(candidate.source)
            record = self.samples[task.task_id].get(int(mark.group(1))) if mark else None
            passed = record is not None and record.passed
            out.append(Verdict(task.task_id, candidate.candidate_id, self.name,
                               Status.PASSED if passed else Status.FAILED))
        return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path, help="a fixed-N run directory (samples.jsonl)")
    parser.add_argument("--suite", default="humaneval")
    parser.add_argument("--solve-value-samples", type=float, nargs="+", default=[100.0])
    parser.add_argument("--length-cap-miss", type=float, default=0.01, help="0: no cap")
    parser.add_argument("--wave", type=int, default=2)
    parser.add_argument("--prior-from", type=Path,
                        help="start from a prior trained on other runs (`bestofn prior`)")
    parser.add_argument("--no-by-prompt-length", dest="by_prompt_length", action="store_false",
                        help="one prior for every task (no prompt-length regression)")
    parser.add_argument("--batch-tasks", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="repetitions per setting")
    parser.add_argument("--tokens-per-second", type=float, default=2000.0,
                        help="simulated decode speed per sequence")
    args = parser.parse_args()

    samples: dict[str, dict[int, SampleRecord]] = {}
    for where, obj in read_records(args.run / "samples.jsonl"):
        record = sample_from_dict(obj, where)
        if record.tier == "cheap":
            samples.setdefault(record.task_id, {})[record.sample_index] = record
    n = min(len(s) for s in samples.values())
    tasks = [t for t in load_suite(args.suite) if t.task_id in samples]
    script = {task_id: [recorded_text(i, records[i].tokens) for i in range(n)]
              for task_id, records in samples.items()}
    base_tokens = sum(r.tokens for records in samples.values() for i, r in records.items() if i < n)
    solvable = {t for t, records in samples.items() if any(r.passed for i, r in records.items() if i < n)}
    print(f"{args.run}: {len(tasks)} tasks, N={n}, {len(solvable)} solved, {base_tokens} tokens "
          f"(the fixed run); wave {args.wave}, {args.batch_tasks} tasks in flight, "
          f"length cap miss {args.length_cap_miss or 'off'}, prior "
          f"{'by prompt length' if args.by_prompt_length else 'one for all tasks'}"
          f"{f', trained on {args.prior_from}' if args.prior_from else ''}")
    trained = load_prior(args.prior_from) if args.prior_from else None
    for value in args.solve_value_samples:
        rows = []
        for _ in range(args.runs):
            budget = BudgetConfig(policy=BudgetPolicy.ADAPTIVE, wave=args.wave,
                                  solve_value_samples=value,
                                  length_cap_miss=args.length_cap_miss or None,
                                  by_prompt_length=args.by_prompt_length, trained_prior=trained)
            with tempfile.TemporaryDirectory() as out:
                report = solve(tasks, out=out, backend=ReplayBackend(
                    script, tokens_per_second=args.tokens_per_second, slots=64),
                    verifier=RecordedVerdicts(samples), sample=SampleConfig(n=n),
                    batch_tasks=args.batch_tasks, budget=budget)
            solved = {r.task_id for r in report.results if r.solved}
            rows.append((len(solved), report.summary.samples, report.summary.tokens_generated,
                         sorted(solvable - solved)))
        for solved_count, drawn, tokens, lost in rows:
            print(f"  a solve worth {value:g} samples: {solved_count}/{len(solvable)} solved, "
                  f"{drawn} samples, {tokens} tokens ({1 - tokens / base_tokens:.1%} fewer); "
                  f"lost: {', '.join(lost) or 'none'}")
        kept = sum(r[0] == len(solvable) for r in rows)
        print(f"  -> kept every solve in {kept}/{len(rows)} runs; median "
              f"{1 - statistics.median(r[2] for r in rows) / base_tokens:.1%} fewer tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
