"""The unit-test verifier: runs each candidate against the task's tests in the sandbox pool."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from types import TracebackType

from tasks.errors import TaskFormatError
from tasks.types import Task
from verifiers.sandbox import TASK_DOES_NOT_LOAD, SandboxLimits, SandboxPool
from verifiers.timeouts import Calibrator
from verifiers.types import Candidate, Status, Verdict


class UnitTestVerifier:
    """``verify(task, candidates)`` -> one verdict per candidate, in order.

    Uses the given pool or starts its own on first use (and then owns and closes
    it). Limits come from calibrating the task's reference solution unless
    ``limits`` is given; the calibration runs only once a candidate needs more than
    its floor (``_calibrated_lazily``).
    """

    name = "tests"

    def __init__(
        self,
        pool: SandboxPool | None = None,
        limits: SandboxLimits | None = None,
        workers: int | None = None,
        calibrator: Calibrator | None = None,
    ) -> None:
        self._pool = pool
        self._owns_pool = pool is None
        self._limits = limits
        self._workers = workers
        self._calibrator: Calibrator | None = calibrator
        self._lock = threading.Lock()

    def _ready(self) -> tuple[SandboxPool, Calibrator]:
        with self._lock:
            if self._pool is None:
                self._pool = SandboxPool(workers=self._workers, verifier=self.name)
            if self._calibrator is None:
                self._calibrator = Calibrator(self._pool)
            return self._pool, self._calibrator

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        if not candidates:
            return []
        pool, calibrator = self._ready()
        limits = self._limits if self._limits is not None else calibrator.known(task)
        if limits is not None:
            verdicts = pool.run(task, candidates, limits)
        else:
            verdicts = _calibrated_lazily(pool, calibrator, task, candidates)
        _refuse_unloadable(task, verdicts)
        # The pool may be shared with another verifier name: stamp ours.
        return [v if v.verifier == self.name else _renamed(v, self.name) for v in verdicts]

    def close(self) -> None:
        with self._lock:
            if self._owns_pool and self._pool is not None:
                self._pool.close()
                self._pool = None
                self._calibrator = None

    def __enter__(self) -> UnitTestVerifier:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _calibrated_lazily(pool: SandboxPool, calibrator: Calibrator, task: Task,
                       candidates: Sequence[Candidate]) -> list[Verdict]:
    """Verdicts under the task's calibrated limits, calibrating only when one is needed.

    Calibration runs the reference (1.9 s of a 6.4 s ``verify`` of 328 HumanEval
    candidates), yet every calibrated limit is at least the floor. So the candidates
    run at the floor first, once: each that ends in time has the verdict it would have
    had under the calibrated limits. Only timeouts need the reference: they run again
    under its limits, that run being the usual re-run when those are the floor's.
    """
    floor = dataclasses.replace(calibrator.floor_limits(), rerun_timeouts=False)
    verdicts = pool.run(task, candidates, floor)
    late = [i for i, v in enumerate(verdicts) if v.status is Status.TIMEOUT]
    if not late:
        return verdicts
    limits = calibrator.limits_for(task)
    if limits.wall_seconds <= floor.wall_seconds:
        limits = dataclasses.replace(limits, rerun_timeouts=False)  # the floor run was the first try
    again = pool.run(task, [candidates[i] for i in late], limits)
    for i, verdict in zip(late, again, strict=True):
        verdicts[i] = verdict
    return verdicts


_UNLOADABLE = f"harness: {TASK_DOES_NOT_LOAD}"


def _refuse_unloadable(task: Task, verdicts: Sequence[Verdict]) -> None:
    """The task's own prompt and tests load before any candidate is called: where they do
    not, no candidate is to blame and no rerun mends it (every verdict was an
    infrastructure error, "rerun to retry", on every rerun: red team). Bad input. Only the
    task's own tests: a check's generated harness failing to load is the check's fault."""
    if task.test_origin != "given":  # a test made from the prompt's examples is ours to get right
        return
    for verdict in verdicts:
        if verdict.status is Status.ERROR and verdict.detail.startswith(_UNLOADABLE):
            reason = verdict.detail.removeprefix("harness: ")
            raise TaskFormatError(f"{task.task_id}: {reason}; fix or remove the task")


def _renamed(verdict: Verdict, name: str) -> Verdict:
    return Verdict(verdict.task_id, verdict.candidate_id, name, verdict.status, verdict.detail, verdict.seconds)
