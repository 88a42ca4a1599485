"""Which cores a sandbox pool may pin its slots to: the ones nothing else keeps busy.

A pinned slot beside a busy process starves, so a pool pins only when it finds a
core idle for every slot. Finding that out takes a look at ``/proc/stat`` over a
short time (its counters tick every 10 ms). Sleeping through that look cost every
``bestofn verify`` 0.1 s of its start-up, so the look starts when this module is
imported: by the time a pool is made, the process has spent that long importing
and reading its inputs, and only what is left of the look is slept.

Our own process is busy over such a look (importing), so a core counts as idle when
what is left on it is within the threshold however our own CPU time was spread over
the cores: only the part of our time that cannot have run anywhere else is taken off
it. A core another process keeps busy therefore never looks idle because we were busy
too.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

LOOK_SECONDS = 0.1
"""The shortest look that says a core is idle (ten of ``/proc/stat``'s ticks)."""
STALE_SECONDS = 5.0
"""A look started longer ago than this says nothing of now: a fresh one is taken."""
IDLE_THRESHOLD = 0.5


@dataclass(frozen=True)
class CpuSnapshot:
    """Per-core (idle, total) ticks, our own process's CPU seconds, and when."""

    cores: dict[int, tuple[int, int]]
    own_seconds: float
    at: float


def _cpu_times() -> dict[int, tuple[int, int]]:
    """(idle, total) ticks per core, from /proc/stat."""
    out: dict[int, tuple[int, int]] = {}
    with open("/proc/stat") as stat:
        for line in stat:
            name, *fields = line.split()
            if name.startswith("cpu") and name[3:].isdigit():
                ticks = [int(f) for f in fields]
                out[int(name[3:])] = (ticks[3] + (ticks[4] if len(ticks) > 4 else 0), sum(ticks))
    return out


def snapshot() -> CpuSnapshot | None:
    try:
        return CpuSnapshot(_cpu_times(), time.process_time(), time.monotonic())
    except (OSError, ValueError, IndexError):
        return None


_IMPORTED = snapshot()
"""Where the first look starts: this module's import, early in a process's start-up."""


def children_started() -> None:
    """A look begun before now would count the work of processes we just started (a
    pool's servers starting up) as some other process's: later looks start afresh."""
    global _IMPORTED
    _IMPORTED = None


def idle_cpus(seconds: float = LOOK_SECONDS, threshold: float = IDLE_THRESHOLD,
              since: CpuSnapshot | None = None) -> list[int]:
    """The cores we may use that were idle at least ``threshold`` of a look of at
    least ``seconds``, not counting our own process's CPU time.

    The look starts at ``since``, else at this module's import if that is recent,
    else now; only the part of ``seconds`` not yet past is slept.
    """
    allowed = sorted(os.sched_getaffinity(0))
    start = since
    if start is None:
        imported = _IMPORTED  # read once: a server launched on another thread clears it
        start = imported if imported is not None and time.monotonic() - imported.at < STALE_SECONDS else None
    if start is None:
        start = snapshot()
        if start is None:
            return []
    time.sleep(max(0.0, seconds - (time.monotonic() - start.at)))
    end = snapshot()
    if end is None:
        return []
    busy: dict[int, float] = {}
    for cpu in allowed:
        if cpu in start.cores and cpu in end.cores:
            total = end.cores[cpu][1] - start.cores[cpu][1]
            if total > 0:
                busy[cpu] = 1.0 - (end.cores[cpu][0] - start.cores[cpu][0]) / total
    others = _without_own(busy, start, end)
    # Least busy first: when there are more idle cores than slots, the slots take
    # the cores least likely to have been some other process's.
    return sorted((cpu for cpu in others if others[cpu] <= 1.0 - threshold), key=lambda cpu: (busy[cpu], cpu))


def _without_own(busy: dict[int, float], start: CpuSnapshot, end: CpuSnapshot) -> dict[int, float]:
    """Each core's busy share less the part of our own CPU time that must have run on
    it (what the other cores' busy shares cannot hold): the most another process can
    have kept it busy, however our time was spread."""
    elapsed = end.at - start.at
    if elapsed <= 0:
        return busy
    own = max(0.0, end.own_seconds - start.own_seconds) / elapsed  # in cores
    total = sum(busy.values())
    return {cpu: b - min(b, max(0.0, own - (total - b))) for cpu, b in busy.items()}


def pinning_plan(workers: int, idle: list[int]) -> list[frozenset[int]]:
    """One core per slot when there are enough idle cores for every slot, else none:
    a slot pinned to a core something else keeps busy would be starved."""
    if len(idle) < workers:
        return [frozenset()] * workers
    return [frozenset({idle[i]}) for i in range(workers)]
