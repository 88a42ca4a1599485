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
                print("refused", "belongs to process" in str(exc), flush=True)
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
