"""What engines are made of, apart from Ray: the picklable ``EngineSpec`` an engine
actor builds its backend from, the ``EngineResources`` it asks the cluster for, and
``EngineHost``, the object that runs inside the actor. Nothing here imports Ray at
import time (``describe`` asks it for the actor's node, inside the actor), so all of
it is tested without a cluster; ``cluster.engines`` runs them as actors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluster._ray import import_ray
from sampler.backends.base import Aborted, Generation, GenerationRequest, StreamingBackend, streaming
from sampler.backends.factory import REPLAY_PREFIX, make_backend
from sampler.backends.replay import ReplayBackend, read_replay_script
from sampler.config import EngineConfig
from tasks.errors import ConfigError

CPU_BIND_VARIABLE = "VLLM_CPU_OMP_THREADS_BIND"


@dataclass(frozen=True)
class EngineSpec:
    """What an engine actor builds; picklable, so it travels to any node.

    ``script`` set: a ``ReplayBackend`` with that script and latency model. Else
    ``make_backend(model, engine)`` (the vLLM engine for a real model).
    """

    model: str
    engine: EngineConfig = field(default_factory=EngineConfig)
    script: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    tokens_per_second: float | None = None
    """Replay only: decode rate of each sequence (None: instant)."""
    slots: int = 64
    """Replay only: sequences decoded at once."""

    @classmethod
    def replay(cls, script: Mapping[str, Sequence[str]], *, model: str = "replay",
               tokens_per_second: float | None = None, slots: int = 64) -> EngineSpec:
        if tokens_per_second is not None and tokens_per_second <= 0:
            raise ConfigError(f"tokens_per_second must be > 0, got {tokens_per_second}")
        if slots < 1:
            raise ConfigError(f"slots must be >= 1, got {slots}")
        frozen = tuple((key, tuple(texts)) for key, texts in script.items())
        return cls(model=model, script=frozen, tokens_per_second=tokens_per_second, slots=slots)

    @classmethod
    def for_model(cls, model: str, engine: EngineConfig | None = None) -> EngineSpec:
        """``replay:FILE.jsonl`` is read here, on the driver, so the actors need not see
        the file; any other name is resolved inside each actor (on its node)."""
        if model.startswith(REPLAY_PREFIX):
            script = read_replay_script(Path(model[len(REPLAY_PREFIX):]))
            return cls.replay(script, model=model)
        return cls(model=model, engine=engine or EngineConfig())

    def build(self) -> StreamingBackend:
        if self.script is not None:
            return ReplayBackend({k: list(v) for k, v in self.script}, model=self.model,
                                 tokens_per_second=self.tokens_per_second, slots=self.slots)
        return streaming(make_backend(self.model, self.engine))


@dataclass(frozen=True)
class EngineResources:
    """What Ray reserves for each engine, and how the pool treats engine failures."""

    num_cpus: float = 1.0
    """CPUs for the engine actor (a CPU engine computes on them; a GPU engine feeds its GPU)."""
    num_gpus: int = 0
    """GPUs per engine: 0 for a CPU engine, 1 for one engine per GPU, more for a
    tensor-parallel engine (a placement group of that many single-GPU bundles; the
    engine's ``tensor_parallel_size`` must match)."""
    gpu_resource: str = "GPU"
    """The Ray resource that counts GPUs; a custom name simulates GPUs on CPU nodes."""
    resources: tuple[tuple[str, float], ...] = ()
    """Further custom resources per engine, e.g. ``(("accelerator_type:A100", 0.001),)``."""
    placement_strategy: str = "STRICT_PACK"
    """Placement-group strategy for tensor-parallel engines (STRICT_PACK: one node)."""
    cpus_per_shard: float = 1.0
    """CPUs in each bundle of a tensor-parallel engine's placement group."""
    env: tuple[tuple[str, str], ...] = ()
    """Environment variables for the engine actors (Ray runtime_env)."""
    max_restarts: int = 3
    """Replacements per engine before the pool gives up with ``BackendError``."""
    poll_slice: float = 0.2
    """Seconds an engine's ``poll`` may wait server-side; a submit or abort waits at most
    this long behind it."""
    start_timeout: float = 900.0
    """Seconds an engine may take to start (model load, or waiting for free resources)."""

    def __post_init__(self) -> None:
        if self.num_cpus < 0:
            raise ConfigError(f"num_cpus must be >= 0, got {self.num_cpus}")
        if self.num_gpus < 0:
            raise ConfigError(f"num_gpus must be >= 0, got {self.num_gpus}")
        if not self.gpu_resource:
            raise ConfigError("gpu_resource must be a resource name")
        if self.placement_strategy not in ("PACK", "STRICT_PACK", "SPREAD", "STRICT_SPREAD"):
            raise ConfigError(f"unknown placement strategy {self.placement_strategy!r}")
        if self.cpus_per_shard < 0:
            raise ConfigError(f"cpus_per_shard must be >= 0, got {self.cpus_per_shard}")
        if self.max_restarts < 0:
            raise ConfigError(f"max_restarts must be >= 0, got {self.max_restarts}")
        if not self.poll_slice > 0:
            raise ConfigError(f"poll_slice must be > 0, got {self.poll_slice}")
        if not self.start_timeout > 0:
            raise ConfigError(f"start_timeout must be > 0, got {self.start_timeout}")
        for name, amount in self.resources:
            if not name or amount < 0:
                raise ConfigError(f"bad custom resource {name!r}: {amount}")

    @property
    def tensor_parallel(self) -> bool:
        return self.num_gpus > 1

    def actor_options(self) -> dict[str, Any]:
        """Ray options for one engine actor outside a placement group."""
        custom = dict(self.resources)
        options: dict[str, Any] = {"num_cpus": self.num_cpus, "num_gpus": 0}
        if self.num_gpus == 1:
            if self.gpu_resource == "GPU":
                options["num_gpus"] = 1
            else:
                custom[self.gpu_resource] = custom.get(self.gpu_resource, 0.0) + 1
        if custom:
            options["resources"] = custom
        return options

    def bundles(self) -> list[dict[str, float]]:
        """The placement group of a tensor-parallel engine: one bundle per GPU."""
        bundle = {self.gpu_resource: 1.0, "CPU": self.cpus_per_shard, **dict(self.resources)}
        return [{k: v for k, v in bundle.items() if v > 0} for _ in range(self.num_gpus)]


class EngineHost:
    """The body of an engine actor: builds the backend where it runs, then only delegates."""

    def __init__(self, spec: EngineSpec) -> None:
        self._backend = spec.build()
        self.model = self._backend.model

    def describe(self) -> dict[str, Any]:
        """Where this engine runs and what Ray gave it (for placement checks and logs)."""
        ray = import_ray()
        context = ray.get_runtime_context()
        return {"model": self.model, "pid": os.getpid(), "node_id": context.get_node_id(),
                "resources": dict(context.get_assigned_resources()),
                "placement_group": context.get_placement_group_id()}

    def submit(self, requests: Sequence[GenerationRequest]) -> None:
        self._backend.submit(requests)

    def poll(self, timeout: float) -> list[Generation]:
        return self._backend.poll(timeout)

    def abort(self, request_ids: Sequence[str]) -> Aborted:
        return self._backend.abort(request_ids)

    def shorten(self, request_ids: Sequence[str], max_tokens: int) -> None:
        self._backend.shorten(request_ids, max_tokens)

    def in_flight(self) -> int:
        return self._backend.in_flight()

    def close(self) -> None:
        self._backend.close()
