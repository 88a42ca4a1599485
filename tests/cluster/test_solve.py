"""A whole solve through Ray (replay engines, verifier workers) via ``sampler.core.api.solve``:
results complete, no sample recorded twice, even with an engine and a verifier worker
killed mid-run; a rerun resumes from the store and adds nothing."""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cluster.engine_host import EngineResources, EngineSpec
from cluster.engines import RayEnginePool
from cluster.verifiers import RayVerifierPool, VerifierResources, VerifierSpec
from sampler.config import SampleConfig
from sampler.core.api import solve
from tests.cluster.fakes import SlowMarkerVerifier
from tests.unit.fakes import fenced, make_task

TASKS = 8
N = 4


def script() -> dict[str, list[str]]:
    """Task i: wrong answers except sample i % N (so a pass exists); T/7 never passes."""
    out = {}
    for i in range(TASKS):
        right = f"def f{i}(x: int) -> int:\n    return x + {i}  # correct\n" + "#" * 80 + "\n"
        wrong = f"def f{i}(x: int) -> int:\n    return x\n" + "#" * 80 + "\n"
        out[f"T/{i}"] = [fenced(right if (j == i % N and i != 7) else wrong) for j in range(N)]
    return out


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def run(out: Path, engines: RayEnginePool, verifier: RayVerifierPool) -> Any:
    return solve([make_task(i) for i in range(TASKS)], out=out, backend=engines,
                 verifier=verifier, sample=SampleConfig(n=N), batch_tasks=TASKS)


def check_store(out: Path) -> None:
    results = lines(out / "results.jsonl")
    samples = lines(out / "samples.jsonl")
    assert sorted(r["task_id"] for r in results) == sorted(f"T/{i}" for i in range(TASKS))
    keys = [(s["task_id"], s["candidate_id"]) for s in samples]
    assert len(keys) == len(set(keys)), "a sample was recorded twice"
    for r in results:
        i = int(r["task_id"].split("/")[1])
        assert r["solved"] == (i != 7)
        if r["solved"]:
            assert r["candidate_id"] == f"s{i % N}"
            assert "# correct" in r["solution"]


def pools(delay: float, tokens_per_second: float = 200.0) -> tuple[RayEnginePool, RayVerifierPool]:
    engines = RayEnginePool(EngineSpec.replay(script(), model="replay-ray",
                                              tokens_per_second=tokens_per_second,
                                              slots=2), 2,
                            EngineResources(num_cpus=0, num_gpus=1, gpu_resource="GPU_SIM",
                                            poll_slice=0.05))
    verifier = RayVerifierPool(VerifierSpec(factory=functools.partial(SlowMarkerVerifier, delay)), 2,
                               VerifierResources(num_cpus=0, chunk=2))
    engines.wait_ready(timeout=120)
    verifier.wait_ready(timeout=120)
    return engines, verifier


def test_solve_through_ray_then_resume_adds_nothing(ray_local: Any, tmp_path: Path) -> None:
    engines, verifier = pools(0.0)
    try:
        report = run(tmp_path / "run", engines, verifier)
        assert report.summary.solved == TASKS - 1
        check_store(tmp_path / "run")
        before = (tmp_path / "run" / "samples.jsonl").read_text()
        again = run(tmp_path / "run", engines, verifier)
        assert again.outcome.skipped == TASKS and not again.outcome.results
        assert (tmp_path / "run" / "samples.jsonl").read_text() == before
    finally:
        verifier.close()
        engines.close()


def wait_until(predicate: Callable[[], bool], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_engine_and_verifier_worker_killed_mid_solve(ray_local: Any, tmp_path: Path) -> None:
    engines, verifier = pools(0.1, tokens_per_second=100.0)
    out = tmp_path / "run"
    killed: list[str] = []

    def killer() -> None:
        # The engine dies with requests in flight, the worker with a chunk in hand.
        if wait_until(lambda: engines.loads()[0] > 0 and (out / "samples.jsonl").exists()):
            ray_local.kill(engines.actors()[0])
            killed.append("engine")
        if wait_until(lambda: verifier.busy()[0] > 0):
            ray_local.kill(verifier.actors()[0])
            killed.append("verifier")

    thread = threading.Thread(target=killer)
    try:
        thread.start()
        report = run(out, engines, verifier)
        thread.join(timeout=60)
        assert killed == ["engine", "verifier"]
        assert report.summary.solved == TASKS - 1
        check_store(out)
        assert (engines.restarts, verifier.restarts) == (1, 1)
        assert engines.resubmitted > 0 and verifier.reverified > 0
    finally:
        thread.join(timeout=60)
        verifier.close()
        engines.close()
