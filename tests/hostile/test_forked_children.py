"""A child forked from a process using the sandbox leaves the parent's sandbox alone.

A red team (on the memory cgroups) found that a child forked inside ``with
SandboxPool(...)``, leaving the block or exiting normally, ended the parent's pool:
its servers killed, their runtime on the tmpfs and their cgroups removed, so the
parent's next job was the harness's error. Slots that ``launch_ahead`` started went
the same way through the child's exit hook.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
