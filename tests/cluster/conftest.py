"""One real local Ray for the cluster tests (started once for the package, shut down
after its last test): 2 CPUs and 4 simulated GPUs (``GPU_SIM``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

SIMULATED_GPUS = 4


@pytest.fixture(scope="package")
def ray_local() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    if ray.is_initialized():  # pragma: no cover - a test left it running
        ray.shutdown()
    ray.init(num_cpus=2, resources={"GPU_SIM": SIMULATED_GPUS}, include_dashboard=False,
             logging_level="WARNING")
    yield ray
    ray.shutdown()
