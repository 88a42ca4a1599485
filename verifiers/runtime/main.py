"""The entry point of both servers: pin, preload, warm up, then serve.

Inside the sandbox: ``main(sys.argv)`` with argv ``[program, MODE, CTL_FD, UID, CPUS, CGROUP_FD]``
(see ``verifiers.sandbox_servers``).
"""

from __future__ import annotations

import os
import socket

from .candidate_side import candidate_server
from .test_side import test_server

# Imported once by each server so the per-job children inherit them: a fresh
# import of typing alone cost ~40 ms in a forked child here, more than the whole
# job. These are what HumanEval prompts, tests and solutions import most.
PRELOAD = (
    "typing", "math", "random", "copy", "string", "collections", "re", "hashlib",
    "itertools", "functools", "heapq", "bisect", "fractions", "statistics",
)


def _preload() -> None:
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass


# The first compile() in a process pays a one-off setup (~3 ms and ~250 page
# faults here). Paying it in the server means no forked child pays it again.
_WARM_UP_SOURCE = """
import math
from typing import List, Optional
class _C:
    def m(self, x: List[int], y: Optional[str] = None) -> int:
        try:
            return sum(v * 2 for v in x if v > 0) + len({k: v for k, v in zip(x, x)})
        except (ValueError, TypeError) as exc:
            raise RuntimeError(f"{exc!r:>10}") from None
        finally:
            _ = [lambda z: z ** 2, (1, 2.5, "s", b"b", None, True), {1, 2}]
async def _a():
    async with x as y:
        await y
while False:
    assert 1, "m"; del _C; global g; break
"""


def _warm_up_compiler() -> None:
    compile(_WARM_UP_SOURCE, "<warm-up>", "exec")


def _pin(cpus: str) -> None:
    """Keep this server and everything it forks on the given cores (best effort).

    A slot's two servers share a core: every call across the channel is then a
    local wakeup, not a cross-core one, and a forked child starts on a warm cache.
    """
    if cpus and cpus != "-":
        try:
            os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})
        except (OSError, ValueError):
            pass


def main(argv: list[str]) -> int:
    mode, ctl_fd = argv[1], int(argv[2])
    _pin(argv[4] if len(argv) > 4 else "")
    _preload()
    _warm_up_compiler()
    ctl = socket.socket(fileno=ctl_fd)
    if mode == "candidate-server":
        candidate_server(ctl, int(argv[5]) if len(argv) > 5 and argv[5] != "-" else -1)
    elif mode == "test-server":
        test_server(ctl, int(argv[3]))
    else:
        return 2
    return 0
