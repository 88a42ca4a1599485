"""``bestofn`` through ``cluster.cli``: --cluster builds engines and verifiers on Ray;
bad input fails before Ray starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.fakes import fenced, make_task

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "BESTOFN_CLUSTER")}
    return subprocess.run([sys.executable, "-m", "cluster.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def files(tmp_path: Path) -> tuple[Path, Path]:
    tasks, script = tmp_path / "tasks.jsonl", tmp_path / "replay.jsonl"
    with tasks.open("w") as f:
        for i in range(4):
            t = make_task(i)
            f.write(json.dumps({"task_id": t.task_id, "prompt": t.prompt, "entry_point": t.entry_point,
                                "test": t.test, "canonical_solution": t.canonical_solution}) + "\n")
    with script.open("w") as f:
        for i in range(4):
            for j in range(3):
                body = (f"def f{i}(x: int) -> int:\n    return x + {i}\n" if j == i % 3
                        else f"def f{i}(x: int) -> int:\n    return x +\n")
                f.write(json.dumps({"task_id": f"T/{i}", "completion": fenced(body)}) + "\n")
    return tasks, script


def test_bad_model_fails_with_exit_2_before_ray_starts(tmp_path: Path) -> None:
    tasks, _ = files(tmp_path)
    proc = cli("solve", str(tasks), "--model", "replay:/nonexistent.jsonl", "--engines", "2",
               "--out", str(tmp_path / "out"), "--quiet", timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == \
        "bestofn: error: replay script /nonexistent.jsonl: no such file"


@pytest.mark.slow
def test_two_engines_on_embedded_ray_through_the_cli(tmp_path: Path) -> None:
    tasks, script = files(tmp_path)
    out = tmp_path / "out"
    proc = cli("solve", str(tasks), "--model", f"replay:{script}", "-n", "3", "--engines", "2",
               "--verifiers", "syntax", "--out", str(out), "--quiet", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Ray (local): 2 engine(s)" in proc.stderr
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    samples = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in results) == [f"T/{i}" for i in range(4)]
    assert all(r["solved"] and r["candidate_id"] == f"s{int(r['task_id'][2:]) % 3}" for r in results)
    keys = [(s["task_id"], s["candidate_id"]) for s in samples]
    assert len(keys) == len(set(keys))
