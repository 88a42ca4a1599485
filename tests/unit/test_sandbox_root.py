"""The tmpfs copy the sandbox reads: where it is made, when it is not, and cleaning up after killed runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from verifiers import sandbox_root


def test_no_copy_where_the_place_is_not_a_tmpfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_root, "SHM", tmp_path)  # a directory on disk
    assert not sandbox_root._is_tmpfs(tmp_path)
    assert sandbox_root.python_root.__wrapped__(sys.base_prefix, sys.executable) is None
    assert list(tmp_path.iterdir()) == []


def test_runtime_copies_of_dead_processes_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_root, "SHM", tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    (tmp_path / f"bestofn-runtime-{dead}-abc").mkdir()
    (tmp_path / f"bestofn-runtime-{os.getpid()}-def").mkdir()
    (tmp_path / "bestofn-runtime-notapid").mkdir()
    sandbox_root._prune_runtime_dirs()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"bestofn-runtime-{os.getpid()}-def",
                                                           "bestofn-runtime-notapid"]
