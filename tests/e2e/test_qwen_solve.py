"""End to end: the packaged Qwen2.5-Coder pair on llama.cpp, the real sandbox, via the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_default_cheap_tier_and_real_strong_tier(tmp_path: Path) -> None:
    """The defaults (packaged 0.5B cheap tier, the 1.5B strong tier) on two easy tasks; then
    a task the cheap tier fails (a replay of wrong answers) goes to the 1.5B."""
    out = tmp_path / "run"
    args = [sys.executable, "-m", "sampler.cli", "solve", "--suite", "humaneval", "--limit", "2",
            "--skip", "2", "--out", str(out), "--quiet"]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    samples = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in results) == ["HumanEval/2", "HumanEval/3"]
    assert all(s["model"] == "qwen2.5-coder-0.5b" and s["tokens"] > 0 for s in samples
               if s["tier"] == "cheap")
    assert sum(r["solved"] for r in results) >= 1, proc.stderr[-2000:]
    for r in results:
        passed = any(s["passed"] for s in samples if s["task_id"] == r["task_id"])
        # Solved: a sample passed every check, or (disputed_by) passed the tests and only the property check disagreed.
        assert r["solved"] == (passed or bool(r["disputed_by"]))
    assert list(out.glob("llama-server-*.log")), "the engine's log goes to the run directory"

    # The strong tier for real: cheap answers scripted wrong, so the task escalates.
    script = tmp_path / "wrong.jsonl"
    script.write_text(json.dumps({"task_id": "HumanEval/2",
                                  "completion": "```python\ndef truncate_number(number: float) -> float:\n"
                                                "    return 0.0\n```"}) + "\n")
    out2 = tmp_path / "escalated"
    args = [sys.executable, "-m", "sampler.cli", "solve", "--suite", "humaneval", "--skip", "2",
            "--limit", "1", "-n", "2", "--model", f"replay:{script}", "--strong", "qwen2.5-coder-1.5b",
            "--strong-samples", "2",
            "--out", str(out2), "--quiet"]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [result] = [json.loads(x) for x in (out2 / "results.jsonl").read_text().splitlines()]
    strong = [json.loads(x) for x in (out2 / "samples.jsonl").read_text().splitlines()]
    strong = [s for s in strong if s["tier"] == "strong"]
    assert result["escalated"] and strong
    assert all(s["model"] == "qwen2.5-coder-1.5b" and s["tokens"] > 0 for s in strong)
    assert result["solved"] and result["tier"] == "strong", proc.stderr[-2000:]
