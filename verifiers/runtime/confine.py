"""Confinement by the kernel: libc calls Python 3.11 does not wrap.

Dropping to a uid, no_new_privs, the syscall filter (seccomp), a PID namespace of a
candidate's own with no procfs at all, and /dev/shm sealed. Every failure raises OSError:
the caller turns it into an infrastructure error, never into a candidate's verdict.
"""

from __future__ import annotations

import ctypes
import os
import resource
import struct

CLONE_NEWPID = 0x20000000
CLONE_NEWIPC = 0x08000000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 0x1000
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_RELATIME = 1 << 21
MS_NOSYMFOLLOW = 0x100
_KEPT_MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                     "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "nosymfollow": MS_NOSYMFOLLOW}
"""Per-mount flags a read-only bind remount must repeat (it replaces them; dropping a
locked one fails)."""
WRITABLE_MOUNTS = ("/tmp", "/proc")
"""Mounts ``seal_mounts`` leaves alone: the per-candidate scratch tmpfs goes on /tmp, and
an empty read-only tmpfs over /proc (``no_proc``)."""
MNT_DETACH = 2


def load_libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def drop_to(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


STACK_BYTES = 64 * 1024 * 1024
"""The C stack each server and candidate may grow to (8 MB by default). Each call that
crosses the channel spends C stack in both processes on top of the user's own; calls
back and forth 1,850 deep, the tests' recursion through a few ``map``s a level, killed
the test server at 8 MB (the harness's ``error`` on a right answer that plain Python,
one stack for both, passes: a forty-ninth red team). ``functions.MAX_CROSSINGS`` bounds
the count; this, what each may cost."""


def larger_stack() -> None:
    """Let this process's stack grow to ``STACK_BYTES``: the main thread's stack grows as
    it is used, up to the limit at that moment."""
    _, hard = resource.getrlimit(resource.RLIMIT_STACK)
    resource.setrlimit(resource.RLIMIT_STACK, (STACK_BYTES if hard == resource.RLIM_INFINITY
                                               else min(STACK_BYTES, hard), hard))


def no_new_privs(libc: ctypes.CDLL) -> None:
    if int(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")


# Syscalls a candidate is refused (EPERM): the kernel keyring (per uid: a key outlives
# the candidate and the run, and the next candidate of the slot could read it), memfd
# (its pages escape RLIMIT_AS) and the System V / POSIX IPC objects (shared memory,
# semaphores, message queues: memory outside RLIMIT_AS and state for the next
# candidate; each candidate also gets a fresh IPC namespace, dropped when it ends).
#
# And namespaces: a candidate that makes a user namespace can mount its own tmpfs of any
# size (memory outside every limit): unshare, setns and the mount calls are refused (the
# new mount API too: a candidate shares its server's mount namespace, and its empty /proc),
# clone with a CLONE_NEW* flag is refused, and clone3 (whose flags sit in memory a
# filter cannot read) answers ENOSYS, so the C library falls back to clone.
#
# And every call that makes a kernel object numbered from a machine-wide counter: a
# pipe's or socket's inode number (get_next_ino), an AIO ring's or io_uring's or
# userfaultfd's inode, a pidfd's inode (a count of every process the machine has
# made). One candidate could move such a counter and the next read it (red team: a
# value mod 512 crossed through pipe inodes 5 times in 5). The same goes for a pidfd
# got through clone (CLONE_PIDFD) or from a socket (getsockopt SO_PEERPIDFD, or
# setsockopt SO_PASSPIDFD for one in a message), and for the socket cookie (a
# counter too): getsockopt and setsockopt go with them. The one socket a candidate
# has, its channel, is wrapped before the filter is in place. perf_event_open and bpf
# read machine-wide state as well; file handles expose inode generations; sysinfo
# reports the machine's free memory and load averages, which a candidate can move
# (fill the page cache, spin) for the next to read; syslog reads the kernel's log.
#
# And the page cache, shared by the machine: a candidate that read a page of a file
# under /usr left it cached, and the next asked without timing anything (preadv2
# with RWF_NOWAIT fails on a page not in memory; mincore and cachestat report it)
# and reset it (fadvise DONTNEED): 8 bits crossed 2 times in 2 (red team). Those
# calls, readahead and pwritev2 are refused. And mmap with MAP_HUGETLB: it takes a
# number from the inode counter even when it fails (no huge pages here), and the
# next candidate's channel socket is numbered from that counter (red team: a value
# crossed half the time).
#
# And timestamps: bwrap's /dev binds the host's own /dev/null, /dev/zero, ... (mode
# 0666), and anyone who may write a file may set its times to "now" (utime with no
# times): a candidate touched two of them in an order the next one read back from
# their ctimes, 10 bits in 10, across slots too, and the host saw the times (red
# team). The utime family is refused, and every mount but the candidate's own /tmp
# and /proc is read-only (``seal_mounts``), which also stops atime updates on bwrap's
# root and /dev (the first read of a directory or link set a bit the next candidate
# saw). statfs reported the free space of the host's /dev/shm, where the copy of
# Python lives: refused too.
#
# And other processes: RLIMIT_AS bounds each process, so a candidate that forked
# held that many times its memory limit (red team: 843 MiB against 256 MiB with
# four). A candidate is one process: fork, vfork and clone without CLONE_THREAD are
# refused; its threads share its address space, and with it the limit. (memfd and
# shared memory, which would escape the limit too, are refused above.)
# ptrace: a candidate that asked to be traced by its parent (PTRACE_TRACEME) and then
# stopped itself was reported to the zygote's wait as stopped, not ended, and the
# server died on the status (red team): its own fault became an infrastructure error.
#
# And live channels between candidates running at the same time (other slots, other
# runs): every candidate reads the same copy of Python, so a lock one takes on one of
# its files (flock, fcntl's record locks and leases) another can test, and a watch
# (inotify, fanotify, fcntl's F_NOTIFY) reports another's opens and reads (red team).
# flock and the watches are refused; fcntl only for those commands (``FCNTL_DENIED_COMMANDS``).
DENIED_SYSCALLS = {
    "x86_64": (0xC000003E, {
        "add_key": 248, "request_key": 249, "keyctl": 250, "memfd_create": 319, "memfd_secret": 447,
        "shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240,
        "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
        "fsopen": 430, "fsmount": 432, "open_tree": 428, "move_mount": 429,
        "fspick": 433, "fsconfig": 431, "mount_setattr": 442,
        "pipe": 22, "pipe2": 293, "socket": 41, "socketpair": 53, "getsockopt": 55, "setsockopt": 54,
        "pidfd_open": 434, "pidfd_getfd": 438, "io_setup": 206, "io_uring_setup": 425, "userfaultfd": 323,
        "perf_event_open": 298, "bpf": 321, "name_to_handle_at": 303, "open_by_handle_at": 304,
        "sysinfo": 99, "syslog": 103,
        "preadv2": 327, "pwritev2": 328, "fadvise64": 221, "readahead": 187, "mincore": 27, "cachestat": 451,
        "utime": 132, "utimes": 235, "futimesat": 261, "utimensat": 280, "statfs": 137, "fstatfs": 138,
        "fork": 57, "vfork": 58, "ptrace": 101,
        "flock": 73, "inotify_init": 253, "inotify_init1": 294, "inotify_add_watch": 254,
        "fanotify_init": 300, "fanotify_mark": 301,
    }, {"clone": 56, "clone3": 435, "mmap": 9, "fcntl": 72}),
    "aarch64": (0xC00000B7, {
        "add_key": 217, "request_key": 218, "keyctl": 219, "memfd_create": 279, "memfd_secret": 447,
        "shmget": 194, "semget": 190, "msgget": 186, "mq_open": 180,
        "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41,
        "fsopen": 430, "fsmount": 432, "open_tree": 428, "move_mount": 429,
        "fspick": 433, "fsconfig": 431, "mount_setattr": 442,
        "pipe2": 59, "socket": 198, "socketpair": 199, "getsockopt": 209, "setsockopt": 208,
        "pidfd_open": 434, "pidfd_getfd": 438, "io_setup": 0, "io_uring_setup": 425, "userfaultfd": 282,
        "perf_event_open": 241, "bpf": 280, "name_to_handle_at": 264, "open_by_handle_at": 265,
        "sysinfo": 179, "syslog": 116,
        "preadv2": 286, "pwritev2": 287, "fadvise64": 223, "readahead": 213, "mincore": 232, "cachestat": 451,
        "utimensat": 88, "statfs": 43, "fstatfs": 44, "ptrace": 117,
        "flock": 32, "inotify_init1": 26, "inotify_add_watch": 27, "fanotify_init": 262, "fanotify_mark": 263,
    }, {"clone": 220, "clone3": 435, "mmap": 222, "fcntl": 25}),
}
CLONE_THREAD = 0x00010000
_CLONE_DENIED_FLAGS = 0x7E020000 | 0x1000
"""CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET, and CLONE_PIDFD."""
MAP_HUGETLB = 0x40000
FCNTL_DENIED_COMMANDS = (5, 6, 7, 36, 37, 38, 1024, 1025, 1026)
"""F_GETLK, F_SETLK, F_SETLKW, the F_OFD_ three, F_SETLEASE, F_GETLEASE, F_NOTIFY (the
same numbers on both architectures; 64-bit kernels have no separate ``*64`` ones)."""
_SECCOMP_RET_ENOSYS = 0x00050000 | 38
_X32_BIT = 0x40000000
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_EPERM = 0x00050000 | 1


def no_proc(libc: ctypes.CDLL) -> None:
    """An empty, read-only /proc over the server's, for the whole slot, once the server
    and its zygote hold what they need of procfs (the PID namespace's descriptor).

    procfs numbers the inode of every entry it shows from the machine-wide inode
    counter, which a candidate could move (listing /proc/self/fd while holding many
    descriptors) and the next one read (``os.stat('/proc/self').st_ino``). Its other
    files are no better: the server's /proc listed the slot's PIDs, growing with every
    candidate forked, and /proc/stat, /proc/vmstat, /proc/interrupts... count
    machine-wide events since boot (red team). Python needs none of it. Each
    candidate used to mount this in a mount namespace of its own: the same empty
    mount, and about 0.25 ms of every candidate's start and end."""
    opts = b"size=4k,nr_inodes=1,mode=0555"
    if int(libc.mount(b"tmpfs", b"/proc", b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, opts)) != 0:
        raise OSError(ctypes.get_errno(), "mount an empty /proc")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def seccomp_program(machine: str) -> bytes:
    """The classic-BPF filter: other architectures' and x32 calls, the denied syscalls,
    clone with a namespace or pidfd flag or without CLONE_THREAD (a new process, not a
    thread), mmap with MAP_HUGETLB and fcntl's lock and watch commands get EPERM,
    clone3 ENOSYS; everything else is allowed."""
    arch, denied, special = DENIED_SYSCALLS[machine]
    ld_abs, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    # (syscall, argument, flags that refuse it, flags it needs): the low word of the argument is tested.
    flag_checks = [(special["clone"], 0, _CLONE_DENIED_FLAGS, CLONE_THREAD), (special["mmap"], 3, MAP_HUGETLB, 0)]
    # Assembled with labels (jump targets resolved to relative offsets below).
    code: list[tuple[int, int | str, int | str, int]] = [
        (ld_abs, 0, 0, 4), (jeq, 0, "eperm", arch), (ld_abs, 0, 0, 0),  # the architecture, then the number
    ]
    if machine == "x86_64":
        code.append((jge, "eperm", 0, _X32_BIT))
    code += [(jeq, "eperm", 0, nr) for nr in sorted(denied.values())]
    code.append((jeq, "enosys", 0, special["clone3"]))
    code += [(jeq, f"check{i}", 0, nr) for i, (nr, _, _, _) in enumerate(flag_checks)]
    code.append((jeq, "fcntl", 0, special["fcntl"]))
    code.append((ret, 0, 0, _SECCOMP_RET_ALLOW))
    labels: dict[str, int] = {"fcntl": len(code)}
    code.append((ld_abs, 0, 0, 16 + 8 * 1))  # the command: an unsigned int, the low word is all of it
    code += [(jeq, "eperm", 0, cmd) for cmd in FCNTL_DENIED_COMMANDS]
    code.append((ret, 0, 0, _SECCOMP_RET_ALLOW))
    for i, (_, arg, refused, needed) in enumerate(flag_checks):
        labels[f"check{i}"] = len(code)
        code.append((ld_abs, 0, 0, 16 + 8 * arg))
        if needed:
            code += [(jset, "eperm", 0, refused), (jset, "allow", "eperm", needed)]
        else:
            code.append((jset, "eperm", "allow", refused))
    labels["allow"] = len(code)
    code.append((ret, 0, 0, _SECCOMP_RET_ALLOW))
    labels["eperm"] = len(code)
    code.append((ret, 0, 0, _SECCOMP_RET_EPERM))
    labels["enosys"] = len(code)
    code.append((ret, 0, 0, _SECCOMP_RET_ENOSYS))

    def offset(at: int, target: int | str) -> int:
        if isinstance(target, int):
            return target
        jump = labels[target] - at - 1
        if not 0 <= jump <= 255:
            raise ValueError("seccomp jump out of range")
        return jump

    return b"".join(struct.pack("=HBBI", op, offset(i, jt), offset(i, jf), k)
                    for i, (op, jt, jf, k) in enumerate(code))


def this_machines_filter() -> bytes:
    """The filter for this machine's architecture (an OSError where there is none).

    Built once, by the process that forks candidates: assembling it cost each
    candidate about 0.15 ms of its start-up."""
    machine = os.uname().machine
    if machine not in DENIED_SYSCALLS:
        raise OSError(f"no syscall filter for {machine}: refusing to run candidates without one")
    return seccomp_program(machine)


def deny_syscalls(libc: ctypes.CDLL, code: bytes | None = None) -> None:
    """Install the filter: ``code`` as ``this_machines_filter`` built it, else built now."""
    if code is None:
        code = this_machines_filter()
    buf = ctypes.create_string_buffer(code, len(code))
    prog = _SockFprog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if int(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0)) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def own_pid_namespace() -> int:
    """A descriptor of this process's PID namespace, for ``fork_in_new_pidns`` to return to."""
    return os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)


def fork_in_new_pidns(libc: ctypes.CDLL, own_ns: int | None = None) -> int:
    """fork() whose child is PID 1 of a fresh PID namespace (Python 3.11 has no os.unshare).

    ``own_ns``: this process's namespace (``own_pid_namespace``), kept open by a caller
    that forks many (else opened and closed here each time). A candidate closes it with
    every descriptor but its own three (``candidate_side._candidate_child``)."""
    if int(libc.unshare(CLONE_NEWPID)) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWPID)")
    pid = os.fork()
    if pid:
        # Point our children's namespace back at our own, so the next unshare() is allowed.
        fd = own_pid_namespace() if own_ns is None else own_ns
        try:
            if int(libc.setns(fd, CLONE_NEWPID)) != 0:
                raise OSError(ctypes.get_errno(), "setns(CLONE_NEWPID)")
        finally:
            if own_ns is None:
                os.close(fd)
    return pid


def new_ipc_namespace(libc: ctypes.CDLL) -> None:
    """System V IPC objects a candidate makes (if any get past the filter) die with it."""
    if int(libc.unshare(CLONE_NEWIPC)) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWIPC)")


def seal_mounts(libc: ctypes.CDLL, mountinfo: str = "/proc/self/mountinfo") -> list[str]:
    """Every mount of the server's namespace read-only, but /tmp and /proc: bwrap's root
    and /dev tmpfs, and the host's device nodes it binds under /dev (writing to
    /dev/null still works: a read-only mount refuses writes to files, not to devices).
    Returns the mount points it sealed."""
    with open(mountinfo, encoding="utf-8") as f:
        lines = f.read().splitlines()
    sealed = []
    for line in lines:
        fields = line.split()
        point, options = fields[4].replace("\\040", " "), fields[5].split(",")
        if "ro" in options or any(point == w or point.startswith(w + "/") for w in WRITABLE_MOUNTS):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for name in options:
            flags |= _KEPT_MOUNT_FLAGS.get(name, 0)
        if int(libc.mount(None, point.encode(), None, flags, None)) != 0:
            raise OSError(ctypes.get_errno(), f"remount {point} read-only")
        sealed.append(point)
    return sealed


def seal_dev_dirs(libc: ctypes.CDLL) -> None:
    """An empty read-only tmpfs over /dev/shm and /dev/pts, for the whole slot. POSIX
    shared memory lives in files under /dev/shm: no place to share state or memory
    through. And the kernel stamps the times of /dev/pts/ptmx whenever a pty is read
    or written, past any read-only mount: a candidate left a bit there for the next
    (red team). Candidates need neither."""
    for where in (b"/dev/shm", b"/dev/pts"):
        if not os.path.isdir(where):
            continue
        opts = b"size=4k,nr_inodes=1,mode=0755"
        if int(libc.mount(b"tmpfs", where, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, opts)) != 0:
            raise OSError(ctypes.get_errno(), f"mount read-only tmpfs on {where.decode()}")

