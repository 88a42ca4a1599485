"""The verification pipeline: cheap checks first, each stage on the survivors of the one before.

Stages, always in this order whatever order they are named in:

* ``syntax``: ``compile()`` (compiling executes nothing);
* ``tests``: ``UnitTestVerifier`` (the task's tests, in the sandbox);
* ``mypy``: ``TypeCheckVerifier`` (static, no execution); it and ``syntax`` run in
  guarded worker processes (``verifiers.guarded``): what they read can crash or
  bloat a compiler, never the verifier's own process;
* ``properties``: ``PropertyVerifier`` (differential testing, in the sandbox; it
  shares the tests' ``SandboxPool``).

A stage that does not apply to a task is skipped for it (``tests`` without
tests, ``properties`` without a reference or generable inputs). The final
verdict of a candidate is its first non-pass (``verifier`` is the failing
stage's name, its detail is prefixed with it); ERROR stays ERROR; a candidate
that passed every stage that ran gets PASSED from ``pipeline``.

Every stage goes through a ``VerdictCache`` (unless disabled): duplicates (the
same text), in the batch or seen before, are verified once.
``stats()`` gives per-stage counts and times, cumulative since construction or
``reset_stats()``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any, Protocol

from tasks.errors import ConfigError, InfrastructureError, UnknownNameError
from tasks.types import Task
from verifiers.cache import CacheKey, VerdictCache
from verifiers.guarded import GuardedVerifier
from verifiers.properties import PropertyConfig, PropertyVerifier
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.typecheck import TypeCheckConfig, TypeCheckVerifier
from verifiers.channel import COMPILE_ERRORS, compile_candidate
from verifiers.types import NOT_APPLICABLE, Candidate, Status, Verdict, Verifier, truncate
from verifiers.unit_tests import UnitTestVerifier



class SyntaxVerifier:
    """``compile()`` of each candidate: a syntax error is FAILED with its message and line."""

    name = "syntax"
    version = "1"

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        out = []
        for cand in candidates:
            start = time.perf_counter()
            status, detail = Status.PASSED, ""
            try:
                compile_candidate(cand.source)
            except SyntaxError as exc:
                status, detail = Status.FAILED, f"{type(exc).__name__}: {exc.msg} (line {exc.lineno})"
            except COMPILE_ERRORS as exc:
                status, detail = Status.FAILED, f"does not compile: {type(exc).__name__}: {exc}"
            seconds = time.perf_counter() - start
            out.append(Verdict(cand.task_id, cand.candidate_id, self.name, status, truncate(detail), seconds))
        return out


class _Closeable(Protocol):
    def close(self) -> None: ...


@dataclass(frozen=True)
class Stage:
    """One verifier in the pipeline and how it is cached and applied."""

    name: str
    verifier: Verifier
    version: str = "0"
    applies: Callable[[Task], bool] | None = None


@dataclass(frozen=True)
class StageOptions:
    """What a stage builder gets: the sandbox pool the stages share (None when no chosen
    stage needs one) and the pipeline's per-stage settings."""

    pool: SandboxPool | None
    typecheck: TypeCheckConfig | None = None
    properties: PropertyConfig | None = None
    limits: SandboxLimits | None = None


StageBuilder = Callable[[StageOptions], tuple[Stage, _Closeable]]
"""Builds a stage and what the pipeline must close with it."""


@dataclass(frozen=True)
class _Registered:
    build: StageBuilder
    sandbox: bool


_STAGES: dict[str, _Registered] = {}
"""Every stage ``make_pipeline`` can build, by name, cheapest first: the order they run in."""


def register_stage(name: str, build: StageBuilder, *, sandbox: bool = False, before: str | None = None) -> None:
    """Make stage ``name`` available to ``--verifiers`` and ``make_pipeline``. It runs
    after the stages registered so far, or just before stage ``before``; ``sandbox``:
    it runs candidates, so it needs the shared sandbox pool."""
    if name in _STAGES:
        raise ConfigError(f"verifier stage {name!r} is registered already")
    if before is not None and before not in _STAGES:
        raise ConfigError(f"cannot place {name!r} before unknown stage {before!r}")
    entries = list(_STAGES.items())
    at = len(entries) if before is None else [n for n, _ in entries].index(before)
    entries.insert(at, (name, _Registered(build, sandbox)))
    _STAGES.clear()
    _STAGES.update(entries)


def stage_order() -> tuple[str, ...]:
    """The registered stages, in the order they run (cheapest first)."""
    return tuple(_STAGES)


@dataclass(frozen=True)
class StageStats:
    """``reached``: candidates that got to the stage; ``ran``: those the verifier itself
    checked (the rest were ``cached``, in the cache or duplicates in the batch, or
    ``skipped`` because the stage did not apply); ``seconds``: wall time in the stage."""

    reached: int = 0
    ran: int = 0
    cached: int = 0
    skipped: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    seconds: float = 0.0

    def plus(self, other: StageStats) -> StageStats:
        return StageStats(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other))))


class Pipeline:
    """Implements the Verifier protocol (name ``pipeline:<stages>``). Closes what it owns."""

    def __init__(
        self,
        stages: Sequence[Stage],
        cache: VerdictCache | None = None,
        owned: Sequence[_Closeable] = (),
        sandbox_pool: SandboxPool | None = None,
    ) -> None:
        if not stages:
            raise ConfigError("a pipeline needs at least one stage")
        names = [s.name for s in stages]
        if len(set(names)) != len(names):
            raise ConfigError(f"duplicate stage names in {names!r}")
        order = stage_order()
        rank = {name: i for i, name in enumerate(order)}
        self._stages = tuple(sorted(stages, key=lambda s: rank.get(s.name, len(order))))
        self.cache = cache
        self.sandbox_pool = sandbox_pool
        """The pool its sandbox stages share (None without one): other sandbox work of
        the same run (collecting outputs for agreement) can share it too."""
        self._owned = list(owned)
        self._lock = threading.Lock()
        self._stats: dict[str, StageStats] = {s.name: StageStats() for s in self._stages}
        # The stages are part of the name: a resumed run must not mix verdicts of other checks.
        self.name = "pipeline:" + "+".join(self.stage_names)

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self._stages)

    def prefetch(self, tasks: Sequence[Task]) -> None:
        """Every task of the run, known up front (``verify``): stages that can prepare
        work ahead (the property check draws its inputs) start on it now."""
        for stage in self._stages:
            prefetch = getattr(stage.verifier, "prefetch", None)
            if callable(prefetch):
                prefetch(tasks)

    def stats(self) -> Mapping[str, StageStats]:
        with self._lock:
            return MappingProxyType(dict(self._stats))

    def stats_dict(self) -> dict[str, dict[str, Any]]:
        """``stats()`` as plain JSON-able data (for samples.jsonl or run.json)."""
        return {name: dataclasses.asdict(s) for name, s in self.stats().items()}

    def reset_stats(self) -> None:
        with self._lock:
            self._stats = {s.name: StageStats() for s in self._stages}

    def _count(self, name: str, delta: StageStats) -> None:
        with self._lock:
            self._stats[name] = self._stats[name].plus(delta)

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        n = len(candidates)
        final: list[Verdict | None] = [None] * n
        seconds = [0.0] * n
        timings: list[list[tuple[str, float]]] = [[] for _ in range(n)]
        alive = list(range(n))
        ran: list[str] = []
        skipped: list[str] = []
        for stage in self._stages:
            if not alive:
                break
            if stage.applies is not None and not stage.applies(task):
                self._count(stage.name, StageStats(reached=len(alive), skipped=len(alive)))
                skipped.append(stage.name)
                continue
            ran.append(stage.name)
            start = time.perf_counter()
            verdicts, ran_count, cached = self._run_stage(stage, task, [candidates[i] for i in alive])
            elapsed = time.perf_counter() - start
            survivors = []
            for i, verdict in zip(alive, verdicts):
                seconds[i] += verdict.seconds
                timings[i].append((stage.name, round(verdict.seconds, 4)))
                if verdict.passed:
                    survivors.append(i)
                    if verdict.detail.startswith(NOT_APPLICABLE) and stage.name in ran:
                        # Said in the verdict, not dropped: "passed properties" read as a
                        # check made when the reference could not be used (red team).
                        ran.remove(stage.name)
                        skipped.append(f"{stage.name}: {verdict.detail[len(NOT_APPLICABLE):].strip()}")
                else:
                    final[i] = Verdict(
                        task.task_id, candidates[i].candidate_id, stage.name, verdict.status,
                        truncate(f"{stage.name}: {verdict.detail}" if verdict.detail else stage.name), seconds[i],
                        tuple(timings[i]),
                    )  # fmt: skip
            passed = len(survivors)
            errors = sum(v.status is Status.ERROR for v in verdicts)
            self._count(stage.name, StageStats(len(alive), ran_count, cached, 0, passed,
                                               len(alive) - passed - errors, errors, elapsed))
            alive = survivors
        note = f"passed {', '.join(ran)}" if ran else "no stage applies"
        if skipped:
            note += f" (not applicable: {', '.join(skipped)})"
        for i in alive:
            final[i] = Verdict(task.task_id, candidates[i].candidate_id, self.name, Status.PASSED,
                               truncate(note), seconds[i], tuple(timings[i]))
        out = [v for v in final if v is not None]
        assert len(out) == n
        return out

    def _run_stage(self, stage: Stage, task: Task, cands: Sequence[Candidate]) -> tuple[list[Verdict], int, int]:
        """The stage's verdicts for ``cands``, verifying each distinct program once: (verdicts, ran, cached)."""
        results: list[Verdict | None] = [None] * len(cands)
        groups: dict[CacheKey | int, list[int]] = {}
        cached = 0
        for j, cand in enumerate(cands):
            if self.cache is None:
                groups[j] = [j]
                continue
            key = VerdictCache.key(task, cand, stage.name, stage.version)
            hit = self.cache.get(key, cand)
            if hit is not None:
                results[j] = hit
                cached += 1
            elif key in groups:
                groups[key].append(j)
                cached += 1
            else:
                groups[key] = [j]
        reps = [cands[group[0]] for group in groups.values()]
        verdicts = self._call(stage, task, reps)
        for (group_key, group), verdict in zip(groups.items(), verdicts):
            if self.cache is not None and isinstance(group_key, CacheKey):
                self.cache.put(group_key, verdict)
            results[group[0]] = verdict
            for j in group[1:]:
                results[j] = dataclasses.replace(verdict, candidate_id=cands[j].candidate_id, seconds=0.0)
        out = [v for v in results if v is not None]
        assert len(out) == len(cands)
        return out, len(reps), cached

    @staticmethod
    def _call(stage: Stage, task: Task, reps: Sequence[Candidate]) -> list[Verdict]:
        if not reps:
            return []
        try:
            verdicts = stage.verifier.verify(task, reps)
        except InfrastructureError as exc:  # a broken sandbox is ERROR, never FAILED
            detail = truncate(f"infrastructure: {type(exc).__name__}: {exc}")
            return [Verdict(c.task_id, c.candidate_id, stage.name, Status.ERROR, detail) for c in reps]
        if len(verdicts) != len(reps) or any(v.candidate_id != c.candidate_id for v, c in zip(verdicts, reps)):
            raise RuntimeError(f"stage {stage.name!r} returned verdicts out of order")
        return verdicts

    def close(self) -> None:
        owned, self._owned = self._owned, []
        for thing in owned:
            thing.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def normalise_stages(names: Sequence[str] | None) -> tuple[str, ...]:
    """Validated stage names in the cheap-first order (all of them for None)."""
    if names is None:
        return stage_order()
    if isinstance(names, str):
        raise ConfigError(f"stages must be a list of names, got the string {names!r}")
    unknown = [n for n in names if n not in _STAGES]
    if unknown:
        raise UnknownNameError(f"unknown verifier stage {unknown[0]!r} (known: {', '.join(_STAGES)})")
    if not names:
        raise ConfigError("at least one verifier stage is needed")
    return tuple(n for n in _STAGES if n in names)


def make_pipeline(
    stages: Sequence[str] | None = None,
    *,
    pool: SandboxPool | None = None,
    workers: int | None = None,
    cache: VerdictCache | bool = True,
    typecheck: TypeCheckConfig | None = None,
    properties: PropertyConfig | None = None,
    limits: SandboxLimits | None = None,
    pin: bool = False,
) -> Pipeline:
    """A pipeline of the named stages (default: all, each used where it applies to the task).

    The sandbox stages share one ``SandboxPool``: ``pool`` if given (not closed
    by the pipeline), else one started here with ``workers`` slots (closed by
    ``close()``). ``cache``: a shared ``VerdictCache``, True for a private one,
    False for none. ``limits``: fixed unit-test limits (default: calibrated).
    ``pin``: keep each sandbox slot on one core (faster; see ``SandboxPool``).
    """
    names = normalise_stages(stages)
    owned: list[_Closeable] = []
    built: list[Stage] = []
    try:
        shared = pool
        if shared is None and any(_STAGES[n].sandbox for n in names):
            shared = SandboxPool(workers=workers, pin=pin)
            owned.append(shared)
        options = StageOptions(shared, typecheck, properties, limits)
        for name in names:
            stage, closeable = _STAGES[name].build(options)
            owned.insert(0, closeable)
            built.append(stage)
    except BaseException:
        for thing in owned:
            thing.close()
        raise
    chosen = cache if isinstance(cache, VerdictCache) else (VerdictCache() if cache else None)
    return Pipeline(built, cache=chosen, owned=owned, sandbox_pool=shared)


# --------------------------------------------------------------------------- the built-in stages


def _syntax(options: StageOptions) -> tuple[Stage, _Closeable]:
    compiler = GuardedVerifier(SyntaxVerifier, "syntax")
    return Stage("syntax", compiler, SyntaxVerifier.version), compiler


def _mypy(options: StageOptions) -> tuple[Stage, _Closeable]:
    import mypy.version

    config = options.typecheck if options.typecheck is not None else TypeCheckConfig()
    checker = GuardedVerifier(functools.partial(TypeCheckVerifier, config), "mypy")
    return Stage("mypy", checker, f"{mypy.version.__version__}:{_digest(config)}"), checker


def _tests(options: StageOptions) -> tuple[Stage, _Closeable]:
    tests = UnitTestVerifier(pool=options.pool, limits=options.limits)
    # 3: what a candidate keeps from one call to the next is the tests' object (runtime/shared_state.py);
    # 4: and what the tests changed and then dropped reaches it (an eighth red team);
    # 5: the tests' Counter, OrderedDict and defaultdict cross as themselves (runtime/codec.py)
    stage = Stage("tests", tests, f"5:{_digest(options.limits)}", applies=lambda t: bool(t.test.strip()))
    return stage, tests


def _properties(options: StageOptions) -> tuple[Stage, _Closeable]:
    props = PropertyVerifier(pool=options.pool, config=options.properties)
    return Stage("properties", props, props.version, applies=props.applies), props


register_stage("syntax", _syntax)
# The tests before mypy: per candidate they cost about half what mypy does (a full
# HumanEval run: 22 s for 369 candidates against 42 s for 371) and they reject most
# candidates (252 of 393 there) where mypy rejects few (2 of 395): mypy now reads
# only what passed the tests.
register_stage("tests", _tests, sandbox=True)
register_stage("mypy", _mypy)
register_stage("properties", _properties, sandbox=True)

STAGE_ORDER: tuple[str, ...] = stage_order()
"""The built-in stages, cheapest first (``stage_order()`` includes any registered later)."""
