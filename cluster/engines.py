"""Engines as Ray actors, and the driver-side pool that streams over them.

``EngineHost`` (``cluster.engine_host``) is what runs inside an engine actor: it builds a backend from a
picklable ``EngineSpec`` (a model for ``make_backend``, or a replay script with a
latency model) and delegates ``submit``/``poll``/``abort``/``in_flight`` to it. It
adds no behaviour of its own, so everything it does is tested without Ray.

``RayEnginePool`` is a ``StreamingBackend`` over K such actors, for the driver's
best-of-N loop:

* ``submit`` routes each request to the least-loaded engine that is up (samples in
  flight), and the next ``poll`` sends each engine its share in one call;
* ``poll`` keeps one short server-side ``poll`` call outstanding per busy engine
  and ``ray.wait``s on all of them, so no engine blocks the others;
* ``abort`` forwards to the engines that own the requests;
* an engine whose actor dies (``ray.kill``, a crashed process or node) is
  replaced, and every request it had in flight and not yet returned is submitted
  again; a request is returned at most once (the driver keeps which engine owns
  each request id and drops anything else).

Resources per engine come from ``EngineResources``: CPUs, GPUs (one actor per GPU,
or a placement group of ``num_gpus`` single-GPU bundles for a tensor-parallel
engine), and custom resources (``gpu_resource`` names the resource that counts
GPUs: ``GPU`` on a real cluster, a custom name to simulate GPUs on CPU machines).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cluster._ray import import_ray, init_failed, is_actor_gone, raise_from_actor, remote_class
from cluster.engine_host import CPU_BIND_VARIABLE, EngineHost, EngineResources, EngineSpec
from sampler.backends.base import Aborted, Generation, GenerationRequest
from tasks.errors import BackendError, ConfigError


@dataclass
class _Engine:
    """Driver-side state of one engine slot (the actor in it may be a replacement)."""

    index: int
    actor: Any = None
    incarnation: int = 0
    placement_group: Any = None
    requests: dict[str, GenerationRequest] = field(default_factory=dict)
    """In flight on this engine: submitted, not yet returned or aborted."""
    load: int = 0
    """Samples (``n``) in flight."""
    outbox: list[GenerationRequest] = field(default_factory=list)
    """Routed here, not yet sent: submits are sent together at the next poll."""
    poll_ref: Any = None
    controls: list[Any] = field(default_factory=list)
    """Outstanding submit calls, checked for errors."""
    ready_ref: Any = None
    up: bool = False
    """The actor has answered once (its backend is built)."""
    started: float = 0.0
    restarts: int = 0


class RayEnginePool:
    """A ``StreamingBackend`` over ``engines`` engine actors (see the module docstring).

    Also offers the batch ``generate`` (submit, then poll until those are back).
    Ray must be initialised (``cluster.runtime.connect``) before the pool is built.
    """

    def __init__(self, spec: EngineSpec, engines: int,
                 resources: EngineResources | None = None) -> None:
        if engines < 1:
            raise ConfigError(f"engines must be >= 1, got {engines}")
        self.resources = resources or EngineResources()
        if self.resources.tensor_parallel and spec.script is None:
            tp = spec.engine.tensor_parallel_size
            if tp != self.resources.num_gpus:
                raise ConfigError(f"a tensor-parallel engine needs num_gpus == tensor_parallel_size, "
                                  f"got {self.resources.num_gpus} and {tp}")
            # vLLM's Ray executor places its workers in the engine's placement group.
            extra = {"distributed_executor_backend": "ray", **spec.engine.extra}
            spec = dataclasses.replace(spec, engine=dataclasses.replace(spec.engine, extra=extra))
        self.spec = spec
        self.model = spec.model
        self._ray = import_ray()
        self._engines = [_Engine(i) for i in range(engines)]
        self._owner: dict[str, _Engine] = {}
        self._ready: list[Generation] = []
        self.restarts = 0
        """Engine actors replaced so far."""
        self.resubmitted = 0
        """Requests submitted again after their engine died."""
        self.returned = [0] * engines
        """Requests returned by ``poll``, per engine index."""
        self._closed = False
        try:
            for engine in self._engines:
                self._start(engine)
        except BaseException:
            self.close()
            raise

    # -- actors

    def _start(self, engine: _Engine) -> None:
        ray = self._ray
        options: dict[str, Any]
        if self.resources.tensor_parallel:
            if engine.placement_group is None:
                engine.placement_group = ray.util.placement_group(
                    self.resources.bundles(), strategy=self.resources.placement_strategy)
            from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

            options = {"num_cpus": 0, "num_gpus": 0, "scheduling_strategy":
                       PlacementGroupSchedulingStrategy(engine.placement_group,
                                                        placement_group_bundle_index=0,
                                                        placement_group_capture_child_tasks=True)}
        else:
            options = self.resources.actor_options()
        env = dict(self.resources.env)
        if self.resources.num_gpus == 0 and len(self._engines) > 1:
            # vLLM's CPU build pins every engine's threads to the same cores by default
            # ("auto" binds to the first cores of the node): let several share the node.
            env.setdefault(CPU_BIND_VARIABLE, "nobind")
        if env:
            options["runtime_env"] = {"env_vars": env}
        engine.incarnation += 1
        engine.actor = remote_class(EngineHost).options(
            name=None, max_restarts=0, max_concurrency=1, **options).remote(self.spec)
        engine.ready_ref = engine.actor.describe.remote()
        engine.up = False
        engine.started = time.monotonic()
        engine.poll_ref = None
        engine.controls = []
        engine.outbox = []

    def _replace(self, engine: _Engine, cause: BaseException) -> None:
        """The actor is gone: start another in its slot and re-route what it had in flight."""
        if init_failed(cause):
            raise BackendError(f"engine {engine.index} ({self.model}) failed to start: {cause}") from cause
        if engine.restarts >= self.resources.max_restarts:
            raise BackendError(f"engine {engine.index} ({self.model}) died {engine.restarts + 1} times; "
                               f"giving up: {cause}") from cause
        try:
            self._ray.kill(engine.actor, no_restart=True)  # never two live actors for one slot
        except Exception:  # noqa: S110 - already gone is the usual case
            pass
        engine.restarts += 1
        self.restarts += 1
        orphans = list(engine.requests.values())
        engine.requests = {}
        engine.load = 0
        for request in orphans:
            del self._owner[request.request_id]
        self._start(engine)
        self.resubmitted += len(orphans)
        self._route(orphans)

    def _route(self, requests: Sequence[GenerationRequest]) -> None:
        """Least-loaded first; an engine still starting (a replacement loading its model)
        gets work only when no engine is up, so re-issued requests do not wait for it."""
        for request in requests:
            engine = min(self._engines, key=lambda e: (not e.up, e.load, e.index))
            engine.requests[request.request_id] = request
            engine.load += request.completions
            self._owner[request.request_id] = engine
            engine.outbox.append(request)

    def _flush(self) -> None:
        """Send what was routed since the last poll: one actor call per engine, however
        many ``submit`` calls (a loop submits a task's wave at a time) it took."""
        for engine in self._engines:
            if engine.outbox:
                batch, engine.outbox = engine.outbox, []
                engine.controls.append(engine.actor.submit.remote(batch))

    def _check(self, engine: _Engine) -> None:
        """Surface a failed submit, a dead actor, or an engine that never started."""
        ray = self._ray
        if engine.controls:
            done, pending = ray.wait(engine.controls, num_returns=len(engine.controls), timeout=0)
            engine.controls = list(pending)
            for ref in done:
                if self._get(engine, ref) is _GONE:
                    return
        if engine.ready_ref is not None:
            ready, _ = ray.wait([engine.ready_ref], timeout=0)
            if ready:
                ref, engine.ready_ref = engine.ready_ref, None
                engine.up = self._get(engine, ref) is not _GONE
            elif time.monotonic() - engine.started > self.resources.start_timeout:
                raise BackendError(
                    f"engine {engine.index} ({self.model}) did not start within "
                    f"{self.resources.start_timeout:.0f} s (resources asked: "
                    f"{self.resources.actor_options() if not self.resources.tensor_parallel else self.resources.bundles()}; "
                    f"cluster has {ray.available_resources()} free)")

    def _get(self, engine: _Engine, ref: Any) -> Any:
        """``ray.get`` one of this engine's calls: its value, or ``_GONE`` after replacing a dead actor."""
        try:
            return self._ray.get(ref)
        except Exception as exc:
            if is_actor_gone(exc):
                self._replace(engine, exc)
                return _GONE
            raise_from_actor(exc, f"engine {engine.index} ({self.model})", BackendError)

    # -- the StreamingBackend protocol

    def submit(self, requests: Sequence[GenerationRequest]) -> None:
        self._require_open()
        seen: set[str] = set()
        for request in requests:
            if request.request_id in self._owner or request.request_id in seen:
                raise BackendError(f"request id {request.request_id!r} is already in flight")
            seen.add(request.request_id)
        self._route(requests)

    def poll(self, timeout: float) -> list[Generation]:
        self._require_open()
        ray = self._ray
        deadline = time.monotonic() + timeout
        while True:
            out, self._ready = self._ready, []
            refs: dict[Any, _Engine] = {}
            self._flush()
            for engine in self._engines:
                self._check(engine)
            self._flush()  # what a replacement re-routed
            for engine in self._engines:
                if engine.requests and engine.poll_ref is None:
                    engine.poll_ref = engine.actor.poll.remote(self.resources.poll_slice)
                if engine.poll_ref is not None:
                    refs[engine.poll_ref] = engine
            if out or not refs:
                return out
            remaining = deadline - time.monotonic()
            ready, rest = ray.wait(list(refs), num_returns=1, timeout=max(0.0, remaining))
            if ready and rest:
                ready += ray.wait(rest, num_returns=len(rest), timeout=0)[0]
            for ref in ready:
                engine = refs[ref]
                if engine.poll_ref is not ref:  # replaced meanwhile
                    continue
                engine.poll_ref = None
                generations = self._get(engine, ref)
                if generations is _GONE:
                    continue
                for generation in generations:
                    request = engine.requests.pop(generation.request_id, None)
                    if request is not None:  # else aborted, or re-routed after a death
                        engine.load -= request.completions
                        self.returned[engine.index] += 1
                        del self._owner[generation.request_id]
                        self._ready.append(generation)
            if not self._ready and time.monotonic() >= deadline:
                return []

    def shorten(self, request_ids: Sequence[str], max_tokens: int) -> None:
        """Unsent requests go out shortened; sent ones are shortened in their engine
        (an ordered actor call, checked like a submit). A request re-issued after its
        engine died keeps the lower limit."""
        self._require_open()
        by_engine: dict[int, list[str]] = {}
        for request_id in dict.fromkeys(request_ids):
            engine = self._owner.get(request_id)
            if engine is None or engine.requests[request_id].max_tokens <= max_tokens:
                continue
            request = dataclasses.replace(engine.requests[request_id], max_tokens=max_tokens)
            engine.requests[request_id] = request
            if any(r.request_id == request_id for r in engine.outbox):
                engine.outbox = [request if r.request_id == request_id else r for r in engine.outbox]
            else:
                by_engine.setdefault(engine.index, []).append(request_id)
        for index, ids in by_engine.items():
            engine = self._engines[index]
            engine.controls.append(engine.actor.shorten.remote(ids, max_tokens))

    def abort(self, request_ids: Sequence[str]) -> Aborted:
        self._require_open()
        by_engine: dict[int, list[str]] = {}
        for request_id in dict.fromkeys(request_ids):
            engine = self._owner.pop(request_id, None)
            if engine is None:
                # Finished and gathered but not yet polled: it never comes back either.
                kept = [g for g in self._ready if g.request_id != request_id]
                if len(kept) < len(self._ready):
                    self._ready = kept
                    by_engine.setdefault(-1, []).append(request_id)
                continue
            request = engine.requests.pop(request_id)
            engine.load -= request.completions
            unsent = [r for r in engine.outbox if r.request_id != request_id]
            if len(unsent) < len(engine.outbox):  # never sent: nothing to stop in the engine
                engine.outbox = unsent
                by_engine.setdefault(-1, []).append(request_id)
                continue
            by_engine.setdefault(engine.index, []).append(request_id)
        calls = [(self._engines[i], self._engines[i].actor.abort.remote(ids))
                 for i, ids in by_engine.items() if i >= 0]
        tokens = 0
        for engine, ref in calls:
            result = self._get(engine, ref)
            if isinstance(result, Aborted):
                tokens += result.tokens
        return Aborted(sum(len(ids) for ids in by_engine.values()), tokens)

    def in_flight(self) -> int:
        return len(self._owner) + len(self._ready)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """The batch shape: one Generation per request, in order."""
        self.submit(requests)
        wanted = {r.request_id for r in requests}
        got: dict[str, Generation] = {}
        others: list[Generation] = []
        while len(got) < len(wanted):
            for generation in self.poll(1.0):
                if generation.request_id in wanted:
                    got[generation.request_id] = generation
                else:
                    others.append(generation)
        self._ready = others + self._ready
        return [got[r.request_id] for r in requests]

    # -- inspection and shutdown

    def actors(self) -> list[Any]:
        """The current actor handles, by engine index (tests kill them)."""
        return [e.actor for e in self._engines]

    def loads(self) -> list[int]:
        """Requests in flight on each engine, by index."""
        return [len(e.requests) for e in self._engines]

    def wait_ready(self, timeout: float | None = None) -> list[dict[str, Any]]:
        """Block until every engine has started; where each runs and what it got."""
        refs = [e.actor.describe.remote() for e in self._engines]
        try:
            described: list[dict[str, Any]] = self._ray.get(refs, timeout=timeout)
        except Exception as exc:
            if isinstance(exc, self._ray.exceptions.GetTimeoutError):
                raise BackendError(f"engines not started within {timeout} s "
                                   f"(free: {self._ray.available_resources()})") from exc
            raise_from_actor(exc, f"engine pool ({self.model})", BackendError)
        for engine in self._engines:
            engine.up = True
        return described

    def _require_open(self) -> None:
        if self._closed:
            raise BackendError("the engine pool is closed")

    def close(self) -> None:
        """Close every engine (vLLM shuts its engine core down), then end the actors."""
        if self._closed:
            return
        self._closed = True
        ray = self._ray
        for engine in self._engines:
            if not engine.up and engine.ready_ref is not None:
                engine.up = bool(ray.wait([engine.ready_ref], timeout=0)[0])
        # Engines still starting (or waiting for resources) are only killed.
        closing = [e.actor.close.remote() for e in self._engines if e.actor is not None and e.up]
        if closing:
            ray.wait(closing, num_returns=len(closing), timeout=60)
        for engine in self._engines:
            if engine.actor is not None:
                try:
                    ray.kill(engine.actor, no_restart=True)
                except Exception:  # noqa: S110 - already gone
                    pass
            if engine.placement_group is not None:
                ray.util.remove_placement_group(engine.placement_group)
        self._owner.clear()
        self._ready.clear()
        for engine in self._engines:
            engine.outbox = []


_GONE: Any = object()
"""What ``_get`` returns after it replaced a dead actor."""
