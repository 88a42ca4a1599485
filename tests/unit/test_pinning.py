"""Which cores a pool pins to: the look at idle cores starts early and does not count our own work."""

from __future__ import annotations

import os
import time

import pytest

from verifiers import pinning
from verifiers.pinning import CpuSnapshot
from verifiers.sandbox import SandboxPool


def _look(busy: dict[int, float], own_cores: float, seconds: float = 1.0) -> dict[int, float]:
    ticks = 100 * seconds
    start = CpuSnapshot({cpu: (0, 0) for cpu in busy}, 0.0, 0.0)
    end = CpuSnapshot({cpu: (round(ticks * (1 - b)), round(ticks)) for cpu, b in busy.items()},
                      own_cores * seconds, seconds)
    return pinning._without_own(busy, start, end)


def test_our_own_cpu_time_does_not_make_a_core_busy() -> None:
    # A quiet machine while we import on core 0 (or moving between both): both cores idle.
    assert all(v < 0.01 for v in _look({0: 1.0, 1: 0.05}, own_cores=1.05).values())
    assert all(v < 0.01 for v in _look({0: 0.5, 1: 0.55}, own_cores=1.05).values())
    # Something else keeps one core busy while we ran on the other: one idle core, not two.
    left = _look({0: 1.0, 1: 1.0}, own_cores=1.0)
    assert sorted(round(v, 2) for v in left.values()) == [0.0, 1.0]
    # Both cores busy with others as well as us: none idle.
    assert all(v >= 0.5 for v in _look({0: 1.0, 1: 1.0}, own_cores=0.0).values())


def test_a_look_already_long_enough_is_not_slept_through_again() -> None:
    start = pinning.snapshot()
    assert start is not None
    time.sleep(pinning.LOOK_SECONDS)
    t0 = time.monotonic()
    idle = pinning.idle_cpus(threshold=0.0, since=start)
    assert time.monotonic() - t0 < pinning.LOOK_SECONDS / 2
    assert sorted(idle) == sorted(os.sched_getaffinity(0))
    # A look started just now still lasts LOOK_SECONDS.
    t0 = time.monotonic()
    pinning.idle_cpus(threshold=0.0, since=pinning.snapshot())
    assert time.monotonic() - t0 >= pinning.LOOK_SECONDS * 0.9


def test_a_look_begun_before_a_pool_started_is_not_used_by_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    # The look from import time would count the first pool's servers starting up as
    # another process's work, so a pool made after them looks afresh.
    monkeypatch.setattr(pinning, "_IMPORTED", pinning.snapshot())
    time.sleep(pinning.LOOK_SECONDS)
    with SandboxPool(workers=1):
        assert pinning._IMPORTED is None
        t0 = time.monotonic()
        pinning.idle_cpus(threshold=0.0)
        assert time.monotonic() - t0 >= pinning.LOOK_SECONDS * 0.9
