"""A memory cgroup for each sandbox slot: the kernel bounds all a candidate holds.

RLIMIT_AS bounds one process's address space. What a candidate holds outside it (the
files it writes to its /tmp, a tmpfs; memory the kernel keeps for it) was bounded only
by each route's own cap, and routes the seccomp filter closes (shared memory, memfd,
other processes) were closed one by one as red teams found them. A memory cgroup
counts every page charged to the candidate, whatever the route, and the kernel kills
the candidate when the sum passes its limit.

Each slot has one cgroup, ``bestofn-<owner key>/slot-<index>`` under the memory cgroup
this process runs in. The candidate server gets a descriptor of its ``cgroup.procs``
(opened here, as root: the kernel checks the opener's credentials, so an
unprivileged process may write to it) and each candidate writes ``0`` to it, joining
it before any of its own code runs. The servers and the zygote stay outside: an OOM
kill in the cgroup can only take a candidate. Where this process cannot make a memory
cgroup (no writable cgroup file system), slots run without one, as before.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from verifiers import owners

_PARENT_PREFIX = "bestofn-"


@dataclass(frozen=True)
class Hierarchy:
    """Where this process's memory cgroup is, and which cgroup version holds it."""

    version: int
    """1: the legacy memory controller; 2: the unified hierarchy."""
    path: Path


def locate(proc_cgroup: str, mountinfo: str) -> Hierarchy | None:
    """This process's memory cgroup directory, from ``/proc/self/cgroup`` and
    ``/proc/self/mountinfo``'s texts; None where no memory controller is mounted."""
    v1_path = v2_path = None
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if "memory" in parts[1].split(","):
            v1_path = parts[2]
        elif parts[0] == "0" and parts[1] == "":
            v2_path = parts[2]
    for line in mountinfo.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        dash = fields.index("-")
        if len(fields) < dash + 4 or dash < 5:
            continue
        root, mount_point, fstype, options = fields[3], fields[4], fields[dash + 1], fields[dash + 3]
        if fstype == "cgroup" and v1_path is not None and "memory" in options.split(","):
            return _under(1, mount_point, root, v1_path)
        if fstype == "cgroup2" and v1_path is None and v2_path is not None:
            return _under(2, mount_point, root, v2_path)
    return None


def _under(version: int, mount_point: str, root: str, path: str) -> Hierarchy | None:
    """The directory of cgroup ``path`` in a hierarchy mounted at ``mount_point`` from ``root``."""
    if root != "/" and path != root and not path.startswith(root.rstrip("/") + "/"):
        return None  # our cgroup is outside what this mount shows
    relative = path[len(root.rstrip("/")):] if root != "/" else path
    return Hierarchy(version, Path(mount_point + relative.rstrip("/")))


class MemoryCgroup:
    """One slot's cgroup: candidates join it (``open_procs``), its limit is set before
    each job, and its OOM kills say which candidate died of memory."""

    def __init__(self, path: Path, version: int) -> None:
        self.path = path
        self.version = version
        self._limit: int | None = None
        """The limit set since the servers' descriptor was opened; None: read it."""

    def open_procs(self) -> int:
        """A descriptor of ``cgroup.procs`` for one candidate server (closed on exec;
        the server is given it through ``pass_fds``). The cgroup is made again if it
        is gone (removed by hand, say), and its limit read again before the next job:
        a cgroup made again starts without one. (A cgroup removed while a server holds
        its descriptor fails that server's next candidate at joining, and the slot
        is restarted, through here.)"""
        self.path.mkdir(parents=True, exist_ok=True)
        self._limit = None
        return os.open(self.path / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)

    def limit(self, nbytes: int) -> None:
        """At most ``nbytes`` charged at once, swap included. Between jobs: no process
        is in the cgroup then, and the last candidate's /tmp is gone, so lowering it
        only drops cache."""
        if nbytes == self._limit:
            return
        self._set_limit(nbytes)
        self._limit = nbytes

    def _set_limit(self, nbytes: int) -> None:
        if self.version == 2:
            memory = self.path / "memory.max"
            if _bytes(memory.read_text()) != nbytes:
                _write(memory, str(nbytes))
            swap = self.path / "memory.swap.max"
            if swap.exists() and _bytes(swap.read_text()) != 0:
                _write(swap, "0")
            return
        memory, memsw = self.path / "memory.limit_in_bytes", self.path / "memory.memsw.limit_in_bytes"
        now = int(memory.read_text())
        if now == nbytes:
            return
        # memsw (memory and swap) may never be below the memory limit: raise it first, lower it last.
        order = [memsw, memory] if nbytes > now else [memory, memsw]
        for file in order:
            if file is memory or memsw.exists():
                _write(file, str(nbytes))

    def oom_kills(self) -> int:
        """How many processes the kernel has killed in this cgroup for passing its limit."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        for line in (self.path / name).read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        raise OSError(f"{self.path / name} has no oom_kill count")

    def remove(self) -> None:
        """Gone once no process is in it (best effort: one still there keeps it)."""
        with contextlib.suppress(OSError):
            self.path.rmdir()


def _bytes(text: str) -> int:
    """A limit file's value: a number, or version 2's ``max``."""
    text = text.strip()
    return 1 << 63 if text == "max" else int(text)


def _write(file: Path, text: str) -> None:
    fd = os.open(file, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


_lock = threading.Lock()
_parent: tuple[Path, int, owners.Process] | None = None
"""(our cgroup, the hierarchy's version, the pid that made it: a forked child makes its own)."""
_unavailable = False


def for_slot(index: int) -> MemoryCgroup | None:
    """The cgroup of this process's slot ``index`` (made, or taken over from a slot of
    that index before), or None where memory cgroups cannot be made here."""
    parent = _our_parent()
    if parent is None:
        return None
    cgroup = MemoryCgroup(parent[0] / f"slot-{index}", parent[1])
    try:
        cgroup.path.mkdir(parents=True, exist_ok=True)
        cgroup.oom_kills()
    except OSError:
        return None
    return cgroup


def _our_parent() -> tuple[Path, int, owners.Process] | None:
    """``bestofn-<process key>`` under our memory cgroup, made once per process; None
    (and not tried again) where it cannot be made, or where the version 2 memory
    controller cannot be enabled for its children."""
    global _parent, _unavailable
    with _lock:
        if _parent is not None and _parent[2] is owners.this_process():
            return _parent
        if _unavailable:
            return None
        try:
            with open("/proc/self/cgroup") as cg, open("/proc/self/mountinfo") as mounts:
                where = locate(cg.read(), mounts.read())
            if where is None:
                raise OSError("no memory cgroup hierarchy is mounted")
            _remove_stale(where.path)
            path = where.path / f"{_PARENT_PREFIX}{owners.our_key()}"
            path.mkdir(exist_ok=True)
        except (OSError, ValueError):
            _unavailable = True
            return None
        if where.version == 2:
            try:
                _write(path / "cgroup.subtree_control", "+memory")
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                _unavailable = True
                return None
        if _parent is None or _parent[2] is not owners.this_process():
            atexit.register(_remove_ours)
        _parent = (path, where.version, owners.this_process())
        return _parent


def _remove_stale(where: Path) -> None:
    """The cgroups of bestofn processes that are surely gone (killed before their exit
    hook: ``verifiers.owners``)."""
    for entry in where.glob(f"{_PARENT_PREFIX}*"):
        if owners.is_gone(entry.name[len(_PARENT_PREFIX):]):
            _remove_with_slots(entry)


def _remove_ours() -> None:
    if _parent is not None and _parent[2] is owners.this_process():
        _remove_with_slots(_parent[0])


def _remove_with_slots(parent: Path) -> None:
    """A process's cgroup and its slots' (best effort: one with a process in it stays)."""
    for child in parent.glob("slot-*"):
        with contextlib.suppress(OSError):
            child.rmdir()
    with contextlib.suppress(OSError):
        parent.rmdir()
