"""Picking an answer when the task comes without tests: the prompt's examples, and agreement.

Replays a finished HumanEval run (its samples, each verified against the real
tests) as if the tasks had come without tests: each task's test becomes the
``check`` built from its prompt's own examples (``tasks.examples``), and every
sample the run drew is judged again, in the sandbox, without the real tests.
Picks compared, over the tasks whose prompt states examples and over all tasks:

- first sample: sample 0;
- examples: the first sample that passes the examples (what ``solve`` picked on
  such a task before agreement); on a task with no examples, the first sample
  that passes the static checks (syntax, mypy; read off its recorded verdict);
- agreement, size: the leading group (``verifiers.agreement``) among every sample
  that passed the static checks, examples or not;
- agreement, combined: the leading group among the samples that pass the examples
  (every static survivor on a task with no examples): what ``solve`` does now;
- combined, majority: the same, but no pick (the task is not called solved) unless
  its group is a strict majority of the candidates grouped;
- dual (with ``--model-tests``, tests a model wrote for each task,
  ``benchmarks/write_tests.py``): the same pool, grouped with the tests' inputs added,
  each group scored by its size times one more than the model's tests it passes
  (``verifiers.agreement.dual_pick``). The same pick under gates that decide whether
  a task is called solved: "corroborated" (what ``solve`` does,
  ``sampler.core.selection.called_solved``: a strict majority agree; without
  examples, also a model test passed and a value on every input), and, on tasks
  without examples only, "1 test" and "half" (the pick passes at least that many of
  the model's tests);
- oracle: some drawn sample passes the withheld real tests.

For each: the share of tasks whose pick passes the withheld real tests (called
solved or not: a pick is always made when there is a candidate), how many tasks it
calls solved and how many of those picks are wrong, and the share of the
first-sample-to-oracle gap it closes. ``--limit``/``--skip`` take a slice of
the tasks (in suite order), ``--multi`` only tasks that drew two samples or more
(the only ones where the picks can differ). Groups come from
each sample's outputs on the task's inputs (its example calls, then inputs
generated from its signature), collected in the sandbox (``verifiers.outputs``).

Read it with the run's shape in mind: ``runs/full2/cascade`` stopped each task at
its first sample passing every check, so most tasks drew one sample (81 of 164)
and a right answer seldom appears twice (it does only where an earlier sample
passed the real tests and was disputed by the property check). Agreement gets
its evidence from several samples of a task, which ``solve`` now draws on tasks
without tests (it no longer stops at the first that passes the examples); this
replay cannot show that, and mostly measures whether grouping picks a wrong
answer where the examples pick was right.

    .venv/bin/python benchmarks/select_without_tests.py runs/full2/cascade [--limit K] [--skip K] [--multi]
    .venv/bin/python benchmarks/select_without_tests.py runs/full3/cascade runs/full2/cascade   # pooled
    .venv/bin/python benchmarks/select_without_tests.py runs/mbpp5 --tasks benchmarks/data/mbpp_style.jsonl
    .venv/bin/python benchmarks/select_without_tests.py runs/full3/cascade runs/full2/cascade \
        --model-tests runs/modeltests/humaneval-0.5b.jsonl

``benchmarks/data/mbpp_style.jsonl``: 24 tasks in MBPP's style written for this
benchmark (a one-line description and one ``assert`` example, no signature; hidden
tests of 3-6 asserts with edge cases; a reference), so no model has seen them. Draw
every sample for the replay: ``bestofn solve --tasks benchmarks/data/mbpp_style.jsonl
-n 5 --no-stop-on-first-pass --strong none --out runs/mbpp5``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from sampler.core.test_writing import parse_answer
from sampler.core.written_tests import WrittenTestsCollector
from sampler.storage.records import CHEAP, SampleRecord, sample_from_dict
from sampler.storage.store import SAMPLES, read_records
from tasks.examples import with_example_tests
from tasks.registry import load_suite, select_tasks
from tasks.types import Task
from verifiers.agreement import corroborated, dual_pick, pick
from verifiers.outputs import OutputCollector
from verifiers.sandbox import SandboxPool
from verifiers.types import Candidate, Status
from verifiers.unit_tests import UnitTestVerifier

BASE_RULES = ("first sample", "examples", "agreement, size", "agreement, combined", "combined, majority")
DUAL_RULES = ("dual, combined", "dual, corroborated", "dual, 1 test", "dual, half")
RULES = BASE_RULES + DUAL_RULES + ("oracle",)


def _real_pass(sample: SampleRecord) -> bool:
    # A disputed answer (tests passed, properties not) counts as passing the real tests.
    return sample.passed or (sample.status == "failed" and sample.verifier.endswith("properties"))


def _static_pass(sample: SampleRecord) -> bool:
    return sample.passed or sample.verifier.rsplit(":", 1)[-1] not in ("syntax", "mypy")


@dataclasses.dataclass
class Tally:
    """Per rule, over a set of tasks: picks right (called solved or not), tasks called
    solved, and of those the ones whose pick is wrong."""

    tasks: int = 0
    right: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(RULES, 0))
    made: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(RULES, 0))
    wrong: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(RULES, 0))
    grouped: int = 0
    """Tasks where agreement had two or more candidates to group."""


def picks_for(task: Task, samples: list[SampleRecord], verifier: UnitTestVerifier,
              collector: WrittenTestsCollector) -> tuple[dict[str, tuple[SampleRecord | None, bool]], int]:
    """Each rule's pick on one task and whether it calls the task solved, and how many
    candidates agreement grouped."""
    static = [s for s in samples if _static_pass(s)]
    if task.test_origin == "examples" and static:
        verdicts = verifier.verify(task, [Candidate(task.task_id, s.candidate_id, s.solution) for s in static])
        passing = [s for s, v in zip(static, verdicts) if v.status is Status.PASSED]
    else:
        passing = static  # no examples: solve picks on the static checks
    behaviours = {b.candidate_id: b for b in collector.behaviours(
        task, [Candidate(task.task_id, s.candidate_id, s.solution) for s in static])}
    by_id = {s.candidate_id: s for s in samples}
    written = collector.expected(task)

    def dual(pool: list[SampleRecord], gate: str = "") -> tuple[SampleRecord | None, bool]:
        if written is None:
            chosen = pick([behaviours[s.candidate_id] for s in pool])
        else:
            chosen = dual_pick([behaviours[s.candidate_id] for s in pool], *written)
        if chosen is None:
            first = pool[0] if pool else None
            return first, first is not None and (not gate or task.test_origin == "examples")
        if gate == "corroborated":  # solve's rule (sampler.core.selection.called_solved)
            examples = task.test_origin == "examples"
            called = examples if chosen.candidates < 2 else corroborated(chosen, examples_passed=examples)
            return by_id[chosen.candidate_id], called
        if not gate or task.test_origin == "examples":
            return by_id[chosen.candidate_id], True
        # Gates for tasks with no examples: the pick stays; the task is called solved only with this support.
        need = {"one": 1, "half": max(1, (chosen.tests + 1) // 2)}[gate]
        return by_id[chosen.candidate_id], chosen.tests_passed >= need

    def grouped(pool: list[SampleRecord], majority: bool = False) -> tuple[SampleRecord | None, bool]:
        chosen = pick([behaviours[s.candidate_id] for s in pool])
        if chosen is None:  # nothing to group (no inputs, or the sandbox broke): the first
            return (pool[0], True) if pool else (None, False)
        return by_id[chosen.candidate_id], not majority or chosen.share > 0.5

    first_passing = passing[0] if passing else None
    oracle = next((s for s in samples if _real_pass(s)), None)
    picks: dict[str, tuple[SampleRecord | None, bool]] = {
        "first sample": (samples[0], False),
        "examples": (first_passing, first_passing is not None),
        "agreement, size": grouped(static),
        "agreement, combined": grouped(passing),
        "combined, majority": grouped(passing, majority=True),
        "dual, combined": dual(passing),
        "dual, corroborated": dual(passing, "corroborated"),
        "dual, 1 test": dual(passing, "one"),
        "dual, half": dual(passing, "half"),
        "oracle": (oracle, False),
    }
    return picks, len(passing)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", type=Path, nargs="+",
                        help="HumanEval solve runs (samples.jsonl); with several, each task's cheap samples "
                             "are pooled, in the order the runs are given")
    parser.add_argument("--tasks", type=Path, default=None,
                        help="the runs' task file (default: the HumanEval suite)")
    parser.add_argument("--limit", type=int, default=None, help="only the first K tasks (after --skip)")
    parser.add_argument("--skip", type=int, default=0, help="skip the first K tasks")
    parser.add_argument("--multi", action="store_true", help="only tasks that drew two samples or more")
    parser.add_argument("--model-tests", type=Path, default=None,
                        help="tests a model wrote (benchmarks/write_tests.py): the dual rules use them")
    args = parser.parse_args()
    written: dict[str, str] = {}
    if args.model_tests:
        for line in args.model_tests.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                written[record["task_id"]] = record["text"]
    by_task: dict[str, list[SampleRecord]] = {}
    for run_index, run_dir in enumerate(args.run_dirs):
        drawn: dict[str, list[SampleRecord]] = {}
        for where, obj in read_records(run_dir / SAMPLES):
            sample = sample_from_dict(obj, where)
            if sample.tier == CHEAP:
                drawn.setdefault(sample.task_id, []).append(sample)
        for task_id, samples in drawn.items():
            # Pooled runs: each run's samples in their own order, after the earlier runs'.
            by_task.setdefault(task_id, []).extend(
                dataclasses.replace(s, candidate_id=f"r{run_index}:{s.candidate_id}",
                                    sample_index=len(by_task.get(task_id, [])) + rank)
                for rank, s in enumerate(sorted(samples, key=lambda s: s.sample_index)))
    source = select_tasks(args.tasks) if args.tasks else load_suite("humaneval")
    suite = [t for t in source if t.task_id in by_task
             and (not args.multi or len(by_task[t.task_id]) > 1)]
    suite = suite[args.skip:][:args.limit]
    tasks = [with_example_tests(dataclasses.replace(t, test="")) for t in suite]
    tallies = {"examples": Tally(), "none": Tally(), "all": Tally()}
    start = time.monotonic()
    test_count = 0
    tests = {t.task_id: parse_answer(t, written.get(t.task_id, "")) for t in tasks}
    test_count = sum(len(found) for found in tests.values())
    with SandboxPool(workers=2) as pool, UnitTestVerifier(pool=pool) as verifier, \
            OutputCollector(pool=pool) as outputs:
        collector = WrittenTestsCollector(outputs, tests)
        for task in tasks:
            samples = sorted(by_task[task.task_id], key=lambda s: s.sample_index)
            picks, candidates = picks_for(task, samples, verifier, collector)
            for name in ("all", "examples" if task.test_origin == "examples" else "none"):
                tally = tallies[name]
                tally.tasks += 1
                tally.grouped += candidates >= 2
                for rule, (chosen, called) in picks.items():
                    right = chosen is not None and _real_pass(chosen)
                    tally.right[rule] += right
                    tally.made[rule] += called
                    tally.wrong[rule] += called and not right
    seconds = time.monotonic() - start
    print(f"runs: {', '.join(str(d) for d in args.run_dirs)}: their cheap samples, as drawn (pooled per task "
          "in run order when several; a run that stopped each task at its first sample "
          "passing every check holds few per task), judged again without the real tests: the prompt's examples in the sandbox, "
          "agreement on each task's example calls plus generated inputs; a pick is right when it passed the "
          f"withheld real tests in the run. {len(tasks)} tasks"
          + (f" (skip {args.skip}, limit {args.limit}{', two samples or more' if args.multi else ''})"
             if args.limit is not None or args.skip or args.multi else "")
          + f", {seconds:.0f} s."
          + (f" Model-written tests: {args.model_tests}, {test_count} usable." if args.model_tests else
             " No model-written tests: the dual rules are agreement alone."), file=sys.stderr)
    for name, tally in tallies.items():
        label = {"examples": "tasks with examples in the prompt", "none": "tasks without examples",
                 "all": "all tasks (no examples: static)"}[name]
        print(f"\n{label}: {tally.tasks}, of which {tally.grouped} with two or more candidates to group",
              file=sys.stderr)
        if not tally.tasks:
            continue
        print(f"  {'pick':<26} {'right':>7} {'called solved':>14} {'of them wrong':>14} {'gap closed':>11}",
              file=sys.stderr)
        first, oracle = tally.right["first sample"], tally.right["oracle"]
        for rule in RULES:
            gap = (tally.right[rule] - first) / (oracle - first) if oracle > first else float("nan")
            made, wrong = (("-", "-") if rule in ("first sample", "oracle")  # not picks: bounds
                           else (str(tally.made[rule]), str(tally.wrong[rule])))
            print(f"  {rule:<26} {tally.right[rule] / tally.tasks:>7.1%} {made:>14} {wrong:>14} {gap:>11.0%}",
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
