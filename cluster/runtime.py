"""Connecting to Ray, and building the engine pool and verifier pool for a run.

``build(options, model, engine, stages)`` is the factory ``sampler.cli`` calls for
``--cluster``: it connects (``local``: an embedded ``ray.init()`` on this machine;
``auto``: the cluster this node belongs to; anything else: a Ray address), plans
the resources, and returns ``(RayEnginePool, RayVerifierPool, close)``.

Resources come from config, never from code paths: ``plan()`` is a pure function of
the options, the engine config, what the cluster has, and these environment
variables (all optional):

* ``BESTOFN_ENGINE_GPUS``: GPUs per engine (default: the engine's
  ``tensor_parallel_size`` when the cluster has GPUs, else 0: CPU engines);
* ``BESTOFN_ENGINE_CPUS``: CPUs per engine actor (default 1);
* ``BESTOFN_ENGINE_RESOURCES``: JSON object of further custom resources per engine;
* ``BESTOFN_VERIFIER_CPUS``: CPUs (and sandbox slots) per verifier worker (default:
  all of this machine's CPUs for ``local``, 4 on a cluster).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cluster._ray import import_ray
from cluster.engine_host import EngineResources, EngineSpec
from cluster.engines import RayEnginePool
from cluster.verifiers import RayVerifierPool, VerifierResources, VerifierSpec
from sampler.backends.base import StreamingBackend
from sampler.config import EngineConfig
from tasks.errors import ConfigError, InfrastructureError
from verifiers.types import Verifier

LOCAL = "local"
AUTO = "auto"
CLUSTER_VERIFIER_CPUS = 4.0


class ClusterOptionsLike(Protocol):
    """What ``sampler.cli.ClusterOptions`` carries (read-only)."""

    @property
    def mode(self) -> str: ...

    @property
    def engines(self) -> int: ...

    @property
    def verifier_workers(self) -> int | None: ...


@dataclass(frozen=True)
class ClusterPlan:
    engines: int
    engine: EngineResources
    verifier_workers: int
    verifier: VerifierResources

    def describe(self) -> str:
        gpus = (f"{self.engine.num_gpus} {self.engine.gpu_resource}" if self.engine.num_gpus
                else "no GPU")
        return (f"{self.engines} engine(s) ({self.engine.num_cpus:g} CPU, {gpus} each), "
                f"{self.verifier_workers} verifier worker(s) ({self.verifier.num_cpus:g} CPU each)")


def _env_float(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise ConfigError(f"{name} must be >= 0, got {raw}")
    return value


def _env_resources(env: Mapping[str, str], name: str) -> tuple[tuple[str, float], ...]:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return ()
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name} is not JSON: {exc.msg}") from None
    if not isinstance(obj, dict) or not all(
            isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
            for k, v in obj.items()):
        raise ConfigError(f'{name} must be a JSON object of resource amounts, e.g. {{"A100": 1}}')
    return tuple((k, float(v)) for k, v in obj.items())


def plan(options: ClusterOptionsLike, engine: EngineConfig, cluster: Mapping[str, float],
         env: Mapping[str, str] | None = None) -> ClusterPlan:
    """Resources per engine and per verifier worker, and how many workers, for ``cluster``
    (``ray.cluster_resources()``: totals such as ``CPU`` and ``GPU``)."""
    env = os.environ if env is None else env
    if options.engines < 1:
        raise ConfigError(f"--engines must be >= 1, got {options.engines}")
    if options.verifier_workers is not None and options.verifier_workers < 1:
        raise ConfigError(f"verifier workers must be >= 1, got {options.verifier_workers}")
    gpus_total = cluster.get("GPU", 0.0)
    gpus = _env_float(env, "BESTOFN_ENGINE_GPUS")
    num_gpus = int(gpus) if gpus is not None else (engine.tensor_parallel_size if gpus_total >= 1 else 0)
    if gpus is not None and gpus != int(gpus):
        raise ConfigError(f"BESTOFN_ENGINE_GPUS must be a whole number, got {gpus}")
    cpus = _env_float(env, "BESTOFN_ENGINE_CPUS")
    engine_resources = EngineResources(num_cpus=1.0 if cpus is None else cpus, num_gpus=num_gpus,
                                       resources=_env_resources(env, "BESTOFN_ENGINE_RESOURCES"))
    if num_gpus > 1 and num_gpus != engine.tensor_parallel_size:
        raise ConfigError(f"BESTOFN_ENGINE_GPUS={num_gpus} needs tensor_parallel_size={num_gpus}, "
                          f"got {engine.tensor_parallel_size}")
    cpus_total = cluster.get("CPU", 0.0)
    local = options.mode == LOCAL
    per_worker = _env_float(env, "BESTOFN_VERIFIER_CPUS")
    if per_worker is None:
        per_worker = float(os.cpu_count() or 1) if local else CLUSTER_VERIFIER_CPUS
    if per_worker < 1:
        raise ConfigError(f"a verifier worker needs at least 1 CPU, got {per_worker:g}")
    if options.verifier_workers is not None:
        workers = options.verifier_workers
    elif local:
        workers = 1
    else:
        spare = cpus_total - options.engines * engine_resources.num_cpus
        workers = max(1, int(spare // per_worker))
    return ClusterPlan(options.engines, engine_resources, workers,
                       VerifierResources(num_cpus=per_worker))


def connect(mode: str, *, num_cpus: int | None = None) -> bool:
    """Join or start Ray; True when this call started it (the caller shuts it down)."""
    ray = import_ray()
    if not mode:
        raise ConfigError("--cluster needs local, auto or a Ray address")
    if ray.is_initialized():
        return False
    try:
        if mode == LOCAL:
            ray.init(num_cpus=num_cpus, include_dashboard=False, logging_level="WARNING")
            return True
        ray.init(address=mode, logging_level="WARNING")
    except ConnectionError as exc:
        where = "no running Ray cluster found from this node" if mode == AUTO else f"no Ray cluster at {mode}"
        raise InfrastructureError(f"{where}: {exc}") from exc
    return False


def build(options: ClusterOptionsLike, model: str, engine: EngineConfig,
          stages: Sequence[str] | None) -> tuple[StreamingBackend, Verifier, Callable[[], None]]:
    """The CLI's cluster factory: engines and verifiers on Ray, and how to close them."""
    from sampler.backends.factory import check_model_name

    from verifiers.pipeline import normalise_stages

    check_model_name(model)  # bad names fail before anything slow starts
    normalise_stages(stages)
    if options.engines < 1:
        raise ConfigError(f"--engines must be >= 1, got {options.engines}")
    spec = EngineSpec.for_model(model, engine)  # reads a replay script on the driver
    local_cpus = os.cpu_count() or 1
    # Embedded: the verifier worker gets this machine's CPUs as sandbox slots, as the
    # in-process verifier would, and each engine actor a logical CPU on top (engines
    # and verifiers share the cores either way).
    started = connect(options.mode, num_cpus=local_cpus + options.engines
                      if options.mode == LOCAL else None)
    ray = import_ray()
    pool: RayEnginePool | None = None
    verifier: RayVerifierPool | None = None
    try:
        chosen = plan(options, engine, ray.cluster_resources())
        print(f"bestofn: Ray ({options.mode}): {chosen.describe()}", file=sys.stderr)
        pool = RayEnginePool(spec, chosen.engines, chosen.engine)
        verifier = RayVerifierPool(VerifierSpec(stages=tuple(stages) if stages is not None else None),
                                   chosen.verifier_workers, chosen.verifier)
    except BaseException:
        if verifier is not None:
            verifier.close()
        if pool is not None:
            pool.close()
        if started:
            ray.shutdown()
        raise

    engines, verifiers = pool, verifier

    def close() -> None:
        try:
            verifiers.close()
            engines.close()
        finally:
            if started:
                ray.shutdown()

    return engines, verifiers, close
