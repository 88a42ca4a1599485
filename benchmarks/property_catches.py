"""What the cheap-first pipeline adds over the unit tests, on a solve run's samples.

Reads ``DIR/samples.jsonl`` (task_id, candidate_id, solution, ...; a later line for
the same candidate supersedes an earlier one) over HumanEval tasks and prints:

* samples that pass the unit tests but fail the property check (real catches),
  with one example (task, counterexample), and those where properties did not
  apply;
* samples that pass the unit tests but fail mypy;
* the duplicate rate: samples whose normalised code (``ast.dump``) repeats an
  earlier sample of the same task, over all samples;
* the verification time the cache saves: the full pipeline (syntax, mypy,
  tests, properties) over the same samples without the cache, then with a fresh
  one (both with a fresh pipeline on one shared, already started sandbox pool).

``--synthetic DIR`` first writes a small samples.jsonl into DIR from HumanEval/0-39
canonical solutions, mutated (mostly wrong) variants and duplicates (some
reformatted), for testing this script without a model.

Run: ``.venv/bin/python benchmarks/property_catches.py --run runs/demo``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.humaneval import load_humaneval  # noqa: E402
from tasks.program import reference_program  # noqa: E402
from tasks.types import Task  # noqa: E402
from verifiers.cache import code_key  # noqa: E402
from verifiers.pipeline import SyntaxVerifier, make_pipeline  # noqa: E402
from verifiers.properties import PropertyVerifier  # noqa: E402
from verifiers.sandbox import SandboxPool  # noqa: E402
from verifiers.typecheck import TypeCheckVerifier  # noqa: E402
from verifiers.types import Candidate, Status  # noqa: E402
from verifiers.unit_tests import UnitTestVerifier  # noqa: E402

MUTATIONS = [("<=", "<"), (" < ", " <= "), (">=", ">"), (" > ", " >= "), ("+ 1", "+ 2"), ("- 1", ""),
             ("== 0", "!= 0"), ("[1:]", "[2:]"), ("[::-1]", ""), ("True", "False"), ("sorted(", "list(")]


def write_synthetic(out: Path, tasks: list[Task]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for task in tasks:
        ref = reference_program(task)
        if ref is None:
            continue
        body = task.canonical_solution or ""
        variants = [ref, ref, ref.replace("\n", "\n\n", 1) + "# a comment\n"]
        for old, new in MUTATIONS:
            if old in body:
                variants.append(task.prompt + body.replace(old, new, 1))
            if len(variants) >= 6:
                break
        variants.append(task.prompt + "    return None\n")
        for i, source in enumerate(variants):
            lines.append({"task_id": task.task_id, "candidate_id": f"s{i}", "sample_index": i,
                          "passed": None, "status": None, "solution": source})
    with open(out / "samples.jsonl", "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line) + "\n")
    print(f"wrote {len(lines)} synthetic samples to {out / 'samples.jsonl'}")


def read_samples(run: Path) -> dict[str, list[Candidate]]:
    latest: dict[tuple[str, str], Candidate] = {}
    with open(run / "samples.jsonl", encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row.get("solution"), str):
                raise SystemExit(f"{run / 'samples.jsonl'}:{number}: no solution field")
            latest[(row["task_id"], row["candidate_id"])] = Candidate(row["task_id"], row["candidate_id"], row["solution"])
    by_task: dict[str, list[Candidate]] = defaultdict(list)
    for cand in latest.values():
        by_task[cand.task_id].append(cand)
    return by_task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="solve run directory with samples.jsonl")
    parser.add_argument("--synthetic", action="store_true", help="first write synthetic samples into --run")
    parser.add_argument("--limit", type=int, default=40, help="HumanEval tasks (synthetic samples)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    tasks = {t.task_id: t for t in load_humaneval()}
    if args.synthetic:
        write_synthetic(args.run, list(tasks.values())[: args.limit])
    samples = read_samples(args.run)
    unknown = sorted(set(samples) - set(tasks))
    if unknown:
        raise SystemExit(f"samples for tasks that are not HumanEval tasks: {unknown[:3]}")
    total = sum(len(c) for c in samples.values())
    duplicates = sum(len(c) - len({code_key(x.source) for x in c}) for c in samples.values())
    print(f"{total} samples over {len(samples)} tasks")
    print(f"duplicate rate (normalised code, within a task): {duplicates}/{total} = {duplicates / max(1, total):.1%}")

    with SandboxPool(workers=args.workers) as pool:
        # Each stage on its own (tests on every sample that compiles; mypy and properties on test passers).
        syntax = SyntaxVerifier()
        tests = UnitTestVerifier(pool=pool)
        props = PropertyVerifier(pool=pool)
        with TypeCheckVerifier() as mypy:
            passed_tests = 0
            catches: list[tuple[str, str, str]] = []
            not_applicable = 0
            mypy_fails: list[tuple[str, str, str]] = []
            for task_id, cands in sorted(samples.items(), key=lambda kv: int(kv[0].split("/")[1])):
                task = tasks[task_id]
                compiles = [c for c, v in zip(cands, syntax.verify(task, cands)) if v.passed]
                passers = [c for c, v in zip(compiles, tests.verify(task, compiles)) if v.passed]
                passed_tests += len(passers)
                if not passers:
                    continue
                for cand, verdict in zip(passers, props.verify(task, passers)):
                    if verdict.detail.startswith("not applicable"):
                        not_applicable += 1
                    elif not verdict.passed and verdict.status is not Status.ERROR:
                        catches.append((task_id, cand.candidate_id, verdict.detail))
                for cand, verdict in zip(passers, mypy.verify(task, passers)):
                    if not verdict.passed and verdict.status is not Status.ERROR:
                        mypy_fails.append((task_id, cand.candidate_id, verdict.detail))
        print(f"pass the unit tests: {passed_tests}")
        print(f"  ... but fail properties: {len(catches)} (properties not applicable to {not_applicable})")
        for task_id, cid, detail in catches[:3]:
            print(f"    e.g. {task_id} {cid}: {detail}")
        print(f"  ... but fail mypy: {len(mypy_fails)}")
        for task_id, cid, detail in mypy_fails[:2]:
            print(f"    e.g. {task_id} {cid}: {detail}")

        timings = {}
        for label, use_cache in (("without cache", False), ("with cache", True)):
            with make_pipeline(pool=pool, cache=use_cache) as pipeline:
                start = time.perf_counter()
                for task_id, cands in samples.items():
                    pipeline.verify(tasks[task_id], cands)
                timings[label] = time.perf_counter() - start
                ran = {name: (s.ran, s.cached) for name, s in pipeline.stats().items()}
            print(f"pipeline {label}: {timings[label]:.1f} s; per stage (ran, cached): {ran}")
        saved = timings["without cache"] - timings["with cache"]
        print(f"cache saved {saved:.1f} s ({saved / max(1e-9, timings['without cache']):.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
