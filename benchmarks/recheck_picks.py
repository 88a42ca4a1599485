"""A finished run's answers under a far stronger property check than the one that chose them.

``solve`` checks each answer against the reference on 100 generated inputs. This
checks every answer a run called solved (``results.jsonl``, its code from
``samples.jsonl``) again, on ``--examples`` inputs (500 by default) drawn with another
seed (``--salt``), with a probe given ``--probe-seconds`` to run the reference, and
prints each answer that now fails: a wrong answer the default check let through, or a
place where the reference itself is quirky (read the counterexample). Answers the run
already marked disputed (``disputed_by``) are flagged with ``!``.

``--edges`` adds the variants of the prompt's own example calls that the agreement
check uses (``verifiers.edge_inputs``): empty, repeated, case-swapped, negated ...

Run: ``.venv/bin/python benchmarks/recheck_picks.py runs/full20/cascade [--examples 500] [--salt 7]``
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _with_edges() -> None:
    """The property check's plans with the example calls' edge variants added."""
    from tasks.types import Task
    from verifiers import properties, strategies
    from verifiers.edge_inputs import edge_calls
    from verifiers.stated_domain import Domain

    drawn_only = properties.make_plan

    def plan_with_edges(task: Task, config: properties.PropertyConfig) -> properties.PropertyPlan:
        plan = drawn_only(task, config)
        if not plan.applicable:
            return plan
        arity = len(plan.inputs[0])
        examples = [c for c in strategies.observed_calls(task, arity) if strategies.is_plain(c)]
        unique = {repr(c): c for c in plan.inputs}
        for call in edge_calls(examples, Domain.stated(task.prompt)):
            if len(call) == arity:
                unique.setdefault(repr(call), call)
        return properties.PropertyPlan(plan.task_id, tuple(unique.values()))

    setattr(properties, "make_plan", plan_with_edges)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a solve run directory (results.jsonl, samples.jsonl)")
    parser.add_argument("--examples", type=int, default=500, help="generated inputs a task (solve: 100)")
    parser.add_argument("--salt", type=int, default=7, help="varies the inputs' seed (solve: 0)")
    parser.add_argument("--probe-seconds", type=float, default=20.0, help="the reference's time (solve: 1)")
    parser.add_argument("--edges", action="store_true", help="add the example calls' edge variants")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        os.environ["BESTOFN_CACHE"] = cache  # inputs and probes of their own, drawn afresh
        if args.edges:
            _with_edges()
        from tasks.registry import load_suite
        from verifiers.properties import PropertyConfig, PropertyVerifier
        from verifiers.sandbox import SandboxPool
        from verifiers.types import Candidate

        tasks = {t.task_id: t for t in load_suite("humaneval")}
        code: dict[tuple[str, str], str] = {}
        with open(args.run / "samples.jsonl", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                code[(row["task_id"], row["candidate_id"])] = row["solution"]
        picks: list[tuple[Candidate, bool]] = []
        with open(args.run / "results.jsonl", encoding="utf-8") as handle:
            for line in handle:
                result: dict[str, Any] = json.loads(line)
                if result.get("solved") and result["task_id"] in tasks:
                    key = (result["task_id"], result["candidate_id"])
                    picks.append((Candidate(key[0], key[1], code[key]), bool(result.get("disputed_by"))))
        config = PropertyConfig(examples=args.examples, salt=args.salt, probe_seconds=args.probe_seconds)
        counts: collections.Counter[str] = collections.Counter()
        with SandboxPool(workers=2) as pool, PropertyVerifier(pool=pool, config=config) as check:
            for candidate, disputed in picks:
                [verdict] = check.verify(tasks[candidate.task_id], [candidate])
                counts[("disputed " if disputed else "") + verdict.status.value] += 1
                if verdict.status.value != "passed":
                    flag = "!" if disputed else " "
                    print(f"{flag} {candidate.task_id} {candidate.candidate_id}: {verdict.status.value}: "
                          f"{verdict.detail[:200]}")
    clean = len(picks) - sum(1 for _, disputed in picks if disputed)
    print(f"{len(picks)} answers called solved in {args.run} ({clean} passing every check there), rechecked on "
          f"{args.examples} inputs (salt {args.salt}{', with edge variants' if args.edges else ''}): "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
