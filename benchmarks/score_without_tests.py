"""Scores a ``solve`` run made on HumanEval tasks without their tests against the real tests.

``select_without_tests.py`` replays runs drawn with the tests (each task stopped at
its first pass); this scores a run made the way a user without tests makes one:
the tasks stripped to ``task_id``, ``prompt`` and ``entry_point``, everything else
(written tests, agreement, when to stop, escalation) left to ``solve``'s defaults.

    .venv/bin/python benchmarks/score_without_tests.py --write-tasks /tmp/he_notests.jsonl
    .venv/bin/bestofn solve /tmp/he_notests.jsonl --out runs/notests3
    .venv/bin/python benchmarks/score_without_tests.py runs/notests3
    .venv/bin/python benchmarks/score_without_tests.py runs/mbpp-notests --tasks benchmarks/data/mbpp_style.jsonl
    # both MBPP-style sets (56 tasks) in one run:
    .venv/bin/python benchmarks/score_without_tests.py --write-tasks /tmp/mbpp_notests.jsonl \
        --tasks benchmarks/data/mbpp_style.jsonl --tasks benchmarks/data/mbpp_style_b.jsonl
    .venv/bin/bestofn solve /tmp/mbpp_notests.jsonl --seed 2 --out runs/mbpp56
    .venv/bin/python benchmarks/score_without_tests.py runs/mbpp56 \
        --tasks benchmarks/data/mbpp_style.jsonl --tasks benchmarks/data/mbpp_style_b.jsonl
    # several runs, each on its own set, scored apart and pooled:
    .venv/bin/python benchmarks/score_without_tests.py --set runs/mbppl benchmarks/data/mbpp_style_l.jsonl \
        --set runs/mbppm benchmarks/data/mbpp_style_m.jsonl

Every drawn sample and every pick (the solution of a task called solved, else its
``guess``) is run against HumanEval's own tests in the sandbox. Printed, over all
tasks and apart for tasks whose prompt states examples and tasks without: how many
picks pass (called solved or not), the first sample's and the oracle's (some drawn
sample passes) rates, the share of that gap the pick closes, how many tasks ``solve``
called solved and how many of those are wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.examples import with_example_tests  # noqa: E402
from tasks.registry import load_suite, select_tasks  # noqa: E402
from tasks.types import Task  # noqa: E402
from verifiers.sandbox import SandboxPool  # noqa: E402
from verifiers.types import Candidate, Status  # noqa: E402
from verifiers.unit_tests import UnitTestVerifier  # noqa: E402


@dataclass(frozen=True)
class Scored:
    task_id: str
    examples: bool
    called: bool
    pick_right: bool
    first_right: bool
    oracle: bool
    samples: int
    second_reader: str = ""
    careful_reader: str = ""
    reader_tests: str = ""


def _passes(verifier: UnitTestVerifier, task: Task, codes: list[tuple[str, str]]) -> dict[str, bool]:
    cands = [Candidate(task.task_id, cid, code) for cid, code in codes]
    return {c.candidate_id: v.status is Status.PASSED for c, v in zip(cands, verifier.verify(task, cands))}


def _tasks(files: list[Path] | None) -> list[Task]:
    """The tasks with their tests: those in ``files`` (in order), else HumanEval."""
    return [t for f in files for t in select_tasks(f)] if files else list(load_suite("humaneval"))


def score(run: Path, tasks: list[Path] | None = None) -> list[Scored]:
    suite = {t.task_id: t for t in _tasks(tasks)}
    results: dict[str, dict[str, object]] = {}
    for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        results[record["task_id"]] = record  # the last line of a task is its result
    samples: dict[str, list[dict[str, object]]] = {}
    for line in (run / "samples.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        samples.setdefault(str(record["task_id"]), []).append(record)
    rows = []
    with SandboxPool(workers=2) as pool, UnitTestVerifier(pool=pool) as verifier:
        for task_id, result in results.items():
            task = suite[task_id]
            drawn = sorted(samples.get(task_id, []), key=lambda s: (s["tier"] != "cheap", int(str(s["sample_index"]))))
            codes = [(str(s["candidate_id"]), str(s["solution"])) for s in drawn if s.get("solution")]
            pick = result["solution"] if result["solved"] else result.get("guess")
            if pick is not None:
                codes.append(("pick", str(pick)))
            passed = _passes(verifier, task, codes)
            examples = with_example_tests(Task(task.task_id, task.prompt, task.entry_point, "",
                                               test_origin="none")).test_origin == "examples"
            rows.append(Scored(task_id, examples, bool(result["solved"]), passed.get("pick", False),
                               bool(drawn) and passed.get(str(drawn[0]["candidate_id"]), False),
                               any(passed.get(str(s["candidate_id"]), False) for s in drawn), len(drawn),
                               str(result.get("second_reader", "")), str(result.get("careful_reader", "")),
                               str(result.get("reader_tests", ""))))
    return rows


def report(label: str, rows: list[Scored]) -> None:
    if not rows:
        return
    n = len(rows)
    pick, first, oracle = (sum(r.pick_right for r in rows), sum(r.first_right for r in rows),
                           sum(r.oracle for r in rows))
    called = [r for r in rows if r.called]
    wrong = sum(not r.pick_right for r in called)
    gap = f"{(pick - first) / (oracle - first):.0%}" if oracle > first else "-"
    print(f"{label}: {n} tasks, {sum(r.samples for r in rows)} samples; pick right {pick} ({pick / n:.1%}), "
          f"first sample {first} ({first / n:.1%}), oracle {oracle} ({oracle / n:.1%}), gap closed {gap}; "
          f"called solved {len(called)}, of them wrong {wrong}"
          + (f" ({(len(called) - wrong) / len(called):.1%} right)" if called else ""))
    for name, said in (("second reader", "second_reader"), ("careful reader", "careful_reader"),
                       ("the strong model's tests", "reader_tests")):
        asked = [r for r in rows if getattr(r, said)]
        vetoed = [r for r in asked if getattr(r, said) == "disagrees"]
        if asked:
            print(f"  {name} asked on {len(asked)}: agreed {len(asked) - len(vetoed)}, disagreed {len(vetoed)} "
                  f"(of the guesses kept instead, {sum(r.pick_right for r in vetoed)} are right)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, nargs="?", help="a solve run directory")
    parser.add_argument("--write-tasks", type=Path, help="write the tasks without tests to this file and stop")
    parser.add_argument("--tasks", type=Path, action="append",
                        help="a task file with its tests, repeatable (default: the HumanEval suite)")
    parser.add_argument("--set", nargs=2, type=Path, action="append", metavar=("RUN", "TASKS"), default=[],
                        help="score several runs, each on its own task file, and pool them (repeatable)")
    args = parser.parse_args()
    if args.set:
        pooled: list[Scored] = []
        for run, tasks in args.set:
            rows = score(run, [tasks])
            report(str(run), rows)
            pooled += rows
        report(f"pooled over {len(args.set)} runs", pooled)
        return 0
    if args.write_tasks:
        with args.write_tasks.open("w", encoding="utf-8") as f:
            for task in _tasks(args.tasks):
                f.write(json.dumps({"task_id": task.task_id, "prompt": task.prompt,
                                    "entry_point": task.entry_point}) + "\n")
        return 0
    if args.run is None:
        parser.error("give a run directory or --write-tasks")
    rows = score(args.run, args.tasks)
    report("all tasks", rows)
    report("tasks whose prompt states examples", [r for r in rows if r.examples])
    report("tasks without examples", [r for r in rows if not r.examples])
    return 0


if __name__ == "__main__":
    sys.exit(main())
