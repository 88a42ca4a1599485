"""Whose copies and cgroups a bestofn process may remove (``verifiers.owners``)."""

from __future__ import annotations

import os
import subprocess
import sys

from verifiers import owners


def _dead_pid() -> str:
    return subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_only_a_pid_gone_from_our_own_proc_is_gone() -> None:
    here = os.stat("/proc").st_dev
    assert owners.our_key() == f"{here}-{os.getpid()}"
    assert not owners.is_gone(owners.our_key())
    assert owners.is_gone(f"{here}-{_dead_pid()}")


def test_what_another_proc_names_is_never_gone() -> None:
    """Another mount of procfs shows another PID namespace (or the same one otherwise):
    its pids say nothing here (a red team: a pid alone, or a namespace's inode with the
    pid of another /proc, named a live process's cgroups and runtime)."""
    here = os.stat("/proc").st_dev
    assert not owners.is_gone(f"{here + 1}-{_dead_pid()}")
    for malformed in ("", "123", f"{here}-", f"{here}-x", "x-1", f"{_dead_pid()}"):
        assert not owners.is_gone(malformed), malformed
