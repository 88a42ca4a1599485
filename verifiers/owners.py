"""Which process owns what the sandbox leaves in shared places, and whether it is gone.

Our runtime copies in /dev/shm and our memory cgroups are named after the process that
made them, so a later process can remove those of a process killed before its exit
hooks. A pid alone names a process only within one PID namespace: a bestofn process
in another container (its own namespace, the same /dev/shm or cgroup) took a live
process's pid for a dead one and removed what it used, and every later restart of its
slots was the harness's error (red teams). So the name is the pid as a /proc shows
it, with that /proc's device: one mount of procfs shows one namespace, and only a
process reading the same mount can tell from it that the pid is gone. What another
mount names is never taken for gone (it may stay after its process; it holds little).
"""

from __future__ import annotations

import os


class Process:
    """This process, as opposed to any child forked from it: a new one in every child
    (``os.register_at_fork``). The pid does not tell them apart: a child in another PID
    namespace can have its parent's (both PID 1 of a container), and it took its
    parent's pool, runtime copy and cgroups for its own (a red team)."""


_this = Process()


def this_process() -> Process:
    return _this


def _forked() -> None:
    global _this
    _this = Process()


os.register_at_fork(after_in_child=_forked)


def our_key() -> str:
    """``<device of /proc>-<our pid there>``; OSError where /proc is not mounted."""
    return f"{os.stat('/proc').st_dev}-{os.readlink('/proc/self')}"


def is_gone(key: str) -> bool:
    """Whether the process ``key`` names has surely ended: its /proc is ours, and its
    pid is not in it. A new process may have taken the pid since: then it is not gone
    until that one is."""
    device, _, pid = key.partition("-")
    if not device.isdigit() or not pid.isdigit():
        return False
    try:
        if os.stat("/proc").st_dev != int(device):
            return False
    except OSError:
        return False
    return not os.path.exists(f"/proc/{pid}")
