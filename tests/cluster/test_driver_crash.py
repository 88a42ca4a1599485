"""The driver is SIGKILLed mid-run on a Ray cluster; a rerun resumes from the result
store: every task gets exactly one result, no sample is recorded twice, and the
samples verified before the crash are reused, not drawn again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.ray_driver import N, TASKS
from tests.cluster.test_engines import wait_free

ROOT = Path(__file__).resolve().parents[2]


def records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a torn last line, as a crash may leave
    return out


def driver(address: str, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.cluster.ray_driver", address, str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_driver_killed_mid_run_resumes_with_nothing_lost_or_duplicated(ray_local: Any,
                                                                       tmp_path: Path) -> None:
    address = ray_local.get_runtime_context().gcs_address
    out = tmp_path / "run"
    first = driver(address, out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None:
        if len(records(out / "results.jsonl")) >= 3:
            break
        time.sleep(0.05)
    assert first.poll() is None, first.communicate()[0][-3000:]
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    before = records(out / "samples.jsonl")
    done_before = {r["task_id"] for r in records(out / "results.jsonl")}
    assert 3 <= len(done_before) < TASKS

    second = driver(address, out)
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output[-3000:]

    results = records(out / "results.jsonl")
    samples = records(out / "samples.jsonl")
    assert sorted(r["task_id"] for r in results) == sorted(f"T/{i}" for i in range(TASKS))
    keys = [(s["task_id"], s["candidate_id"]) for s in samples]
    assert len(keys) == len(set(keys)), "a sample was recorded twice"
    assert samples[:len(before)] == before  # appended only
    for r in results:
        i = int(r["task_id"].split("/")[1])
        assert r["solved"] == bool(i % 3)
        if r["solved"]:
            assert r["candidate_id"] == f"s{i % N}"
    # The dead driver's actors died with it: its simulated GPUs are free again.
    assert wait_free(ray_local, "GPU_SIM", 4)
