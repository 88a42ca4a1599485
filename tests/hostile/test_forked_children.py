"""Forked children, threads and other containers around a process using the sandbox.

Red teams (on the memory cgroups) found that a child forked inside ``with
SandboxPool(...)``, leaving the block or exiting normally, ended the parent's pool
(its servers killed, their runtime on the tmpfs and their cgroups removed: the
parent's next job was the harness's error), and slots that ``launch_ahead`` started
went the same way through the child's exit hook; that a child using its parent's
pool read the parent's reports (a wrong answer passed); that servers started from a
thread died when the thread ended; and that two bestofn processes each PID 1 of a
container shared their candidates' uids.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRELUDE = """
import os, sys
sys.path.insert(0, sys.argv[1] + "/tests/hostile")
from hostile_corpus import DOUBLE
from verifiers.sandbox import SandboxPool, launch_ahead
from verifiers.types import Candidate
right = Candidate(DOUBLE.task_id, "c", "def double(x):\\n    return 2 * x\\n")
"""

IN_A_POOL = PRELUDE + """
with SandboxPool(workers=1) as pool:
    print(pool.run(DOUBLE, [right])[0].status.value, flush=True)
    child = os.fork()
    if child == 0:
        sys.exit(0)  # leaves the with block, then the exit hooks run
    os.waitpid(child, 0)
    print(pool.run(DOUBLE, [right])[0].status.value, flush=True)
"""

LAUNCHED_AHEAD = PRELUDE + """
launch_ahead(1)
child = os.fork()
if child == 0:
    with SandboxPool(workers=1) as pool:  # the child's own pool, not its parent's slots
        print("child", pool.run(DOUBLE, [right])[0].status.value, flush=True)
    sys.exit(0)
os.waitpid(child, 0)
with SandboxPool(workers=1) as pool:
    print(pool.run(DOUBLE, [right])[0].status.value, flush=True)
"""


def _run(script: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", script, str(ROOT)], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split("\n")[:-1]


def test_a_child_leaving_the_pools_block_leaves_the_parents_pool_working() -> None:
    assert _run(IN_A_POOL) == ["passed", "passed"]


def test_a_childs_exit_leaves_the_slots_its_parent_launched_ahead() -> None:
    assert _run(LAUNCHED_AHEAD) == ["child passed", "passed"]


IN_THE_PARENTS_POOL = PRELUDE + """
from tasks.errors import SandboxError
with SandboxPool(workers=1) as pool:
    child = os.fork()
    if child == 0:
        for use in (lambda: pool.run(DOUBLE, [right]), lambda: pool.run_source(DOUBLE, right.source)):
            try:
                use()
            except SandboxError as exc:
                print("refused", "belongs to the process that made it" in str(exc), flush=True)
        os._exit(0)
    os.waitpid(child, 0)
    print(pool.run(DOUBLE, [right])[0].status.value, flush=True)
"""


def test_a_child_cannot_use_its_parents_pool() -> None:
    """It would share the parent's control sockets and read the parent's reports."""
    assert _run(IN_THE_PARENTS_POOL) == ["refused True", "refused True", "passed"]


FROM_A_THREAD = PRELUDE + """
import asyncio, threading, time
pool = asyncio.run(asyncio.to_thread(SandboxPool, 2))  # made in a thread that has ended
slot_servers = [slot._candidate for slot in pool._slots]
print([v.status.value for v in pool.run(DOUBLE, [right, right])], flush=True)
print([slot._candidate for slot in pool._slots] == slot_servers, flush=True)  # none restarted
pool.close()
worker = threading.Thread(target=launch_ahead, args=(2,))
worker.start()
worker.join()
with SandboxPool(workers=2) as pool:
    print([v.status.value for v in pool.run(DOUBLE, [right, right])], flush=True)
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
start = time.monotonic()
with SandboxPool(workers=2) as pool:
    pool.run(DOUBLE, [right])
print(time.monotonic() - start < 3, flush=True)  # closing waits on no server while the child lives
os.kill(child, 9)
os.waitpid(child, 0)
"""


def test_servers_started_from_a_thread_outlive_it() -> None:
    assert _run(FROM_A_THREAD) == ["['passed', 'passed']", "True", "['passed', 'passed']", "True"]


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
def test_two_processes_each_pid_1_of_a_namespace_take_different_uids() -> None:
    probe = "import os; from verifiers.sandbox_servers import UIDS; print(os.getpid(), UIDS.uids(0)[0])"
    seen = []
    for _ in range(2):
        done = subprocess.run(["unshare", "-fp", "--mount-proc", sys.executable, "-c", probe], capture_output=True,
                              text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-1000:]
        seen.append(done.stdout.split())
    assert seen[0][0] == seen[1][0] == "1"
    assert seen[0][1] != seen[1][1]


SAME_PID_ELSEWHERE = PRELUDE + """
import ctypes
from tasks.errors import SandboxError
assert os.getpid() == 1  # PID 1 of a namespace of its own (unshare below)
with SandboxPool(workers=1) as pool:
    print(pool.run(DOUBLE, [right])[0].status.value, flush=True)
    middle = os.fork()
    if middle == 0:
        if ctypes.CDLL(None, use_errno=True).unshare(0x20000000) != 0:  # CLONE_NEWPID: the next child is PID 1
            os._exit(3)
        child = os.fork()
        if child == 0:
            try:
                pool.run_source(DOUBLE, right.source)
            except SandboxError:
                print("refused as", os.getpid(), flush=True)
            sys.exit(0)  # leaves the with block, then the exit hooks run
        os.waitpid(child, 0)
        os._exit(0)
    os.waitpid(middle, 0)
    print(pool.run(DOUBLE, [right])[0].status.value, flush=True)
"""


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
def test_a_child_with_its_parents_pid_in_another_namespace_is_still_a_child() -> None:
    """A red team: a child that is PID 1 of another namespace, forked from PID 1 of a
    container, took its parent's pool for its own (a wrong answer passed 8 times in 40)
    and its exit removed the parent's runtime copy and cgroups."""
    done = subprocess.run(["unshare", "-fp", "--mount-proc", sys.executable, "-c", SAME_PID_ELSEWHERE, str(ROOT)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:-1] == ["passed", "refused as 1", "passed"]


IN_FLIGHT_AT_EXIT = PRELUDE + """
import threading
slow = Candidate(DOUBLE.task_id, "s", "import time\\ndef double(x):\\n    time.sleep(0.3)\\n    return 2 * x\\n")
pool = SandboxPool(workers=1)
threading.Thread(target=lambda: print([v.status.value for v in pool.run(DOUBLE, [slow] * 4)], flush=True)).start()
"""  # the main thread returns at once: the interpreter waits for the thread, whose jobs must finish


def test_jobs_of_a_thread_still_running_when_the_main_thread_ends_finish() -> None:
    """A red team: the launcher thread, an executor's, ended as the interpreter began to
    exit, before the thread running jobs was joined: its servers died under it."""
    assert _run(IN_FLIGHT_AT_EXIT) == ["['passed', 'passed', 'passed', 'passed']"]


FORK_DURING_HAND_OFF = PRELUDE + """
import socket, threading, time
from verifiers import sandbox
crash = Candidate(DOUBLE.task_id, "x", "import os\\ndef double(x):\\n    os._exit(3)\\n")
with SandboxPool(workers=1, limits=sandbox.SandboxLimits(wall_seconds=3.0, rerun_timeouts=False)) as pool:
    real = socket.socketpair
    def forking_pair(*args, **kwargs):
        pair = real(*args, **kwargs)
        def fork_a_sleeper():
            if os.fork() == 0:
                time.sleep(4)
                os._exit(0)
        threading.Thread(target=fork_a_sleeper).start()
        time.sleep(0.1)  # the fork is asked for while the channel's ends are being handed over
        return pair
    sandbox.socket.socketpair = forking_pair
    start = time.monotonic()
    [verdict] = pool.run(DOUBLE, [crash])
    print(verdict.status.value, time.monotonic() - start < 2, flush=True)
"""


def test_a_fork_during_a_jobs_hand_off_holds_no_end_of_its_channel() -> None:
    """A red team: a child forked between the channel's making and its hand-off kept the
    candidate's end open, and a crash was a timeout at the deadline."""
    assert _run(FORK_DURING_HAND_OFF) == ["failed True"]


CHILDS_OWN_SLOTS = PRELUDE + """
with SandboxPool(workers=2) as pool:
    child = os.fork()
    if child == 0:
        with SandboxPool(workers=1) as own:
            print([slot.index for slot in own._slots], own.run(DOUBLE, [right])[0].status.value, flush=True)
        os._exit(0)
    os.waitpid(child, 0)
"""


def test_a_child_starts_with_none_of_its_parents_slots_taken() -> None:
    assert _run(CHILDS_OWN_SLOTS) == ["[0] passed"]


FORK_IN_A_SIGNAL_HANDLER = PRELUDE + """
import signal
def fork_now(signum, frame):
    signal.setitimer(signal.ITIMER_REAL, 0)
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
signal.signal(signal.SIGALRM, fork_now)
passed = 0
with SandboxPool(workers=1) as pool:
    for i in range(60):
        signal.setitimer(signal.ITIMER_REAL, 0.0003 * (1 + i % 5))
        passed += pool.run_source(DOUBLE, right.source).status.value == "passed"
print(passed, flush=True)
"""


def test_a_fork_from_a_signal_handler_during_a_hand_off_does_not_wait_for_itself() -> None:
    """A red team: the fork waited for the hand-off its own thread was in, for ever."""
    assert _run(FORK_IN_A_SIGNAL_HANDLER) == ["60"]


INTERRUPTED_WHILE_LAUNCHING = PRELUDE + """
import glob, signal, subprocess, time
real_popen = subprocess.Popen
def slow_popen(*args, **kwargs):
    time.sleep(0.3)  # the launcher thread is still starting the server when Ctrl-C comes
    return real_popen(*args, **kwargs)
subprocess.Popen = slow_popen
signal.signal(signal.SIGALRM, signal.default_int_handler)
signal.setitimer(signal.ITIMER_REAL, 0.1)
try:
    SandboxPool(workers=1).close()
except KeyboardInterrupt:
    print("interrupted", flush=True)
time.sleep(0.5)
children = [c for path in glob.glob("/proc/self/task/*/children") for c in open(path).read().split()]
print(children, flush=True)
"""


def test_a_pool_interrupted_while_starting_leaves_no_server() -> None:
    """A red team: Ctrl-C while the launcher thread started a server left that bwrap
    running, owned by no one."""
    assert _run(INTERRUPTED_WHILE_LAUNCHING) == ["interrupted", "[]"]


RANGE_TAKEN = """
import os, sys, time
from verifiers.sandbox_servers import UIDS, processes_of
first = UIDS.uids(0)
child = os.fork()
if child == 0:
    os.setresuid(first[0], first[0], first[0])  # another process, running as our range's uids
    time.sleep(10)
    os._exit(0)
time.sleep(0.3)
second = UIDS.uids(0)
print(first != second, not processes_of(set(second)), flush=True)
os.kill(child, 9)
"""


def test_a_uid_range_another_process_took_meanwhile_is_left() -> None:
    """A red team: the range was chosen once, and another process that found it free
    while we had no slot took it; our next pool shared its uids."""
    assert _run(RANGE_TAKEN) == ["True True"]
