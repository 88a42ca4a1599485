"""End to end: the real vLLM CPU engine with the packaged model, the real sandbox, via the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_solve_three_humaneval_tasks_with_packaged_model(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = [sys.executable, "-m", "sampler.cli", "solve", "--suite", "humaneval", "--limit", "3",
            "--model", "smollm2-135m", "-n", "4", "--max-tokens", "256", "--out", str(out), "--quiet",
            "--no-stop-on-first-pass", "--strong", "same", "--strong-samples", "2",
            "--strong-rounds", "1", "--strong-max-tokens", "256"]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = sorted((json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()),
                     key=lambda r: r["task_id"])
    samples = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert [r["task_id"] for r in results] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    cheap = [s for s in samples if s["tier"] == "cheap"]
    strong = [s for s in samples if s["tier"] == "strong"]
    assert len(cheap) == 12
    # Escalation (the same engine) exactly for the tasks no cheap sample passed every check of
    # (one disputed by the property check alone goes too, its answer kept as the fallback).
    unsolved_by_cheap = {r["task_id"] for r in results
                         if not any(s["passed"] for s in cheap if s["task_id"] == r["task_id"])}
    assert {r["task_id"] for r in results if r["escalated"]} == unsolved_by_cheap
    assert len(strong) == 2 * len(unsolved_by_cheap)
    assert all(r["model"] == "smollm2-135m" for r in results)
    assert all(s["tokens"] > 0 for s in samples)
    assert sum(r["tokens_generated"] for r in results) == sum(s["tokens"] for s in samples)
    assert "strong tier: the cheap engine itself" in proc.stderr
    # Real model output reached the verifier: at least one sample parsed into the task's function.
    assert any("def " in s["solution"] for s in samples)
    for r in results:
        passed = any(s["passed"] for s in samples if s["task_id"] == r["task_id"])
        assert r["solved"] == (passed or bool(r["disputed_by"]))
    assert "solved" in proc.stderr and "pass@1" in proc.stderr and "tokens generated" in proc.stderr

