"""Picking an answer when the task comes without tests: the prompt's examples as tests.

Replays a finished HumanEval run (its samples, each verified against the real
tests) as if the tasks had come without tests: each task's test becomes the
``check`` built from its prompt's own examples (``tasks.examples``), every sample the
run drew is verified against it in the sandbox, and the pick is the first sample
that passes the examples (what ``solve`` picks on such a task). Printed, over the
tasks whose prompt states examples and over all tasks:

- first sample: sample 0 passes the withheld real tests;
- pick: the picked sample passes the withheld real tests;
- oracle: some drawn sample passes them;
- called solved: tasks where a pick was made, and how many of those picks are wrong.

A task whose prompt states no examples is picked as ``solve`` does: the first sample
that passes the static checks (syntax, mypy), read off its recorded verdict.

The replay is exact for a run that stopped each task at its first sample passing
every check: a sample that passes the real tests passes the examples too (unless
an example is wrong), so the pick is never later than the run's first pass, and
every sample up to it was drawn. Samples carry their real verdict in the run's
``samples.jsonl`` (``passed``, or failed at a check).

    .venv/bin/python benchmarks/select_without_tests.py runs/full2/cascade
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from sampler.records import CHEAP, SampleRecord, sample_from_dict
from sampler.store import SAMPLES, read_records
from tasks.examples import with_example_tests
from tasks.registry import load_suite
from verifiers.types import Candidate, Status
from verifiers.unit_tests import UnitTestVerifier


def _real_pass(sample: SampleRecord) -> bool:
    # A disputed answer (tests passed, properties not) counts as passing the real tests.
    return sample.passed or (sample.status == "failed" and sample.verifier.endswith("properties"))


def _static_pass(sample: SampleRecord) -> bool:
    return sample.passed or sample.verifier.rsplit(":", 1)[-1] not in ("syntax", "mypy")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, help="a HumanEval solve run (samples.jsonl)")
    args = parser.parse_args()
    by_task: dict[str, list[SampleRecord]] = {}
    for where, obj in read_records(args.run_dir / SAMPLES):
        sample = sample_from_dict(obj, where)
        if sample.tier == CHEAP:
            by_task.setdefault(sample.task_id, []).append(sample)
    tasks = {t.task_id: with_example_tests(dataclasses.replace(t, test=""))
             for t in load_suite("humaneval") if t.task_id in by_task}
    rows = {"examples": [0, 0, 0, 0, 0, 0], "all": [0, 0, 0, 0, 0, 0]}
    # per group: tasks, first sample right, pick right, oracle, picks made, picks wrong
    with UnitTestVerifier(workers=2) as verifier:
        for task_id, task in sorted(tasks.items()):
            samples = sorted(by_task[task_id], key=lambda s: s.sample_index)
            first = _real_pass(samples[0])
            oracle = any(_real_pass(s) for s in samples)
            pick: SampleRecord | None = None
            if task.test_origin == "examples":
                verdicts = verifier.verify(task, [Candidate(task_id, s.candidate_id, s.solution) for s in samples])
                pick = next((s for s, v in zip(samples, verdicts) if v.status is Status.PASSED), None)
            else:
                # No examples: solve picks the first sample the static checks pass.
                pick = next((s for s in samples if _static_pass(s)), None)
            groups = ["all"] + (["examples"] if task.test_origin == "examples" else [])
            for group in groups:
                row = rows[group]
                row[0] += 1
                row[1] += first
                row[2] += pick is not None and _real_pass(pick)
                row[3] += oracle
                row[4] += pick is not None
                row[5] += pick is not None and not _real_pass(pick)
    print(f"run: {args.run_dir} (cheap samples, verified against the real tests)", file=sys.stderr)
    print(f"{'tasks':<26} {'n':>4} {'first sample':>13} {'pick':>7} {'oracle':>7} {'gap closed':>10} "
          f"{'called solved':>14} {'of them wrong':>14}", file=sys.stderr)
    for group, (n, firsts, right, oracles, made, wrong) in rows.items():
        label = "with examples in prompt" if group == "examples" else "all (no examples: static)"
        gap = (right - firsts) / (oracles - firsts) if oracles > firsts else float("nan")
        print(f"{label:<26} {n:>4} {firsts / n:>13.1%} {right / n:>7.1%} {oracles / n:>7.1%} {gap:>10.0%} "
              f"{made:>14} {wrong:>14}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
