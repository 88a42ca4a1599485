"""The cluster layer's pure parts, without Ray: resource plans, actor options, engine
specs, and the engine actor's body (which only delegates)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cluster.engine_host import EngineHost, EngineResources, EngineSpec
from cluster.runtime import ClusterPlan, plan
from sampler.backends.replay import ReplayBackend
from sampler.cli import ClusterOptions
from sampler.config import EngineConfig
from tasks.errors import ConfigError
from tests.cluster.fakes import request

ROOT = Path(__file__).resolve().parents[2]


def test_cluster_modules_import_without_ray() -> None:
    code = ("import sys; sys.modules['ray'] = None\n"
            "import cluster.engines, cluster.verifiers, cluster.runtime, cluster.cli\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_plan_on_a_gpu_cluster_gives_each_engine_its_gpus_and_spare_cpus_to_verifiers() -> None:
    chosen = plan(ClusterOptions("auto", 8, None), EngineConfig(), {"CPU": 96.0, "GPU": 8.0}, env={})
    assert chosen.engine.num_gpus == 1 and chosen.engine.num_cpus == 1.0
    assert chosen.verifier.num_cpus == 4.0
    assert chosen.verifier_workers == (96 - 8) // 4
    tp = plan(ClusterOptions("auto", 2, 3), EngineConfig(tensor_parallel_size=4),
              {"CPU": 64.0, "GPU": 8.0}, env={})
    assert tp.engine.num_gpus == 4 and tp.engine.tensor_parallel and tp.verifier_workers == 3
    assert len(tp.engine.bundles()) == 4


def test_plan_on_cpu_nodes_makes_cpu_engines_and_env_overrides_apply() -> None:
    local = plan(ClusterOptions("local", 2, None), EngineConfig(), {"CPU": 4.0}, env={})
    assert local.engine.num_gpus == 0 and local.verifier_workers == 1
    env = {"BESTOFN_ENGINE_CPUS": "2", "BESTOFN_VERIFIER_CPUS": "8",
           "BESTOFN_ENGINE_RESOURCES": json.dumps({"accelerator_type:A100": 0.001})}
    custom = plan(ClusterOptions("10.0.0.1:6379", 4, None), EngineConfig(),
                  {"CPU": 64.0, "GPU": 4.0}, env=env)
    assert custom.engine.num_cpus == 2.0 and custom.verifier.num_cpus == 8.0
    assert custom.engine.actor_options() == {"num_cpus": 2.0, "num_gpus": 1,
                                             "resources": {"accelerator_type:A100": 0.001}}
    assert custom.verifier_workers == (64 - 4 * 2) // 8
    assert "4 engine(s)" in ClusterPlan.describe(custom)


@pytest.mark.parametrize("env, match", [
    ({"BESTOFN_ENGINE_CPUS": "two"}, "not a number"),
    ({"BESTOFN_ENGINE_GPUS": "1.5"}, "whole number"),
    ({"BESTOFN_ENGINE_GPUS": "2"}, "tensor_parallel_size"),
    ({"BESTOFN_ENGINE_RESOURCES": "[1]"}, "JSON object"),
    ({"BESTOFN_VERIFIER_CPUS": "0.5"}, "at least 1 CPU"),
])
def test_bad_resource_settings_are_config_errors(env: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        plan(ClusterOptions("auto", 1, None), EngineConfig(), {"CPU": 8.0, "GPU": 1.0}, env=env)


def test_simulated_gpus_are_a_custom_resource() -> None:
    resources = EngineResources(num_cpus=0, num_gpus=1, gpu_resource="GPU_SIM")
    assert resources.actor_options() == {"num_cpus": 0, "num_gpus": 0, "resources": {"GPU_SIM": 1.0}}
    tp = EngineResources(num_gpus=2, gpu_resource="GPU_SIM", cpus_per_shard=0)
    assert tp.bundles() == [{"GPU_SIM": 1.0}, {"GPU_SIM": 1.0}]
    with pytest.raises(ConfigError):
        EngineResources(poll_slice=0)


def test_replay_spec_from_a_file_is_read_on_the_driver(tmp_path: Path) -> None:
    path = tmp_path / "script.jsonl"
    path.write_text('{"task_id": "T/0", "completion": "a"}\n{"task_id": "T/0", "completion": "b"}\n')
    spec = EngineSpec.for_model(f"replay:{path}")
    path.unlink()  # the actors never read it
    backend = spec.build()
    assert isinstance(backend, ReplayBackend) and backend.model == f"replay:{path}"
    assert [c.text for c in backend.generate([request(0, n=2)])[0].completions] == ["a", "b"]


def test_engine_host_only_delegates() -> None:
    host = EngineHost(EngineSpec.replay({"T/0": ["x" * 40]}, model="m"))
    assert host.model == "m"
    host.submit([request(0), request(1)])
    assert host.in_flight() == 2
    assert host.abort(["T/0|cheap|1"]).requests == 1
    assert [g.request_id for g in host.poll(1.0)] == ["T/0|cheap|0"]
    assert host.in_flight() == 0
    host.close()
