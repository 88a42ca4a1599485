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
    # Something else keeps one core busy while we ran on the other: which is which is
    # not known, so neither counts as idle (no pinning; never onto the busy one).
    assert all(v >= 0.5 for v in _look({0: 1.0, 1: 1.0}, own_cores=1.0).values())
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


def test_a_core_another_process_keeps_busy_never_looks_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 0.1 s look: another process kept core 0 70% busy; we used 0.04 s of CPU on core 1.
    # However our time is spread, core 0 was at least 70% someone else's: not idle.
    monkeypatch.setattr("verifiers.pinning.os.sched_getaffinity", lambda pid: {0, 1})
    start = CpuSnapshot({0: (0, 0), 1: (0, 0)}, own_seconds=0.0, at=time.monotonic() - 0.1)
    end = CpuSnapshot({0: (3, 10), 1: (6, 10)}, own_seconds=0.04, at=start.at + 0.1)
    monkeypatch.setattr(pinning, "snapshot", lambda: end)
    assert pinning.idle_cpus(since=start) == [1]
    assert pinning.pinning_plan(2, [1]) == [frozenset(), frozenset()]


def test_a_server_launched_on_another_thread_mid_look_is_no_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pinning, "_IMPORTED", pinning.snapshot())
    real = time.monotonic

    def monotonic() -> float:  # another thread launches a server exactly here
        pinning.children_started()
        return real()

    monkeypatch.setattr("verifiers.pinning.time.monotonic", monotonic)
    pinning.idle_cpus(seconds=0.0)
