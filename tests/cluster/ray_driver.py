"""A solve through an existing Ray cluster that the driver-crash test can SIGKILL:
replay engines with a latency model, the marker verifier on workers.

    python -m tests.cluster.ray_driver RAY_ADDRESS OUT_DIR
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from cluster.engine_host import EngineResources, EngineSpec
from cluster.engines import RayEnginePool
from cluster.runtime import connect
from cluster.verifiers import RayVerifierPool, VerifierResources, VerifierSpec
from sampler.config import SampleConfig
from sampler.core.api import solve
from tests.cluster.fakes import SlowMarkerVerifier
from tests.unit.fakes import fenced, make_task

TASKS = 12
N = 6


def script() -> dict[str, list[str]]:
    """Task i passes only at sample (i % N); every third task never passes."""
    out = {}
    for i in range(TASKS):
        right = f"def f{i}(x: int) -> int:\n    return x + {i}  # correct\n" + "#" * 60 + "\n"
        wrong = f"def f{i}(x: int) -> int:\n    return x\n" + "#" * 60 + "\n"
        out[f"T/{i}"] = [fenced(right if (j == i % N and i % 3) else wrong) for j in range(N)]
    return out


def main(address: str, out: Path) -> None:
    connect(address)
    engines = RayEnginePool(EngineSpec.replay(script(), model="replay-crash", tokens_per_second=40.0,
                                              slots=2), 2,
                            EngineResources(num_cpus=0, num_gpus=1, gpu_resource="GPU_SIM",
                                            poll_slice=0.05))
    verifier = RayVerifierPool(VerifierSpec(factory=functools.partial(SlowMarkerVerifier, 0.05)), 1,
                               VerifierResources(num_cpus=0))
    try:
        solve([make_task(i) for i in range(TASKS)], out=out, backend=engines, verifier=verifier,
              sample=SampleConfig(n=N), batch_tasks=4)
    finally:
        verifier.close()
        engines.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
