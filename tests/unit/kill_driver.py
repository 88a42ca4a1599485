"""A ``generate`` run the kill test can SIGKILL: replayed completions with a latency
model (``tokens_per_second``) and the marker verifier, one task per engine call.

    python -m tests.unit.kill_driver OUT_DIR [TOKENS_PER_SECOND [N]]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sampler.backends.replay import ReplayBackend
from sampler.config import SampleConfig
from sampler.experiments.generate import generate
from tests.unit.fakes import MarkerVerifier, fenced, make_task

TASKS = 12
N = 4
MAX_PER_TASK = 3


def script() -> dict[str, list[str]]:
    """Per task: two equal right answers (comment and docstring differ), a wrong one,
    and a second right answer that differs in code."""
    out = {}
    for i in range(TASKS):
        same = f"def f{i}(x: int) -> int:\n    return x + {i}  # correct\n"
        same_again = (f"def f{i}(x: int) -> int:\n    \"\"\"Adds.\"\"\"\n    # another comment\n"
                      f"    return x + {i}   # correct, same code\n")
        other = f"def f{i}(x: int) -> int:\n    return {i} + x  # correct\n"
        wrong = f"def f{i}(x: int) -> int:\n    return x\n"
        texts = [same, wrong, same_again, other] if i % 3 else [wrong] * N
        out[f"T/{i}"] = [fenced(t) for t in texts]
    return out


def sigkill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float = 30) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` holds; it must still be running then."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if ready():
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the driver finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=10)


def run(out: Path, tokens_per_second: float | None, n: int = N) -> None:
    backend = ReplayBackend(script(), model="replay-kill", tokens_per_second=tokens_per_second)
    generate([make_task(i) for i in range(TASKS)], out=out, models=[backend],
             verifier=MarkerVerifier(), sample=SampleConfig(n=n), batch_tasks=1,
             max_per_task=MAX_PER_TASK)


if __name__ == "__main__":
    run(Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else None,
        int(sys.argv[3]) if len(sys.argv) > 3 else N)
