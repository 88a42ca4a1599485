"""All a candidate holds counts against its memory limit, not only its address space.

RLIMIT_AS bounds one process's address space; the files a candidate writes to its
/tmp (a tmpfs) lay outside it, so a candidate could hold its whole memory limit in
its heap and its /tmp's size on top. Each slot's candidates now run in a memory
cgroup (``verifiers.memory_cgroup``) whose limit is the candidate's memory limit.
These cases need a machine where this process can make one; elsewhere they skip.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile_corpus import DOUBLE
from verifiers import memory_cgroup
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Candidate, Status

LIMITS = SandboxLimits(wall_seconds=5.0, memory_bytes=256 << 20, tmp_bytes=256 << 20, rerun_timeouts=False)
"""A /tmp as large as the memory limit: what it holds is bounded by the cgroup alone."""

ROOT = Path(__file__).resolve().parents[2]
_RIGHT = "def double(x):\n    return 2 * x\n"


def _files(mib: int) -> str:
    """Module code that writes ``mib`` MiB to the candidate's /tmp, in files under its file-size limit."""
    return ("import os\n"
            f"for i in range({mib // 8}):\n"
            "    with open(f'/tmp/f{i}', 'wb') as f:\n"
            "        f.write(os.urandom(8 << 20))\n")


def _heap(mib: int) -> str:
    """Module code that holds ``mib`` MiB of its heap, every page touched."""
    return f"KEEP = bytearray({mib} << 20)\nfor i in range(0, len(KEEP), 4096):\n    KEEP[i] = 1\n"


def _can_make_cgroups() -> bool:
    cgroup = memory_cgroup.for_slot(63)
    if cgroup is None:
        return False
    cgroup.remove()
    return True


pytestmark = pytest.mark.skipif(not _can_make_cgroups(), reason="this process cannot make a memory cgroup here")


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1, limits=LIMITS) as made:
        yield made


def _run(pool: SandboxPool, name: str, source: str) -> tuple[Status, str]:
    [verdict] = pool.run(DOUBLE, [Candidate(DOUBLE.task_id, name, source)])
    return verdict.status, verdict.detail


def test_files_in_tmp_and_the_heap_together_pass_the_limit(pool: SandboxPool) -> None:
    """160 MiB of files and 150 MiB of heap, each under its own cap, 310 MiB in all:
    a right answer that held more than its 256 MiB passed before."""
    status, detail = _run(pool, "files_and_heap", _files(160) + _heap(150) + _RIGHT)
    assert status is Status.MEMORY, (status, detail)
    assert "memory limit" in detail


def test_the_same_files_with_a_small_heap_pass(pool: SandboxPool) -> None:
    """The control: 160 MiB of files and 20 MiB of heap fit, and the next candidate
    after a killed one finds the slot as it should."""
    assert _run(pool, "files_and_heap", _files(160) + _heap(150) + _RIGHT)[0] is Status.MEMORY
    assert _run(pool, "files_small_heap", _files(160) + _heap(20) + _RIGHT) == (Status.PASSED, "")
    assert _run(pool, "plain", _RIGHT) == (Status.PASSED, "")


def test_a_heap_past_the_limit_alone_is_still_memory(pool: SandboxPool) -> None:
    """Its address space's limit stops it first (a MemoryError it may catch), as before."""
    assert _run(pool, "heap", _heap(300) + _RIGHT)[0] is Status.MEMORY


def test_a_child_thread_holding_the_memory_is_the_candidates_memory(pool: SandboxPool) -> None:
    """Whichever of its threads holds the pages, the candidate is killed, never the
    servers: the next job runs in the same slot."""
    source = ("import threading\n"
              "def fill():\n"
              + "".join("    " + line + "\n" for line in _files(160).splitlines())
              + "    global KEEP\n    KEEP = bytearray(150 << 20)\n"
              "    for i in range(0, len(KEEP), 4096):\n        KEEP[i] = 1\n"
              "t = threading.Thread(target=fill)\nt.start()\nt.join()\n" + _RIGHT)
    assert _run(pool, "threaded", source)[0] is Status.MEMORY
    assert _run(pool, "plain", _RIGHT) == (Status.PASSED, "")


def test_candidates_run_in_the_slots_cgroup_and_leave_it_empty() -> None:
    """The servers stay outside (an OOM kill can only take a candidate), the cgroup is
    empty between jobs, and it is gone when the pool closes."""
    with SandboxPool(workers=1, limits=LIMITS) as one:
        [slot] = one._slots
        assert slot.cgroup is not None
        path = slot.cgroup.path
        before = slot.cgroup.oom_kills()
        assert _run(one, "files_and_heap", _files(160) + _heap(150) + _RIGHT)[0] is Status.MEMORY
        assert int((path / "memory.limit_in_bytes").read_text() if slot.cgroup.version == 1
                   else (path / "memory.max").read_text()) == LIMITS.memory_bytes
        assert slot.cgroup.oom_kills() == before + 1
        assert (path / "cgroup.procs").read_text() == ""
    assert not path.exists()


def test_no_cgroup_file_system_inside_the_sandbox(pool: SandboxPool) -> None:
    """A candidate cannot reach a cgroup's files to move itself or raise its limit."""
    probe = ("import os\nSEEN = [p for p in ('/sys/fs/cgroup', '/sys') if os.path.exists(p)]\n"
             "def double(x):\n    return 2 * x if not SEEN else x\n")
    assert _run(pool, "probe", probe) == (Status.PASSED, "")


def test_cgroups_of_a_killed_run_are_cleared_by_the_next() -> None:
    """A bestofn process killed before its exit hook leaves its cgroup; the next one that
    sees the same /proc removes it (``verifiers.owners``)."""
    cgroup = memory_cgroup.for_slot(62)
    assert cgroup is not None
    cgroup.remove()
    stale = cgroup.path.parent.parent / f"bestofn-{os.stat('/proc').st_dev}-999999999"
    (stale / "slot-0").mkdir(parents=True)
    try:
        memory_cgroup._remove_stale(cgroup.path.parent.parent)
        assert not stale.exists()
        assert cgroup.path.parent.exists()  # ours, alive, is kept
    finally:
        for leftover in (stale / "slot-0", stale):
            if leftover.exists():
                os.rmdir(leftover)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
@pytest.mark.parametrize("other", [["-fp", "--mount-proc"], ["-fT", "--boottime", "100000"], ["-fp"]],
                         ids=["another PID namespace", "another time namespace",
                              "another PID namespace seen through our /proc"])
def test_a_bestofn_process_in_another_namespace_leaves_our_cgroups(pool: SandboxPool, other: list[str]) -> None:
    """Red teams: another process of this cgroup in another PID namespace (a container)
    took our pid for a dead one; one in another time namespace read our start time
    shifted and took us for a new process of our pid. Either removed our slot's cgroup
    between jobs, and every later job was the harness's error, or a restart."""
    assert _run(pool, "plain", _RIGHT) == (Status.PASSED, "")
    [slot] = pool._slots
    assert slot.cgroup is not None
    made = subprocess.run(
        ["unshare", *other, sys.executable, "-c",
         "from verifiers import memory_cgroup as m; c = m.for_slot(0); print(c is not None)"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if made.returncode != 0 and "unshare" in made.stderr:
        pytest.skip(f"this kernel has no such namespace: {made.stderr.strip()[:200]}")
    assert made.stdout.strip() == "True", made.stderr
    assert slot.cgroup.path.exists()
    server = slot._candidate
    assert _run(pool, "plain", _RIGHT) == (Status.PASSED, "")
    assert slot._candidate is server  # not restarted


def test_a_slot_whose_cgroup_was_removed_makes_it_again(pool: SandboxPool) -> None:
    """Its limit with it: the limit is read before every job, not remembered."""
    assert _run(pool, "plain", _RIGHT) == (Status.PASSED, "")
    [slot] = pool._slots
    assert slot.cgroup is not None
    slot.cgroup.path.rmdir()
    assert _run(pool, "plain", _RIGHT) == (Status.PASSED, "")
    assert _run(pool, "files_and_heap", _files(160) + _heap(150) + _RIGHT)[0] is Status.MEMORY


def test_a_lower_limit_after_files_in_tmp_needs_no_restart(pool: SandboxPool) -> None:
    """Red team: the last candidate's /tmp files were still charged when the next job
    lowered the limit; the write failed and the slot was restarted (its one retry
    spent). The files are freed as soon as their candidate ends now."""
    assert _run(pool, "files", _files(200) + _RIGHT) == (Status.PASSED, "")
    [slot] = pool._slots
    server = slot._candidate
    lower = dataclasses.replace(LIMITS, memory_bytes=128 << 20, tmp_bytes=64 << 20)
    [verdict] = pool.run(DOUBLE, [Candidate(DOUBLE.task_id, "plain", _RIGHT)], lower)
    assert verdict.status is Status.PASSED, verdict
    assert slot._candidate is server  # the same server: not restarted
