"""Verification on a pool of Ray worker actors, behind the ``Verifier`` protocol.

Each worker builds its own verifier where it runs (by default the sandboxed
pipeline from ``sampler.core.verify_run.default_verifier``, with as many sandbox slots as the
CPUs Ray gave it) and only delegates to it. ``RayVerifierPool.verify(task,
candidates)`` splits the candidates into chunks over the workers, waits for the
verdicts, and returns them in the candidates' order, matched by candidate id:

* a worker that dies (killed, OOM, node lost) is replaced and its chunk verified
  again on the replacement; verdicts are keyed by candidate id and the first one
  for an id wins, so a re-verified candidate still gets exactly one verdict;
* at most ``concurrency`` chunks are outstanding per worker; a ``verify`` call
  beyond that waits for a free place (backpressure: the caller's verification
  threads slow down, memory and the object store stay bounded, and generation,
  which never waits on ``verify``, goes on);
* a task's chunks go first to the worker its task id hashes to (its time-limit
  calibration and verdict cache live there), otherwise to the least busy worker.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cluster._ray import import_ray, init_failed, is_actor_gone, raise_from_actor, remote_class
from tasks.errors import ConfigError, InfrastructureError
from tasks.types import Task
from verifiers.types import Candidate, Verdict, Verifier


@dataclass(frozen=True)
class VerifierSpec:
    """What a worker builds; picklable. ``factory`` (a module-level callable) overrides
    the default pipeline of ``stages`` with ``slots`` sandbox slots."""

    stages: tuple[str, ...] | None = None
    slots: int | None = None
    """Sandbox slots in the worker (None: the CPUs Ray assigned it, at least 1)."""
    factory: Callable[[], Verifier] | None = None

    def build(self, cpus: float) -> Verifier:
        if self.factory is not None:
            return self.factory()
        slots = self.slots if self.slots is not None else max(1, int(cpus))
        from verifiers.pipeline import make_pipeline

        return make_pipeline(list(self.stages) if self.stages is not None else None, workers=slots)


@dataclass(frozen=True)
class VerifierResources:
    num_cpus: float = 1.0
    """CPUs per worker (and, by default, its sandbox slots)."""
    concurrency: int = 2
    """Chunks a worker verifies at once; also the backpressure bound per worker."""
    chunk: int = 4
    """Candidates per chunk at most: a call's candidates spread over workers in chunks."""
    resources: tuple[tuple[str, float], ...] = ()
    max_restarts: int = 3
    """Replacements per worker before the pool gives up with ``InfrastructureError``."""

    def __post_init__(self) -> None:
        if self.num_cpus < 0:
            raise ConfigError(f"num_cpus must be >= 0, got {self.num_cpus}")
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.chunk < 1:
            raise ConfigError(f"chunk must be >= 1, got {self.chunk}")
        if self.max_restarts < 0:
            raise ConfigError(f"max_restarts must be >= 0, got {self.max_restarts}")


class VerifierHost:
    """The body of a verifier worker actor: builds the verifier, then only delegates."""

    def __init__(self, spec: VerifierSpec) -> None:
        ray = import_ray()
        cpus = float(ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0))
        self._verifier = spec.build(cpus)
        self.name = self._verifier.name

    def verifier_name(self) -> str:
        return self.name

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        return self._verifier.verify(task, candidates)

    def stats(self) -> dict[str, dict[str, Any]]:
        stats = getattr(self._verifier, "stats_dict", None)
        return dict(stats()) if callable(stats) else {}

    def pid(self) -> int:
        import os

        return os.getpid()

    def close(self) -> None:
        close = getattr(self._verifier, "close", None)
        if callable(close):
            close()


@dataclass
class _Worker:
    index: int
    actor: Any = None
    incarnation: int = 0
    busy: int = 0
    restarts: int = 0
    ready_ref: Any = None


class RayVerifierPool:
    """The ``Verifier`` protocol over ``workers`` worker actors (see the module docstring).

    Thread-safe: the loop calls ``verify`` from several threads at once. Ray must be
    initialised first. ``name`` is the workers' verifier name, so a run's fingerprint
    is the same with or without Ray.
    """

    def __init__(self, spec: VerifierSpec, workers: int,
                 resources: VerifierResources | None = None) -> None:
        if workers < 1:
            raise ConfigError(f"verifier workers must be >= 1, got {workers}")
        self.spec = spec
        self.resources = resources or VerifierResources()
        self._ray = import_ray()
        self._lock = threading.Condition()
        self._workers = [_Worker(i) for i in range(workers)]
        self.restarts = 0
        """Worker actors replaced so far."""
        self.reverified = 0
        """Candidates sent again after their worker died."""
        self.parallelism = workers * self.resources.concurrency
        """Verification calls this pool can serve at once: callers sizing a thread pool
        for ``verify`` (the loop's verification threads) should allow this many."""
        self._closed = False
        try:
            for worker in self._workers:
                self._start(worker)
            self.name: str = self._call_name()
        except BaseException:
            self.close()
            raise

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"num_cpus": self.resources.num_cpus,
                                   "max_concurrency": self.resources.concurrency,
                                   "max_restarts": 0}
        if self.resources.resources:
            options["resources"] = dict(self.resources.resources)
        return options

    def _start(self, worker: _Worker) -> None:
        worker.incarnation += 1
        worker.actor = remote_class(VerifierHost).options(**self._options()).remote(self.spec)
        worker.ready_ref = worker.actor.pid.remote()
        worker.busy = 0

    def _call_name(self) -> str:
        worker = self._workers[0]
        try:
            name: str = self._ray.get(worker.actor.verifier_name.remote())
        except Exception as exc:
            raise_from_actor(exc, "verifier worker 0 failed to start")
        return name

    # -- dispatch

    def _acquire(self, task_id: str, rank: int, block: bool) -> tuple[_Worker, int] | None:
        """A worker with a free place: the task's own first, else the least busy. None when
        there is none and ``block`` is false; else waits for one."""
        home = (int(hashlib.sha256(task_id.encode()).hexdigest()[:8], 16) + rank) % len(self._workers)
        with self._lock:
            while True:
                if self._closed:
                    raise InfrastructureError("the verifier pool is closed")
                free = [w for w in self._workers if w.busy < self.resources.concurrency]
                if free:
                    worker = min(free, key=lambda w: (w.busy, (w.index - home) % len(self._workers)))
                    worker.busy += 1
                    return worker, worker.incarnation
                if not block:
                    return None
                self._lock.wait()

    def _release(self, worker: _Worker, incarnation: int) -> None:
        with self._lock:
            if worker.incarnation == incarnation:
                worker.busy -= 1
            self._lock.notify_all()

    def _replace(self, worker: _Worker, incarnation: int, cause: BaseException) -> None:
        with self._lock:
            if worker.incarnation != incarnation:  # another thread replaced it already
                self._lock.notify_all()
                return
            if init_failed(cause):
                raise InfrastructureError(f"verifier worker {worker.index} failed to start: {cause}") from cause
            if worker.restarts >= self.resources.max_restarts:
                raise InfrastructureError(f"verifier worker {worker.index} died {worker.restarts + 1} "
                                          f"times; giving up: {cause}") from cause
            try:
                self._ray.kill(worker.actor, no_restart=True)
            except Exception:  # noqa: S110 - already gone is the usual case
                pass
            worker.restarts += 1
            self.restarts += 1
            self._start(worker)
            self._lock.notify_all()

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        if not candidates:
            return []
        ray = self._ray
        size = self.resources.chunk
        chunks = [list(candidates[i:i + size]) for i in range(0, len(candidates), size)]
        verdicts: dict[str, Verdict] = {}
        pending: dict[Any, tuple[list[Candidate], _Worker, int]] = {}
        todo = list(enumerate(chunks))
        try:
            while todo or pending:
                while todo:
                    # Wait for a place only with nothing of ours outstanding: a call never
                    # blocks on places its own chunks hold.
                    got = self._acquire(task.task_id, todo[-1][0], block=not pending)
                    if got is None:
                        break
                    worker, incarnation = got
                    rank, chunk = todo.pop()
                    ref = worker.actor.verify.remote(task, chunk)
                    pending[ref] = (chunk, worker, incarnation)
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    chunk, worker, incarnation = pending.pop(ref)
                    try:
                        batch = ray.get(ref)
                    except Exception as exc:
                        self._release(worker, incarnation)
                        if not is_actor_gone(exc):
                            raise_from_actor(exc, f"verifier worker {worker.index}")
                        self._replace(worker, incarnation, exc)
                        with self._lock:
                            self.reverified += len(chunk)
                        todo.append((0, chunk))
                        continue
                    self._release(worker, incarnation)
                    self._collect(task, chunk, batch, verdicts)
        finally:
            for chunk, worker, incarnation in pending.values():
                self._release(worker, incarnation)
        missing = [c.candidate_id for c in candidates if c.candidate_id not in verdicts]
        if missing:
            raise InfrastructureError(f"verifier pool: no verdict for {missing[:5]} of {task.task_id}")
        return [verdicts[c.candidate_id] for c in candidates]

    @staticmethod
    def _collect(task: Task, chunk: Sequence[Candidate], batch: Sequence[Verdict],
                 verdicts: dict[str, Verdict]) -> None:
        wanted = {c.candidate_id for c in chunk}
        for verdict in batch:
            if verdict.task_id != task.task_id or verdict.candidate_id not in wanted:
                raise InfrastructureError(f"verifier worker returned a verdict for "
                                          f"{verdict.task_id}/{verdict.candidate_id}, not asked for")
            verdicts.setdefault(verdict.candidate_id, verdict)

    # -- inspection and shutdown

    def actors(self) -> list[Any]:
        with self._lock:
            return [w.actor for w in self._workers]

    def busy(self) -> list[int]:
        """Chunks outstanding on each worker, by index."""
        with self._lock:
            return [w.busy for w in self._workers]

    def wait_ready(self, timeout: float | None = None) -> list[int]:
        """Block until every worker has built its verifier; their process ids."""
        refs = [w.actor.pid.remote() for w in self._workers]
        try:
            pids: list[int] = self._ray.get(refs, timeout=timeout)
        except Exception as exc:
            raise_from_actor(exc, "verifier pool")
        return pids

    def stats_dict(self) -> dict[str, dict[str, Any]]:
        """Per-stage counts and seconds summed over the live workers (as the pipeline's)."""
        refs = [w.actor.stats.remote() for w in self._workers]
        total: dict[str, dict[str, Any]] = {}
        for ref in refs:
            try:
                stats = self._ray.get(ref, timeout=30)
            except Exception:  # noqa: S112 - a dead worker's counts are lost; the rest still add up
                continue
            for stage, counts in stats.items():
                into = total.setdefault(stage, {})
                for key, value in counts.items():
                    into[key] = into.get(key, 0) + value
        return total

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._lock.notify_all()
            actors = [w.actor for w in self._workers if w.actor is not None]
            refs = [w.ready_ref for w in self._workers if w.actor is not None]
        ray = self._ray
        # Workers still starting (or waiting for CPUs) are only killed.
        closing = [a.close.remote() for a, ref in zip(actors, refs)
                   if ref is not None and ray.wait([ref], timeout=0)[0]]
        if closing:
            ray.wait(closing, num_returns=len(closing), timeout=60)
        for actor in actors:
            try:
                ray.kill(actor, no_restart=True)
            except Exception:  # noqa: S110 - already gone
                pass

