"""Stand-in checks for the guarded-worker tests: they crash on a marker, as a compiler might."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence

from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict


class CrashOnMarker:
    """Passes every candidate, except that ``# segfault`` kills the process, ``# bloat``
    allocates until the address-space limit stops it, ``# hang`` never returns and
    ``# recurse`` overruns the recursion limit (as ``ast.unparse`` did on a long chain)."""

    name = "crashy"
    version = "1"

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        for c in candidates:
            if "# segfault" in c.source:
                ctypes.string_at(0)
            if "# bloat" in c.source:
                hoard = []
                while True:
                    hoard.append(bytearray(64 << 20))
            if "# recurse" in c.source:
                def down(n: int) -> int:
                    return down(n + 1) + 1
                down(0)
            if "# hang" in c.source:
                while True:
                    pass
        return [Verdict(c.task_id, c.candidate_id, self.name, Status.PASSED, f"pid {os.getpid()}")
                for c in candidates]


class NeverStarts:
    name = "broken"
    version = "1"

    def __init__(self) -> None:
        raise RuntimeError("no checker installed")

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        raise AssertionError("unreachable")
