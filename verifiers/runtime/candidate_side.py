"""The candidate server: one forked, confined process per candidate, which loads the
candidate and answers calls over its end of the channel (``candidate_calls``); the
server holds the wall clock from outside and never sees the tests.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import gc
import json
import math
import os
import resource
import select
import signal
import socket
import struct
import time
from typing import Any, NoReturn

from .candidate_calls import serve_candidate
from .codec import MAX_MESSAGE, CodecError, describe
from .confine import (
    MNT_DETACH,
    MS_NODEV,
    MS_NOSUID,
    deny_syscalls,
    drop_to,
    fork_in_new_pidns,
    larger_stack,
    load_libc,
    new_ipc_namespace,
    no_new_privs,
    no_proc,
    own_pid_namespace,
    seal_dev_dirs,
    seal_mounts,
    this_machines_filter,
)
from .control import serve_jobs
from .framing import _recv_exact, recv_msg, recv_msg_fds, send_msg

def _devnull_stdio() -> None:
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)


CGROUP_FD = 6
"""Where a candidate holds its memory cgroup's ``cgroup.procs`` until it joins."""


def _candidate_child(libc: ctypes.CDLL, job: dict[str, Any], chan_fd: int, err_fd: int, body_fd: int,
                     syscall_filter: bytes | None, cgroup_fd: int) -> NoReturn:
    """PID 1 of its namespace: join its memory cgroup, read its own text, confine, then
    load the candidate and answer calls. Never returns.

    A confinement failure is written to ``err_fd`` (closed before any candidate code
    runs, so a candidate cannot fake one) and becomes an infrastructure error.
    """
    try:
        # Descriptors first, so a failure below can always be reported on fd 4:
        # 3 = the channel, 4 = the error pipe, 5 = the candidate's text, 6 = the
        # memory cgroup where there is one, everything else (the control socket) closed.
        # Copies above 6 first, so no dup2 below overwrites one it has yet to copy.
        sources = (chan_fd, err_fd, body_fd) + ((cgroup_fd,) if cgroup_fd >= 0 else ())
        fds = [fcntl.fcntl(fd, fcntl.F_DUPFD, CGROUP_FD + 1) for fd in sources]
        for target, fd in zip((3, 4, 5, CGROUP_FD), fds):
            os.dup2(fd, target)
        os.closerange(3 + len(fds), 1 << 16)
    except BaseException:
        os._exit(71)
    try:
        if cgroup_fd >= 0:
            # First: every page this process makes from here on is charged to the slot's cgroup.
            os.write(CGROUP_FD, b"0")
            os.close(CGROUP_FD)
        job = {**job, **_read_body(5)}
        os.close(5)
        uid = int(job["uid"])
        os.setsid()
        _devnull_stdio()
        cpu = max(1, math.ceil(float(job["cpu"])))
        for res, value in (
            (resource.RLIMIT_AS, int(job["memory"])),
            (resource.RLIMIT_CPU, cpu),
            (resource.RLIMIT_FSIZE, int(job["file_bytes"])),
            (resource.RLIMIT_NOFILE, int(job["open_files"])),
            (resource.RLIMIT_NPROC, int(job["processes"])),
            (resource.RLIMIT_CORE, 0),
        ):
            # CPU: SIGXCPU at the soft limit, SIGKILL a second later if it is ignored.
            resource.setrlimit(res, (value, value + 1 if res == resource.RLIMIT_CPU else value))
        larger_stack()
        new_ipc_namespace(libc)
        # Wrapped before the filter: socket() asks the descriptor its type with getsockopt, which the filter refuses.
        sock = socket.socket(fileno=3)
        no_new_privs(libc)
        deny_syscalls(libc, syscall_filter)
        drop_to(uid)  # clears every capability: cannot signal, trace or outlive-by-privilege
        os.chdir("/tmp")  # the server's scratch tmpfs (_Scratch): empty, and ours alone while we live
        os.close(4)
    except BaseException as exc:
        try:
            os.write(4, f"sandbox setup failed: {describe(exc)}".encode()[:1000])
        finally:
            os._exit(71)
    serve_candidate(sock, str(job["source"]), str(job["entry"]))


def _read_body(fd: int) -> dict[str, Any]:
    """The candidate's text (``source``) from the memfd our process wrote: read from
    offset 0, whatever the shared file offset."""
    size = os.fstat(fd).st_size
    if size > MAX_MESSAGE:
        raise CodecError("candidate body too large")
    chunks: list[bytes] = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    body = json.loads(b"".join(chunks))
    if type(body) is not dict or type(body.get("source")) is not str:
        raise CodecError("malformed candidate body")
    return body


class _Scratch:
    """The candidates' /tmp (and cwd): a size-capped tmpfs of this server, a fresh one for
    every candidate.

    Replaced after every candidate (when every process of it is gone: PID 1 of its
    namespace was reaped), even one that left nothing: a tmpfs reused when empty
    still carried its inode counter to the next candidate, a channel of any integer
    (found by red-teaming). The server, without CAP_DAC_OVERRIDE, could not always
    delete a candidate's files itself (a candidate can make an unreadable
    directory); dropping the mount always works. About 0.3 ms per candidate.
    """

    def __init__(self, libc: ctypes.CDLL) -> None:
        self._libc = libc
        self._mounted = False

    def ready(self, size: int) -> None:
        self.drop()
        opts = f"size={size},nr_inodes=4096,mode=1777".encode()
        if int(self._libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, opts)) != 0:
            raise OSError(ctypes.get_errno(), "mount tmpfs on /tmp")
        self._mounted = True

    def drop(self) -> None:
        """The last candidate's files freed, as soon as it is reaped: they were charged
        to the slot's memory cgroup, and lowering its limit for the next job failed
        while they were there (a red team)."""
        if self._mounted and int(self._libc.umount2(b"/tmp", MNT_DETACH)) != 0:
            raise OSError(ctypes.get_errno(), "umount /tmp")
        self._mounted = False


SPAWN_SECONDS = 10.0
_LONGS = 2 + 18 + 14
"""The status word, then ``struct rusage`` (18 longs on 64-bit Linux), with room to spare."""


class _Zygote:
    """Forks and reaps every candidate, from a heap that never held a report.

    The server formats each candidate's report (its exit code, its CPU time) in its
    own heap, and a candidate forked from that heap found the previous one's
    ``"code":N`` in freed memory, 6 times in 22 (red team). So at start, before any
    job, the server forks this process. It only ever receives job limits (the
    server's, not a candidate's) and descriptors; it forks the candidate, says its
    PID, and reaps it with ``wait4`` into one fixed buffer that it sends as raw bytes
    and then zeroes, so no candidate's status or CPU time is ever a Python object
    here for the next candidate to find. The server watches and kills the candidate
    as before (through a pidfd) and decodes the status.
    """

    def __init__(self, libc: ctypes.CDLL, ctl: socket.socket, cgroup_fd: int) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # Opened before /proc is covered (``no_proc``): the zygote returns to this
        # namespace after forking each candidate into a new one.
        own_ns = own_pid_namespace()
        gc.freeze()  # the candidates' collector then leaves these objects alone: fewer copy-on-write faults
        try:
            self.pid = os.fork()
        except OSError:
            os.close(own_ns)
            raise
        if self.pid == 0:
            ours.close()
            ctl.close()
            _zygote_loop(libc, theirs, own_ns, cgroup_fd)
        os.close(own_ns)
        theirs.close()
        self._sock = ours

    def spawn(self, job: dict[str, Any], chan_fd: int, err_fd: int, body_fd: int) -> int:
        """The new candidate's PID, started with these descriptors."""
        try:
            send_msg(self._sock, job, [chan_fd, err_fd, body_fd])
            reply = recv_msg(self._sock, time.monotonic() + SPAWN_SECONDS)
        except (OSError, EOFError, TimeoutError, CodecError) as exc:
            raise OSError(f"the zygote did not start the candidate: {type(exc).__name__}: {exc}") from None
        if type(reply) is not dict or type(reply.get("pid")) is not int:
            raise OSError(f"the zygote could not start the candidate: {reply!r}"[:300])
        pid: int = reply["pid"]
        return pid

    def reaped(self, deadline: float) -> tuple[int, float]:
        """The ended candidate's wait status and CPU seconds (it has exited or been killed)."""
        try:
            raw = _recv_exact(self._sock, _LONGS * 8, deadline)
        except (OSError, EOFError, TimeoutError) as exc:
            raise OSError(f"the zygote did not reap the candidate: {type(exc).__name__}: {exc}") from None
        longs = struct.unpack(f"<{_LONGS}q", raw)
        status, (user_s, user_us, sys_s, sys_us) = longs[0], longs[2:6]
        return status, user_s + sys_s + (user_us + sys_us) / 1e6


def _zygote_loop(libc: ctypes.CDLL, sock: socket.socket, own_ns: int, cgroup_fd: int) -> NoReturn:
    """Fork each candidate as PID 1 of a new PID namespace, say its PID, reap it."""
    buffer = (ctypes.c_long * _LONGS)()
    status = ctypes.byref(buffer, 0)
    usage = ctypes.byref(buffer, 2 * 8)
    # Made once here, not in every candidate: the filter's program (a candidate on a
    # machine without one still fails its set-up, as before).
    try:
        syscall_filter: bytes | None = this_machines_filter()
    except OSError:
        syscall_filter = None
    while True:
        try:
            job, fds = recv_msg_fds(sock)
        except (OSError, EOFError, CodecError):
            os._exit(0)  # the server is gone
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            send_msg(sock, {"fatal": "a job without three descriptors"})
            continue
        try:
            pid = fork_in_new_pidns(libc, own_ns)
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            send_msg(sock, {"fatal": f"cannot fork the candidate: {exc}"})
            continue
        if pid == 0:
            _candidate_child(libc, job, fds[0], fds[1], fds[2], syscall_filter, cgroup_fd)
        for fd in fds:
            os.close(fd)
        send_msg(sock, {"pid": pid})
        while True:
            if int(libc.wait4(pid, status, 0, usage)) != pid:
                if ctypes.get_errno() != errno.EINTR:
                    os._exit(70)
            elif os.WIFSTOPPED(buffer[0]):  # only a traced child reports a stop (ptrace is refused)
                os.kill(pid, signal.SIGKILL)
            else:
                break
        sock.sendall(memoryview(buffer).cast("B"))
        ctypes.memset(buffer, 0, ctypes.sizeof(buffer))


def _run_candidate_job(libc: ctypes.CDLL, scratch: _Scratch, zygote: _Zygote, job: dict[str, Any], chan_fd: int,
                       body_fd: int) -> dict[str, Any]:
    """One candidate: fork its process, wait for it to end (or kill it at the wall clock), report.

    ``job`` holds only limits; the candidate's text is in ``body_fd`` (a memfd), which
    only the forked child reads. The server never holds any job's text, so its heap,
    which every later child inherits, has nothing of an earlier candidate or of a
    reference run through this slot (a candidate read its own memory and found them:
    red team)."""
    start = time.monotonic()
    try:
        scratch.ready(int(job["tmp_bytes"]))
    except OSError:
        os.close(chan_fd)
        os.close(body_fd)
        raise
    err_r, err_w = os.pipe()
    try:
        pid = zygote.spawn(job, chan_fd, err_w, body_fd)
    finally:
        os.close(err_w)
        os.close(body_fd)
    forked = time.monotonic()
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    # RDHUP on our copy of the candidate's end: the test side is done (or dead), stop the candidate.
    poller.register(chan_fd, select.POLLRDHUP)
    deadline = start + float(job["wall"])
    end = ""
    while not end:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            end = "wall"
            break
        for fd, _events in poller.poll(max(1, math.ceil(remaining * 1000))):
            end = "exit" if fd == pidfd else (end or "done")
    ended = time.monotonic()
    if end != "exit":
        os.kill(pid, signal.SIGKILL)  # PID 1 of its namespace: the kernel takes every descendant with it
    status, cpu = zygote.reaped(time.monotonic() + SPAWN_SECONDS)
    scratch.drop()
    marks = {"c_start": start, "c_forked": forked, "c_ended": ended, "c_reaped": time.monotonic()}
    seconds = time.monotonic() - start
    os.close(pidfd)
    os.close(chan_fd)
    setup_error = os.read(err_r, 1000)
    os.close(err_r)
    if setup_error:
        return {"fatal": setup_error.decode("utf-8", "replace")}
    code = os.waitstatus_to_exitcode(status)
    if end == "exit" and (code == -signal.SIGXCPU or (code == -signal.SIGKILL and cpu >= float(job["cpu"]) - 0.05)):
        end = "cpu"
    # marks: CLOCK_MONOTONIC is system-wide, so the parent can line them up with its own (for benchmarks).
    return {"end": end, "code": code, "seconds": seconds, "cpu": cpu, "marks": marks}


def _probe_child(cgroup_fd: int) -> NoReturn:
    if os.getpid() != 1:
        os._exit(1)
    try:
        if cgroup_fd >= 0:
            os.write(cgroup_fd, b"0")
    except OSError:
        os._exit(2)
    os._exit(0)


def candidate_server(ctl: socket.socket, cgroup_fd: int = -1) -> None:
    """``cgroup_fd``: the slot's memory cgroup's ``cgroup.procs``, which each candidate
    joins (``verifiers.memory_cgroup``), or -1."""
    libc = load_libc()
    # Startup probe: a broken namespace or cgroup setup must fail loudly now, not per job.
    try:
        pid = fork_in_new_pidns(libc)
        if pid == 0:
            _probe_child(cgroup_fd)
        _p, status = os.waitpid(pid, 0)
        if status != 0:
            raise OSError("the probe child was not PID 1 of a new namespace" if os.waitstatus_to_exitcode(status) != 2
                          else "the probe child could not join its memory cgroup")
    except OSError as exc:
        send_msg(ctl, {"fatal": f"candidate server failed its start-up probe: {exc}"})
        return
    try:
        seal_dev_dirs(libc)
    except OSError as exc:
        send_msg(ctl, {"fatal": f"candidate server cannot seal /dev/shm and /dev/pts: {exc}"})
        return
    try:
        seal_mounts(libc)
    except OSError as exc:
        send_msg(ctl, {"fatal": f"candidate server cannot make its mounts read-only: {exc}"})
        return
    scratch = _Scratch(libc)
    try:
        zygote = _Zygote(libc, ctl, cgroup_fd)
    except OSError as exc:
        send_msg(ctl, {"fatal": f"candidate server cannot start its zygote: {exc}"})
        return
    if cgroup_fd >= 0:
        os.close(cgroup_fd)  # the zygote's copy is the one its candidates get
    try:
        no_proc(libc)
    except OSError as exc:
        send_msg(ctl, {"fatal": f"candidate server cannot cover /proc: {exc}"})
        return
    serve_jobs(ctl, "candidate", lambda job, fds: _run_candidate_job(libc, scratch, zygote, job, fds[0], fds[1]),
               fds_per_job=2)
