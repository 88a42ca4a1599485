"""End to end on a real local Ray: two vLLM-CPU engine actors on the packaged model,
sandboxed unit tests on a verifier worker, HumanEval/0-1 through ``sampler.core.api.solve``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cluster.engine_host import EngineResources, EngineSpec
from cluster.engines import RayEnginePool
from cluster.verifiers import RayVerifierPool, VerifierResources, VerifierSpec
from sampler.config import EngineConfig, SampleConfig
from sampler.core.api import solve


@pytest.mark.slow
def test_two_vllm_cpu_engine_actors_solve_humaneval(ray_local: Any, tmp_path: Path) -> None:
    pytest.importorskip("vllm")
    from sampler.models import SMOLLM2 as PACKAGED_MODEL, packaged_model_dir

    packaged_model_dir()  # convert once here, not in both actors at the same time
    # Small KV caches: two engines share this machine's memory.
    spec = EngineSpec.for_model(PACKAGED_MODEL, EngineConfig(kv_cache_gib=1, max_num_seqs=8))
    engines = RayEnginePool(spec, 2, EngineResources(num_cpus=0.5, start_timeout=900))
    verifier = RayVerifierPool(VerifierSpec(stages=("tests",)), 1, VerifierResources(num_cpus=1))
    try:
        placed = engines.wait_ready(timeout=900)
        assert len({p["pid"] for p in placed}) == 2
        out = tmp_path / "run"
        report = solve(suite="humaneval", limit=2, out=out, backend=engines, verifier=verifier,
                       sample=SampleConfig(n=4, max_tokens=160), batch_tasks=2,
                       stop_on_first_pass=False)
        results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
        samples = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
        assert sorted(r["task_id"] for r in results) == ["HumanEval/0", "HumanEval/1"]
        assert len(samples) == 8
        assert len({(s["task_id"], s["candidate_id"]) for s in samples}) == 8
        assert all(s["model"] == PACKAGED_MODEL and s["tokens"] > 0 for s in samples)
        assert all(s["status"] != "error" for s in samples)  # the sandbox ran in the worker
        assert any("def " in s["solution"] for s in samples)
        assert all(n > 0 for n in engines.returned), engines.returned  # both engines served
        assert report.summary.tasks == 2
    finally:
        verifier.close()
        engines.close()
