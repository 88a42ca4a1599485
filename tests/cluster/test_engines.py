"""Engine actors on a real local Ray: placement on simulated GPUs, streaming, abort, and
an engine killed mid-run (every request still comes back exactly once)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from cluster.engine_host import EngineResources, EngineSpec
from cluster.engines import RayEnginePool
from sampler.backends.base import Generation
from tests.cluster.conftest import SIMULATED_GPUS
from tests.cluster.fakes import request
from tasks.errors import BackendError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TEXT = "x" * 100  # 25 replay tokens: 0.25 s of a slot at 100 tokens/s
ON_SIM_GPU = EngineResources(num_cpus=0, num_gpus=1, gpu_resource="GPU_SIM", poll_slice=0.05)


def spec(tokens_per_second: float | None = 100.0, slots: int = 4) -> EngineSpec:
    return EngineSpec.replay({"T/0": [TEXT, TEXT + "# correct"]}, tokens_per_second=tokens_per_second,
                             slots=slots)


def drain(pool: RayEnginePool, seconds: float = 60.0) -> list[Generation]:
    got: list[Generation] = []
    deadline = time.monotonic() + seconds
    while pool.in_flight() and time.monotonic() < deadline:
        got += pool.poll(0.5)
    return got


def wait_free(ray: Any, resource: str, amount: float, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ray.available_resources().get(resource, 0.0) >= amount:
            return True
        time.sleep(0.1)
    return False


def test_four_engines_each_hold_their_own_simulated_gpu(ray_local: Any) -> None:
    assert wait_free(ray_local, "GPU_SIM", SIMULATED_GPUS)
    pool = RayEnginePool(spec(), 4, ON_SIM_GPU)
    try:
        placed = pool.wait_ready(timeout=120)
        assert [p["resources"] for p in placed] == [{"GPU_SIM": 1.0}] * 4
        assert len({p["pid"] for p in placed}) == 4  # four actors, four processes
        assert ray_local.available_resources().get("GPU_SIM", 0.0) == 0.0
        # A fifth engine does not fit: it waits for a GPU instead of sharing one.
        extra = RayEnginePool(spec(), 1, dataclasses.replace(ON_SIM_GPU, start_timeout=1.0))
        try:
            with pytest.raises(BackendError, match="not started within"):
                extra.wait_ready(timeout=3)
        finally:
            extra.close()
        # The engines work: requests spread over all four and each comes back once.
        requests = [request(i) for i in range(16)]
        pool.submit(requests)
        assert sorted(g.request_id for g in drain(pool)) == sorted(r.request_id for r in requests)
    finally:
        pool.close()
    assert wait_free(ray_local, "GPU_SIM", SIMULATED_GPUS)  # released on close


def test_tensor_parallel_engines_get_a_placement_group_of_gpus(ray_local: Any) -> None:
    assert wait_free(ray_local, "GPU_SIM", SIMULATED_GPUS)
    resources = EngineResources(num_cpus=0, num_gpus=2, gpu_resource="GPU_SIM", cpus_per_shard=0)
    pool = RayEnginePool(spec(), 2, resources)
    try:
        placed = pool.wait_ready(timeout=120)
        groups = {p["placement_group"] for p in placed}
        assert len(groups) == 2 and None not in groups
        table = ray_local.util.placement_group_table()
        for group in groups:
            assert table[group]["bundles"] == {0: {"GPU_SIM": 1.0}, 1: {"GPU_SIM": 1.0}}
            assert table[group]["strategy"] == "STRICT_PACK"
        assert ray_local.available_resources().get("GPU_SIM", 0.0) == 0.0
    finally:
        pool.close()
    assert wait_free(ray_local, "GPU_SIM", SIMULATED_GPUS)


def test_abort_reaches_the_owning_engine_and_aborted_requests_never_return(ray_local: Any) -> None:
    pool = RayEnginePool(spec(tokens_per_second=50.0, slots=2), 2, ON_SIM_GPU)
    try:
        pool.wait_ready(timeout=120)
        requests = [request(i) for i in range(14)]
        pool.submit(requests[:12])
        pool.poll(0.0)  # sends them to the engines
        pool.submit(requests[12:])  # routed, not sent yet
        dropped = [r.request_id for r in requests[6:]]
        aborted = pool.abort(dropped + ["not-a-request"])
        assert aborted.requests == 8
        got = [g.request_id for g in drain(pool)]
        assert sorted(got) == sorted(r.request_id for r in requests[:6])
        assert pool.in_flight() == 0
        assert pool.poll(1.0) == []  # nothing in flight: returns at once
    finally:
        pool.close()


def test_shorten_reaches_sent_and_unsent_requests(ray_local: Any) -> None:
    pool = RayEnginePool(spec(tokens_per_second=50.0, slots=8), 2, ON_SIM_GPU)
    try:
        pool.wait_ready(timeout=120)
        requests = [request(i) for i in range(6)]  # 25 tokens each: 0.5 s of a slot
        pool.submit(requests[:4])
        pool.poll(0.0)  # sends them to the engines
        pool.submit(requests[4:])  # routed, not sent yet
        pool.shorten([r.request_id for r in requests[1:]], 5)
        got = {g.request_id: g for g in drain(pool)}
        assert sorted(got) == sorted(r.request_id for r in requests)
        assert got[requests[0].request_id].completions[0].tokens == 25
        for r in requests[1:]:
            [completion] = got[r.request_id].completions
            assert (completion.tokens, completion.finish_reason) == (5, "length"), r.request_id
    finally:
        pool.close()


def test_engine_killed_mid_run_every_request_returns_exactly_once(ray_local: Any) -> None:
    pool = RayEnginePool(spec(), 2, ON_SIM_GPU)
    try:
        pool.wait_ready(timeout=120)
        requests = [request(i) for i in range(48)]
        pool.submit(requests)
        victim = pool.actors()[0]
        got: list[Generation] = []
        deadline = time.monotonic() + 90
        killed = False
        while pool.in_flight() and time.monotonic() < deadline:
            got += pool.poll(0.2)
            if not killed and len(got) >= 8:
                ray_local.kill(victim)  # no_restart: Ray itself will not bring it back
                killed = True
        ids = [g.request_id for g in got]
        assert killed
        assert len(ids) == len(set(ids)), "a request came back twice"
        assert sorted(ids) == sorted(r.request_id for r in requests)
        assert pool.restarts == 1
        assert pool.resubmitted > 0  # the dead engine had work in flight, re-issued
        assert pool.actors()[0] is not victim
    finally:
        pool.close()


def test_a_failing_engine_raises_instead_of_restarting_forever(ray_local: Any) -> None:
    broken = EngineSpec(model="replay:/nonexistent/script.jsonl")  # make_backend raises in the actor
    pool = RayEnginePool(broken, 1, ON_SIM_GPU)
    try:
        with pytest.raises(BackendError, match="failed to start|TaskFormatError|no such file"):
            pool.submit([request(0)])
            drain(pool, 60)
    finally:
        pool.close()
