"""A verifier worker never outlives the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PARENT = """
import sys, threading, time
sys.path.insert(0, sys.argv[1])
from crashing_checks import CrashOnMarker
from hostile_corpus import DOUBLE
from verifiers.guarded import GuardedVerifier
from verifiers.types import Candidate
check = GuardedVerifier(CrashOnMarker, "crashy")
hang = Candidate(DOUBLE.task_id, "c0", "def double(x):\\n    return 2 * x  # hang\\n")
threading.Thread(target=check.verify, args=(DOUBLE, [hang]), daemon=True).start()
while check._process is None:
    time.sleep(0.01)
print(check._process._popen.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Running (a zombie is gone for our purpose: its parent is dead and init reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_busy_in_a_check_ends_soon_after_its_parent_is_killed() -> None:
    """Red team: a worker whose parent was SIGKILLed mid-check ran on until the check
    ended (here it never would: the check spins)."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(Path(__file__).parent)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    try:
        time.sleep(2)  # started, and spinning in the check
        assert _alive(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker), "the worker outlived its killed parent"
    finally:
        if _alive(worker):
            os.kill(worker, signal.SIGKILL)
