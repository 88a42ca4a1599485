"""Finding this process's memory cgroup, and reading a cgroup's files, under both versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from verifiers import memory_cgroup
from verifiers.memory_cgroup import Hierarchy, MemoryCgroup, locate

V1_CGROUP = "9:name=systemd:/\n4:memory:/process_api/abc\n3:cpuset:/\n0::/\n"
V1_MOUNTS = (
    "30 25 0:27 / /sys/fs/cgroup/cpuset rw,relatime shared:1 - cgroup cgroup rw,cpuset\n"
    "31 25 0:28 / /sys/fs/cgroup/memory rw,relatime shared:2 - cgroup cgroup rw,memory\n"
    "32 25 0:29 / /sys/fs/cgroup/unified rw,relatime shared:3 - cgroup2 cgroup2 rw\n"
)
V2_CGROUP = "0::/user.slice/job-7\n"
V2_MOUNTS = "28 22 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"


def test_version_1_memory_controller_wins_over_the_unified_mount() -> None:
    assert locate(V1_CGROUP, V1_MOUNTS) == Hierarchy(1, Path("/sys/fs/cgroup/memory/process_api/abc"))


def test_version_2() -> None:
    assert locate(V2_CGROUP, V2_MOUNTS) == Hierarchy(2, Path("/sys/fs/cgroup/user.slice/job-7"))


def test_a_mount_of_a_sub_tree_is_followed_from_its_root() -> None:
    """A container's cgroup file system shows the hierarchy from its own cgroup down."""
    mounts = "31 25 0:28 /process_api /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    assert locate(V1_CGROUP, mounts) == Hierarchy(1, Path("/sys/fs/cgroup/memory/abc"))
    outside = "31 25 0:28 /elsewhere /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    assert locate(V1_CGROUP, outside) is None


@pytest.mark.parametrize("cgroup,mounts", [
    ("", V2_MOUNTS),  # no cgroup line at all
    (V1_CGROUP, "31 25 0:28 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"),  # memory not mounted
    ("4:memory:/a\n", "garbage\n31 25 0:28 / /x rw -\n"),  # lines too short
])
def test_nothing_to_use_is_none(cgroup: str, mounts: str) -> None:
    assert locate(cgroup, mounts) is None


@pytest.mark.parametrize("version,name,text,kills", [
    (1, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", 3),
    (2, "memory.events", "low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\noom_group_kill 0\n", 2),
])
def test_oom_kills_are_read_for_either_version(tmp_path: Path, version: int, name: str, text: str,
                                               kills: int) -> None:
    (tmp_path / name).write_text(text)
    assert MemoryCgroup(tmp_path, version).oom_kills() == kills


def test_a_cgroup_without_an_oom_kill_count_is_an_error(tmp_path: Path) -> None:
    """A kernel too old to count OOM kills per cgroup could not say which candidate died of memory."""
    (tmp_path / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\n")
    with pytest.raises(OSError, match="no oom_kill count"):
        MemoryCgroup(tmp_path, 1).oom_kills()


def test_version_2_limits_memory_and_allows_no_swap(tmp_path: Path) -> None:
    for name in ("memory.max", "memory.swap.max"):
        (tmp_path / name).write_text("max\n")
    MemoryCgroup(tmp_path, 2).limit(256 << 20)
    assert (tmp_path / "memory.max").read_text() == str(256 << 20)
    assert (tmp_path / "memory.swap.max").read_text() == "0"


def test_slots_run_without_a_cgroup_where_none_can_be_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory_cgroup, "_parent", None)
    monkeypatch.setattr(memory_cgroup, "_unavailable", False)
    monkeypatch.setattr(memory_cgroup, "locate", lambda cgroup, mounts: None)
    assert memory_cgroup.for_slot(5) is None
    assert memory_cgroup._unavailable  # and not tried again
