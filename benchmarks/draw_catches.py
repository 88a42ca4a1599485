"""What the property check's inputs catch, drawn by hypothesis' engine or without it.

Drawing a task's inputs is hypothesis' engine (``verifiers.input_generation``): about
0.055 s of CPU a task here, most of a default ``verify``'s first sight. Drawing
straight from the same strategies (``ConjectureData`` with a seeded random, no engine)
is about 3x cheaper, but the engine also repeats and shrinks what it drew. This
measures whether that matters: every candidate goes through the property check alone
(each variant with a fresh cache of its own, in its own process), and the verdicts are
compared.

Candidates: one-edit mutants of the 164 HumanEval references (``<=`` for ``<``,
``+ 1`` for ``+ 2``, ``max(`` for ``min(``, ... at each place they fit), and the
samples of a solve run's ``samples.jsonl`` when ``--run`` is given.

Variants: ``engine`` (what ``verify`` does), ``direct`` (no engine), ``hybridK``
(100-K drawn by the engine, K without it), ``edges`` (the engine's, and the variants
of the prompt's example calls the agreement check uses, ``verifiers.edge_inputs``).

Run: ``.venv/bin/python benchmarks/draw_catches.py --run runs/full20/cascade``
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MUTATIONS = [("<=", "<"), (" < ", " <= "), (">=", ">"), (" > ", " >= "), ("+ 1", "+ 2"), ("- 1", ""),
             ("+ 1", ""), ("== 0", "!= 0"), ("[1:]", "[2:]"), ("[::-1]", ""), ("True", "False"),
             ("sorted(", "list("), (" and ", " or "), (" or ", " and "), ("== 1", "== 2"),
             ("range(1,", "range(0,"), ("range(2,", "range(3,"), ("% 2", "% 3"), ("max(", "min("),
             ("min(", "max("), ("[0]", "[1]"), ("[-1]", "[0]"), ("len(", "1 + len("), ("return 0", "return 1"),
             ("return []", "return [0]")]


def _direct(shapes: Sequence[Any], count: int, seed: int) -> list[tuple[Any, ...]]:
    from hypothesis.control import BuildContext
    from hypothesis.errors import StopTest
    from hypothesis.internal.conjecture.data import ConjectureData

    from verifiers.input_generation import to_strategy
    from verifiers.shapes import Shape
    from verifiers.strategies import is_plain

    strategy = to_strategy(Shape("tuple", tuple(shapes)))
    rnd = random.Random(seed)
    unique: dict[str, tuple[Any, ...]] = {}
    for _ in range(count * 2):
        data = ConjectureData(random=rnd)
        try:
            with BuildContext(data, wrapped_test=lambda: None, is_final=False):
                args = data.draw(strategy)
        except StopTest:
            continue
        if is_plain(args):
            unique.setdefault(repr(args), args)
        if len(unique) >= count:
            break
    return [args for _, args in sorted(unique.items(), key=lambda kv: (len(kv[0]), kv[0]))]


def _stored(drawn: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The inputs as the check reads them back from its cache (a set's order)."""
    from verifiers import input_generation
    from verifiers.runtime.codec import encode

    return input_generation._decoded(encode(drawn)) or drawn


def _variant_generator(variant: str) -> Any:
    from verifiers import input_generation

    if variant in ("engine", "edges"):
        return None
    if variant == "direct":
        return lambda shapes, count, seed: _stored(_direct(shapes, count, seed))
    if variant.startswith("hybrid") and variant[6:].isdigit():
        share = int(variant[6:])

        def hybrid(shapes: Sequence[Any], count: int, seed: int) -> list[tuple[Any, ...]]:
            both = input_generation._draw(shapes, count - share, seed) + _direct(shapes, share, seed + 1)
            unique = {repr(args): args for args in reversed(both)}
            return _stored([args for _, args in sorted(unique.items(), key=lambda kv: (len(kv[0]), kv[0]))])
        return hybrid
    raise SystemExit(f"unknown variant {variant!r}: engine, direct, hybridK or edges")


def _candidates(run: Path | None) -> dict[str, list[Any]]:
    from tasks.humaneval import load_humaneval
    from verifiers.types import Candidate

    by_task: dict[str, list[Any]] = collections.defaultdict(list)
    for task in load_humaneval():
        body = task.canonical_solution or ""
        for old, new in MUTATIONS:
            start = 0
            while (at := body.find(old, start)) >= 0:
                source = task.prompt + body[:at] + new + body[at + len(old):]
                by_task[task.task_id].append(Candidate(task.task_id, f"m{len(by_task[task.task_id])}", source))
                start = at + 1
    if run is not None:
        with open(run / "samples.jsonl", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                by_task[row["task_id"]].append(Candidate(row["task_id"], "r" + row["candidate_id"], row["solution"]))
    return by_task


def _one_variant(variant: str, run: Path | None, out: Path) -> None:
    """In a process of its own, with its own cache (set by the caller)."""
    from tasks.humaneval import load_humaneval
    from verifiers import properties
    from verifiers.sandbox import SandboxPool

    generator = _variant_generator(variant)
    if generator is not None:
        setattr(properties, "generate_inputs", generator)  # what make_plan draws with
    if variant == "edges":
        from recheck_picks import _with_edges
        _with_edges()
    tasks = {t.task_id: t for t in load_humaneval()}
    verdicts: dict[str, str] = {}
    details: dict[str, str] = {}
    with SandboxPool(workers=2) as pool:
        check = properties.PropertyVerifier(pool=pool)
        started = time.process_time()
        for task in tasks.values():
            check.plan(task)
        draw_cpu = time.process_time() - started
        for task_id, candidates in _candidates(run).items():
            for verdict in check.verify(tasks[task_id], candidates):
                key = f"{task_id}|{verdict.candidate_id}"
                verdicts[key], details[key] = verdict.status.value, verdict.detail[:160]
    out.write_text(json.dumps({"draw_cpu": draw_cpu, "verdicts": verdicts, "details": details}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, help="a solve run whose samples.jsonl adds candidates")
    parser.add_argument("--variants", default="engine,direct,hybrid30")
    parser.add_argument("--one", nargs=2, metavar=("VARIANT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one_variant(args.one[0], args.run, Path(args.one[1]))
        return
    found: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants.split(","):
            out = Path(tmp) / f"{variant}.json"
            env = {**os.environ, "BESTOFN_CACHE": str(Path(tmp) / f"cache-{variant}")}
            extra = ["--run", str(args.run)] if args.run else []
            subprocess.run([sys.executable, __file__, *extra, "--one", variant, str(out)], check=True, env=env)
            found[variant] = json.loads(out.read_text())
    base = found["engine"]["verdicts"] if "engine" in found else None
    for variant, result in found.items():
        verdicts = result["verdicts"]
        counts = collections.Counter(verdicts.values())
        line = (f"{variant}: drawing the 164 tasks' inputs {result['draw_cpu']:.1f} s of CPU; of {len(verdicts)} "
                f"candidates failed {counts['failed']}, passed {counts['passed']}, other {len(verdicts) - counts['failed'] - counts['passed']}")
        if base is not None and variant != "engine":
            lost = [k for k in base if base[k] == "failed" and verdicts[k] == "passed"]
            gained = [k for k in base if verdicts[k] == "failed" and base[k] == "passed"]
            line += f"; against the engine: {len(lost)} no longer caught, {len(gained)} caught anew"
            for key in lost[:8]:
                line += f"\n  missed {key}: {found['engine']['details'][key]}"
        print(line)


if __name__ == "__main__":
    main()
