"""The code that runs inside the bwrap sandbox: both servers and the value codec.

Stdlib only and importing nothing from the project: this file is bound alone,
read-only, at /bestofn/runtime.py and run as ``python -I -S``. Our own process
imports the same file for the codec and framing, so both ends cannot drift.

Two server modes, each one long-lived process per worker slot:

* ``candidate-server``: per job, unshares a fresh PID namespace and forks a
  child that is PID 1 there (so killing it kills every descendant, daemons
  included). The child drops to an unprivileged uid under rlimits, with the
  server's scratch tmpfs (empty for every candidate) as cwd and /tmp, loads the
  candidate (compiled by our process, marshalled) and answers calls over its
  end of the channel. The server enforces the wall clock from outside with
  SIGKILL. It never sees the tests.
* ``test-server``: per job, execs the prompt and the tests (compiled once per
  task) and runs ``check(proxy)``; the proxy ships every call over the channel.
  It never runs candidate code; it only decodes plain data from it.

Framing everywhere: 4-byte big-endian length, then compact JSON.
"""

from __future__ import annotations

import base64
import builtins
import ctypes
import fcntl
import gc
import json
import marshal
import math
import os
import random
import resource
import select
import signal
import socket
import struct
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

MAX_MESSAGE = 16 * 1024 * 1024
"""Largest frame either side accepts: a huge return value is a failure, not an OOM of the harness."""
MAX_DEPTH = 100
"""Deepest nesting the codec carries; far above any HumanEval value, far below the recursion limit."""
REPLY_HEADROOM_DEPTH = 10
REPLY_MAX_MESSAGE = MAX_MESSAGE // 2
"""What the candidate sends (results, changed arguments) is held to less than what the
tests may send, so a test that passes a candidate's value back to it in a later call
(wrapped a few levels deep, or beside another argument) can always send it: the call
cannot fail for the candidate's value and be blamed on the tests."""
_SMALL_INT = 1 << 63
"""Ints outside this range travel as hex: decimal str() of huge ints is capped (and slow) in 3.11."""
TEXT_LIMIT = 300
RETURNED_LIMIT = 1024 * 1024
"""Longest text a check may hand back (``_run_check``'s ``returned``); a longer one is dropped."""

CLONE_NEWPID = 0x20000000
PR_SET_NO_NEW_PRIVS = 38
MS_NOSUID = 2
MS_NODEV = 4
MNT_DETACH = 2


class CodecError(ValueError):
    """A value or frame outside the strict plain-data encoding."""


# --------------------------------------------------------------------------- codec


def encode(value: object, max_depth: int = MAX_DEPTH) -> Any:
    """Plain data to a JSON-able tree. Exact types only, so lying subclasses cannot cross."""
    return _encode(value, 0, max_depth)


def _encode(x: object, depth: int, max_depth: int = MAX_DEPTH) -> Any:
    if depth > max_depth:
        raise CodecError("value nested too deeply")
    t = type(x)
    if x is None or t is bool or t is str or t is float:
        return x
    if t is int:
        assert isinstance(x, int)
        return x if -_SMALL_INT < x < _SMALL_INT else {"i": format(x, "x")}
    if t is list or t is tuple or t is set or t is frozenset:
        assert isinstance(x, (list, tuple, set, frozenset))
        tag = {list: "l", tuple: "t", set: "s", frozenset: "f"}[t]
        return {tag: [_encode(v, depth + 1, max_depth) for v in x]}
    if t is dict:
        assert isinstance(x, dict)
        return {"d": [[_encode(k, depth + 1, max_depth), _encode(v, depth + 1, max_depth)] for k, v in x.items()]}
    if t is bytes:
        assert isinstance(x, bytes)
        return {"b": base64.b64encode(x).decode("ascii")}
    raise CodecError(f"cannot send a value of type {_type_name(x)}")


def decode(tree: Any, max_depth: int = MAX_DEPTH) -> Any:
    """Validate a JSON tree strictly and rebuild the plain value; anything unexpected raises CodecError."""
    return _decode(tree, 0, max_depth)


def _decode(x: Any, depth: int, max_depth: int = MAX_DEPTH) -> Any:
    if depth > max_depth:
        raise CodecError("value nested too deeply")
    t = type(x)
    if x is None or t is bool or t is str or t is int or t is float:
        return x
    if t is not dict or len(x) != 1:
        raise CodecError("malformed value")
    ((tag, body),) = x.items()
    if tag == "i":
        if type(body) is not str or not 0 < len(body) <= 1_000_000:
            raise CodecError("malformed big int")
        try:
            return int(body, 16)
        except ValueError:
            raise CodecError("malformed big int") from None
    if tag == "b":
        if type(body) is not str:
            raise CodecError("malformed bytes")
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            raise CodecError("malformed bytes") from None
    if type(body) is not list:
        raise CodecError("malformed container")
    if tag == "d":
        out: dict[Any, Any] = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise CodecError("malformed dict item")
            key = _decode(pair[0], depth + 1, max_depth)
            try:
                out[key] = _decode(pair[1], depth + 1, max_depth)
            except TypeError:
                raise CodecError("unhashable dict key") from None
        return out
    items = [_decode(v, depth + 1, max_depth) for v in body]
    if tag == "l":
        return items
    if tag == "t":
        return tuple(items)
    try:
        if tag == "s":
            return set(items)
        if tag == "f":
            return frozenset(items)
    except TypeError:
        raise CodecError("unhashable set element") from None
    raise CodecError("unknown tag")


# --------------------------------------------------------------------------- framing


def frame(message: Any, limit: int = MAX_MESSAGE) -> bytes:
    """One length-prefixed JSON frame; refuses to build one the peer would refuse."""
    try:
        data = json.dumps(message, separators=(",", ":")).encode("ascii")
    except (ValueError, TypeError, RecursionError) as exc:
        raise CodecError(f"cannot frame message: {type(exc).__name__}") from None
    if len(data) > limit:
        raise CodecError("message too large")
    return struct.pack(">I", len(data)) + data


def send_msg(sock: socket.socket, message: Any, fds: list[int] | None = None) -> None:
    data = frame(message)
    if fds:
        sent = socket.send_fds(sock, [data], fds)
        data = data[sent:]
    sock.settimeout(None)
    sock.sendall(data)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    while n > 0:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("deadline passed")
            sock.settimeout(remaining)
        else:
            sock.settimeout(None)
        try:
            chunk = sock.recv(min(n, 1 << 20))
        except socket.timeout:
            raise TimeoutError("deadline passed") from None
        if not chunk:
            raise EOFError("peer closed the channel")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _parse(header: bytes, sock: socket.socket, deadline: float | None) -> Any:
    (size,) = struct.unpack(">I", header)
    if size > MAX_MESSAGE:
        raise CodecError("message too large")
    body = _recv_exact(sock, size, deadline)
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise CodecError("malformed frame") from None


def recv_msg(sock: socket.socket, deadline: float | None = None) -> Any:
    """Next frame as a JSON tree. Raises EOFError, TimeoutError or CodecError."""
    return _parse(_recv_exact(sock, 4, deadline), sock, deadline)


class FrameReader:
    """Frames from a blocking socket with one recv() per message in the common case.

    For the per-call channel between the test and candidate children: no per-call
    deadline here (each server kills its child at the job's deadline from outside),
    so the socket stays blocking and a call costs two syscalls a side.
    """

    def __init__(self, sock: socket.socket, limit: int = MAX_MESSAGE) -> None:
        sock.setblocking(True)
        self._sock = sock
        self._buf = bytearray()
        self._limit = limit

    def recv(self) -> Any:
        buf = self._buf
        while True:
            if len(buf) >= 4:
                (size,) = struct.unpack_from(">I", buf)
                if size > self._limit:
                    raise CodecError("message too large")
                end = 4 + size
                if len(buf) >= end:
                    body = bytes(buf[4:end])
                    del buf[:end]
                    try:
                        return json.loads(body)
                    except (ValueError, RecursionError):
                        raise CodecError("malformed frame") from None
            chunk = self._sock.recv(1 << 16)
            if not chunk:
                raise EOFError("peer closed the channel")
            buf += chunk


def recv_msg_fds(sock: socket.socket) -> tuple[Any, list[int]]:
    """Next frame plus the descriptors sent with its first bytes (SCM_RIGHTS)."""
    sock.settimeout(None)
    data, fds, _flags, _addr = socket.recv_fds(sock, 4, 4)
    if not data:
        raise EOFError("peer closed the channel")
    header = data + _recv_exact(sock, 4 - len(data), None)
    return _parse(header, sock, None), list(fds)


# --------------------------------------------------------------------------- helpers


def _type_name(x: object) -> str:
    try:
        return str(type(x).__name__)[:100]
    except Exception:
        return "<unnamed>"


def _describe(exc: BaseException) -> tuple[str, str]:
    """Type name and message, each bounded. Guarded: a hostile __str__ may raise (or hang: wall clock)."""
    name = _type_name(exc)
    try:
        text = str(exc)
        text = text if type(text) is str else ""
    except BaseException:  # noqa: BLE001 - the message is best-effort
        text = "<unprintable>"
    return name, text[:TEXT_LIMIT]


def _devnull_stdio() -> None:
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _drop_to(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _no_new_privs(libc: ctypes.CDLL) -> None:
    if int(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")


# Syscalls a candidate is refused (EPERM): the kernel keyring (per uid: a key outlives
# the candidate and the run, and the next candidate of the slot could read it), memfd
# (its pages escape RLIMIT_AS) and the System V / POSIX IPC objects (shared memory,
# semaphores, message queues: memory outside RLIMIT_AS and state for the next
# candidate; each candidate also gets a fresh IPC namespace, dropped when it ends).
#
# And namespaces: a candidate that makes a user namespace can mount its own tmpfs of any
# size (memory outside every limit): unshare, setns and the mount calls are refused,
# clone with a CLONE_NEW* flag is refused, and clone3 (whose flags sit in memory a
# filter cannot read) answers ENOSYS, so the C library falls back to clone.
_DENIED_SYSCALLS = {
    "x86_64": (0xC000003E, {
        "add_key": 248, "request_key": 249, "keyctl": 250, "memfd_create": 319, "memfd_secret": 447,
        "shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240,
        "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
        "fsopen": 430, "fsmount": 432, "open_tree": 428, "move_mount": 429,
    }, {"clone": 56, "clone3": 435}),
    "aarch64": (0xC00000B7, {
        "add_key": 217, "request_key": 218, "keyctl": 219, "memfd_create": 279, "memfd_secret": 447,
        "shmget": 194, "semget": 190, "msgget": 186, "mq_open": 180,
        "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41,
        "fsopen": 430, "fsmount": 432, "open_tree": 428, "move_mount": 429,
    }, {"clone": 220, "clone3": 435}),
}
_CLONE_NEW_FLAGS = 0x7E020000
"""CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET."""
_SECCOMP_RET_ENOSYS = 0x00050000 | 38
_X32_BIT = 0x40000000
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_EPERM = 0x00050000 | 1
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
CLONE_NEWIPC = 0x08000000
CLONE_NEWNS = 0x00020000
MS_NOEXEC = 8
MS_REC = 0x4000
MS_PRIVATE = 1 << 18


def _own_proc(libc: ctypes.CDLL) -> None:
    """A procfs of the candidate's own PID namespace, in a mount namespace of its own:
    the server's /proc lists the slot's PIDs, which grow with every candidate forked,
    so it carried one integer from a candidate to the next (red team). The candidate
    sees itself as PID 1 and its own children only; the mounts go with it."""
    if int(libc.unshare(CLONE_NEWNS)) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if int(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None)) != 0:
        raise OSError(ctypes.get_errno(), "make mounts private")
    if int(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)) != 0:
        raise OSError(ctypes.get_errno(), "mount /proc")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def seccomp_program(machine: str) -> bytes:
    """The classic-BPF filter: other architectures' and x32 calls, the denied syscalls
    and clone with a namespace flag get EPERM, clone3 ENOSYS; everything else is allowed."""
    arch, denied, clones = _DENIED_SYSCALLS[machine]
    ld_abs, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    tests = [(jge, _X32_BIT)] if machine == "x86_64" else []
    tests += [(jeq, nr) for nr in sorted(denied.values())]
    # Layout after the tests: [clone3?] [clone?] ALLOW | LD flags, JSET NEW*, ALLOW | EPERM, ENOSYS
    n = len(tests)
    program: list[tuple[int, int, int, int]] = [
        (ld_abs, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, _SECCOMP_RET_EPERM),
        (ld_abs, 0, 0, 0),  # the syscall number
    ]
    # From test i, EPERM is (n - i) + 2 (clone3, clone) + 1 (ALLOW) + 3 (the flag check) - 1 ahead.
    for i, (code, k) in enumerate(tests):
        program.append((code, n - i - 1 + 6, 0, k))
    program += [
        (jeq, 6, 0, clones["clone3"]),  # -> ENOSYS
        (jeq, 1, 0, clones["clone"]),  # -> the flag check
        (ret, 0, 0, _SECCOMP_RET_ALLOW),
        (ld_abs, 0, 0, 16),  # clone's flags: the low half of its first argument
        (jset, 1, 0, _CLONE_NEW_FLAGS),  # -> EPERM
        (ret, 0, 0, _SECCOMP_RET_ALLOW),
        (ret, 0, 0, _SECCOMP_RET_EPERM),
        (ret, 0, 0, _SECCOMP_RET_ENOSYS),
    ]
    return b"".join(struct.pack("=HBBI", *ins) for ins in program)


def _deny_syscalls(libc: ctypes.CDLL) -> None:
    machine = os.uname().machine
    if machine not in _DENIED_SYSCALLS:
        raise OSError(f"no syscall filter for {machine}: refusing to run candidates without one")
    code = seccomp_program(machine)
    buf = ctypes.create_string_buffer(code, len(code))
    prog = _SockFprog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if int(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0)) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


# --------------------------------------------------------------------------- candidate side


def _fork_in_new_pidns(libc: ctypes.CDLL) -> int:
    """fork() whose child is PID 1 of a fresh PID namespace (Python 3.11 has no os.unshare)."""
    if int(libc.unshare(CLONE_NEWPID)) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWPID)")
    pid = os.fork()
    if pid:
        # Point our children's namespace back at our own, so the next unshare() is allowed.
        fd = os.open("/proc/self/ns/pid", os.O_RDONLY)
        try:
            if int(libc.setns(fd, CLONE_NEWPID)) != 0:
                raise OSError(ctypes.get_errno(), "setns(CLONE_NEWPID)")
        finally:
            os.close(fd)
    return pid


def _candidate_child(libc: ctypes.CDLL, job: dict[str, Any], chan_fd: int, err_fd: int, body_fd: int) -> NoReturn:
    """PID 1 of its namespace: read its own text, confine, then load the candidate and
    answer calls. Never returns.

    A confinement failure is written to ``err_fd`` (closed before any candidate code
    runs, so a candidate cannot fake one) and becomes an infrastructure error.
    """
    try:
        # Descriptors first, so a failure below can always be reported on fd 4:
        # 3 = the channel, 4 = the error pipe, 5 = the candidate's text, everything
        # else (the control socket) closed.
        # Copies above 5 first, so no dup2 below overwrites one it has yet to copy.
        fds = [fcntl.fcntl(fd, fcntl.F_DUPFD, 6) for fd in (chan_fd, err_fd, body_fd)]
        for target, fd in zip((3, 4, 5), fds):
            os.dup2(fd, target)
        os.closerange(6, 1 << 16)
    except BaseException:
        os._exit(71)
    try:
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
        if int(libc.unshare(CLONE_NEWIPC)) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWIPC)")
        _own_proc(libc)
        _no_new_privs(libc)
        _deny_syscalls(libc)
        _drop_to(uid)  # clears every capability: cannot signal, trace or outlive-by-privilege
        os.chdir("/tmp")  # the server's scratch tmpfs (_Scratch): empty, and ours alone while we live
        sock = socket.socket(fileno=3)
        os.close(4)
    except BaseException as exc:
        try:
            os.write(4, f"sandbox setup failed: {_describe(exc)}".encode()[:1000])
        finally:
            os._exit(71)
    _serve_candidate(sock, _candidate_code(job), str(job["entry"]))


def _read_body(fd: int) -> dict[str, Any]:
    """The candidate's text (``source``, and its marshalled ``code`` when our process
    compiled it) from the memfd our process wrote: read from offset 0, whatever the
    shared file offset."""
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


CANDIDATE_FILENAME = "<candidate>"
"""The file name candidate code is compiled under, on either side."""
COMPILE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
"""What compiling a candidate can raise (ValueError: null bytes; the others: pathological nesting or constants)."""


def compile_candidate(source: str) -> Any:
    """A candidate's code object, the one way every stage compiles it: plain Python
    semantics (no ``from __future__`` of the compiling module leaks in)."""
    return compile(source, CANDIDATE_FILENAME, "exec", dont_inherit=True)


CODE_ABI = f"{sys.implementation.cache_tag}-{sys.hexversion:x}"
"""Marshalled code only crosses between interpreters that share this tag."""


def _candidate_code(job: dict[str, Any]) -> Any:
    """The candidate's code object: the parent's compile (marshalled) when it sent one, else its source.

    Compiling in a freshly forked child cost ~0.5 ms of copy-on-write faults per
    candidate; the parent compiles anyway (syntax stage, cache key) and compiling
    executes nothing. marshal data comes only from our own process, never from a candidate.
    """
    code = job.get("code")
    if type(code) is str and job.get("abi") == CODE_ABI:
        return marshal.loads(base64.b64decode(code))
    return str(job["source"])


def _serve_candidate(sock: socket.socket, code: Any, entry: str) -> NoReturn:
    exit_ = os._exit  # bound early: the candidate may patch the os module
    namespace: dict[str, Any] = {"__name__": "__candidate__", "__builtins__": builtins}
    fn: Any = None
    try:
        if type(code) is str:
            code = compile_candidate(code)
        exec(code, namespace)  # noqa: S102 - this is the sandbox
        fn = namespace.get(entry)
        ready: dict[str, Any] = {"ok": 1} if callable(fn) else {"f": f"no function named {entry!r}"[:TEXT_LIMIT]}
    except MemoryError:
        ready = {"m": "MemoryError while loading"}
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt... all mean "failed"
        name, text = _describe(exc)
        ready = {"f": f"loading raised {name}: {text}"}
    try:
        reader = FrameReader(sock)
        sock.sendall(frame(ready))
        if "ok" not in ready:
            exit_(0)
        while True:
            try:
                call = reader.recv()
            except EOFError:
                exit_(0)
            nonce = call["n"]
            args = decode(call["a"])
            kwargs = decode(call["k"])
            try:
                reply: dict[str, Any] = {"n": nonce, "r": encode(fn(*args, **kwargs), _REPLY_DEPTH)}
                changed = _changed_arguments(call["a"], args, call["k"], kwargs)
                if changed:
                    reply["w"] = changed
                data = frame(reply, REPLY_MAX_MESSAGE)
            except MemoryError:
                data = frame({"n": nonce, "m": "MemoryError"})
            except CodecError as exc:
                data = frame({"n": nonce, "f": str(exc)[:TEXT_LIMIT]})
            except Exception as exc:  # noqa: BLE001 - the test may expect it: ship it as data
                data = frame({"n": nonce, "e": list(_describe(exc))})
            except BaseException as exc:  # noqa: BLE001 - SystemExit & co: cannot be swallowed by the test
                name, text = _describe(exc)
                data = frame({"n": nonce, "f": f"{name}: {text}"})
            sock.sendall(data)
    except MemoryError:
        try:
            sock.sendall(frame({"m": "MemoryError"}))
        finally:
            exit_(0)
    except BaseException:  # noqa: BLE001
        exit_(0)
    exit_(0)


def _changed_arguments(sent_args: Any, args: list[Any], sent_kwargs: Any, kwargs: dict[str, Any]) -> list[Any]:
    """The arguments the call mutated, as ``[position or name, new value]`` pairs.

    Arguments cross the channel as copies; sending back what the candidate changed
    lets the caller's objects change too, as they would in plain Python (a
    candidate that sorts its argument in place is caught by a test that checks
    the argument). Compared on the encoded form the call arrived in: no copy is
    kept, and an unchanged argument costs one encoding.
    """
    changed: list[Any] = []
    for key, before, value in [*zip(range(len(args)), sent_args["l"], args),
                               *((k, sent, kwargs[k]) for (k, sent) in _kwarg_trees(sent_kwargs))]:
        if type(value) in (list, dict, set):
            after = encode(value, _REPLY_DEPTH)
            if after != before:
                changed.append([key, after])
    return changed


_REPLY_DEPTH = MAX_DEPTH - REPLY_HEADROOM_DEPTH


def _kwarg_trees(sent_kwargs: Any) -> list[tuple[str, Any]]:
    return [(decode(k), v) for k, v in sent_kwargs["d"]]


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
        if self._mounted and int(self._libc.umount2(b"/tmp", MNT_DETACH)) != 0:
            raise OSError(ctypes.get_errno(), "umount /tmp")
        self._mounted = False
        opts = f"size={size},nr_inodes=4096,mode=1777".encode()
        if int(self._libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, opts)) != 0:
            raise OSError(ctypes.get_errno(), "mount tmpfs on /tmp")
        self._mounted = True


def _run_candidate_job(libc: ctypes.CDLL, scratch: _Scratch, job: dict[str, Any], chan_fd: int,
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
    gc.freeze()  # the child's collector then leaves the server's objects alone: fewer copy-on-write faults
    pid = _fork_in_new_pidns(libc)
    forked = time.monotonic()
    if pid == 0:
        os.close(err_r)
        _candidate_child(libc, job, chan_fd, err_w, body_fd)
    os.close(err_w)
    os.close(body_fd)
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
    _pid, status, usage = os.wait4(pid, 0)
    marks = {"c_start": start, "c_forked": forked, "c_ended": ended, "c_reaped": time.monotonic()}
    seconds = time.monotonic() - start
    os.close(pidfd)
    os.close(chan_fd)
    setup_error = os.read(err_r, 1000)
    os.close(err_r)
    if setup_error:
        return {"fatal": setup_error.decode("utf-8", "replace")}
    cpu = usage.ru_utime + usage.ru_stime
    code = os.waitstatus_to_exitcode(status)
    if end == "exit" and (code == -signal.SIGXCPU or (code == -signal.SIGKILL and cpu >= float(job["cpu"]) - 0.05)):
        end = "cpu"
    # marks: CLOCK_MONOTONIC is system-wide, so the parent can line them up with its own (for benchmarks).
    return {"end": end, "code": code, "seconds": seconds, "cpu": cpu, "marks": marks}


def candidate_server(ctl: socket.socket) -> None:
    libc = _libc()
    # Startup probe: a broken namespace setup must fail loudly now, not per job.
    try:
        pid = _fork_in_new_pidns(libc)
        if pid == 0:
            os._exit(0 if os.getpid() == 1 else 1)
        _p, status = os.waitpid(pid, 0)
        if status != 0:
            raise OSError("the probe child was not PID 1 of a new namespace")
    except OSError as exc:
        send_msg(ctl, {"fatal": f"candidate server cannot create PID namespaces: {exc}"})
        return
    try:
        _seal_dev_shm(libc)
    except OSError as exc:
        send_msg(ctl, {"fatal": f"candidate server cannot seal /dev/shm: {exc}"})
        return
    scratch = _Scratch(libc)
    _serve_jobs(ctl, "candidate", lambda job, fds: _run_candidate_job(libc, scratch, job, fds[0], fds[1]),
                fds_per_job=2)


MS_RDONLY = 1


def _seal_dev_shm(libc: ctypes.CDLL) -> None:
    """POSIX shared memory lives in files under /dev/shm, one directory for the whole slot:
    an empty read-only tmpfs over it leaves no place to share state or memory through."""
    if not os.path.isdir("/dev/shm"):
        return
    opts = b"size=4k,nr_inodes=1,mode=0755"
    if int(libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, opts)) != 0:
        raise OSError(ctypes.get_errno(), "mount read-only tmpfs on /dev/shm")


def _serve_jobs(ctl: socket.socket, kind: str, run_job: Callable[[dict[str, Any], list[int]], dict[str, Any]],
                fds_per_job: int = 1) -> None:
    """Both servers' loop: say ready, then one job (with its descriptors: the channel
    first) in, one report out."""
    send_msg(ctl, {"ready": os.getpid()})
    while True:
        try:
            job, fds = recv_msg_fds(ctl)
        except EOFError:
            return
        if len(fds) != fds_per_job:
            for fd in fds:
                os.close(fd)
            send_msg(ctl, {"fatal": f"job without exactly {fds_per_job} descriptors"})
            continue
        try:
            result = run_job(job, fds)
        except OSError as exc:
            result = {"fatal": f"{kind} job failed: {exc}"}
        send_msg(ctl, result)


# --------------------------------------------------------------------------- test side


class CandidateFault(BaseException):
    """Raised into the tests for faults they must not swallow with ``except Exception``."""


_BUILTIN_EXCEPTIONS = {
    name: cls
    for name, cls in vars(builtins).items()
    if isinstance(cls, type) and issubclass(cls, Exception)
    and cls not in (MemoryError, StopIteration, StopAsyncIteration)
}
"""Raised again on the test side, so a test expecting one sees it. Not StopIteration:
raised inside ``all(map(candidate, xs))`` it would end the iteration early and pass
the test; a function that raises it to its caller is a fault, as Python itself makes
it one in a generator (PEP 479)."""


def _rebuild(cls: type[Exception], text: str) -> Exception:
    """The builtin exception by name; one whose constructor needs more (UnicodeDecodeError) becomes its base."""
    for base in cls.__mro__:
        if issubclass(base, Exception):
            try:
                return base(text)
            except TypeError:
                continue
    return Exception(text)


class _Proxy:
    """Stands in for the candidate's function inside the tests; every call crosses the channel."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._reader = FrameReader(sock, REPLY_MAX_MESSAGE)
        self.calls = 0
        self.fault = ""
        self.memory = False
        self.harness = ""
        self.timeout = False

    def _fail(self, why: str) -> NoReturn:
        if not self.fault:
            self.fault = why[:TEXT_LIMIT]
        raise CandidateFault(self.fault)

    def _receive(self) -> dict[str, Any]:
        try:
            reply = self._reader.recv()
        except EOFError:
            self._fail("the candidate process ended before answering")
        except (CodecError, OSError) as exc:
            self._fail(f"bad reply from the candidate: {exc}")
        if type(reply) is not dict:
            self._fail("bad reply from the candidate")
        return reply

    def wait_ready(self) -> None:
        reply = self._receive()
        if len(reply) != 1:
            self._fail("bad reply from the candidate")
        if "ok" in reply:
            return
        self._raise_reply(reply)

    def _answer(self, nonce: str) -> dict[str, Any]:
        """The reply to the call sent with ``nonce``: a frame the candidate wrote before
        it was called (while its module loaded, say) cannot know the nonce, so it cannot
        pass for an answer."""
        reply = self._receive()
        if reply.pop("n", None) != nonce:
            self._fail("the candidate sent a reply to no call (a forged answer)")
        if not 1 <= len(reply) <= 2 or (len(reply) == 2 and not ("r" in reply and "w" in reply)):
            self._fail("bad reply from the candidate")
        return reply

    def _raise_reply(self, reply: dict[str, Any]) -> NoReturn:
        if "m" in reply:
            self.memory = True
            self._fail("the candidate ran out of memory")
        if "e" in reply:
            body = reply["e"]
            if type(body) is list and len(body) == 2 and type(body[0]) is str and type(body[1]) is str:
                cls = _BUILTIN_EXCEPTIONS.get(body[0])
                if cls is not None:
                    raise _rebuild(cls, body[1][:TEXT_LIMIT])
                self._fail(f"the candidate raised {body[0][:80]}: {body[1]}")
        body = reply.get("f")
        self._fail(f"the candidate failed: {body}" if type(body) is str else "bad reply from the candidate")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.fault:
            raise CandidateFault(self.fault)  # one fault ends the candidate: no more calls
        nonce = os.urandom(16).hex()
        try:
            data = frame({"a": encode(list(args)), "k": encode(dict(kwargs)), "n": nonce})
        except CodecError as exc:
            self.harness = f"the tests passed an argument the channel cannot carry: {exc}"
            raise CandidateFault(self.harness) from None
        try:
            self._sock.sendall(data)
        except OSError:
            self._fail("the candidate process ended before answering")
        reply = self._answer(nonce)
        self.calls += 1
        if "r" in reply:
            try:
                result = decode(reply["r"], _REPLY_DEPTH)
                _write_back(args, kwargs, reply.get("w", []))
            except CodecError as exc:
                self._fail(f"the candidate returned an invalid value: {exc}")
            return result
        self._raise_reply(reply)


def _write_back(args: tuple[Any, ...], kwargs: dict[str, Any], changed: Any) -> None:
    """Make the caller's arguments what the candidate left them as (see ``_changed_arguments``)."""
    if type(changed) is not list:
        raise CodecError("malformed argument changes")
    for item in changed:
        if type(item) is not list or len(item) != 2:
            raise CodecError("malformed argument change")
        key, tree = item
        if type(key) is int and 0 <= key < len(args):
            target = args[key]
        elif type(key) is str and key in kwargs:
            target = kwargs[key]
        else:
            raise CodecError("a change to no argument")
        _update_in_place(target, decode(tree, _REPLY_DEPTH))


def _update_in_place(target: Any, value: Any) -> None:
    """``target`` becomes equal to ``value`` keeping its identity, and its nested containers'
    where the shape allows (a test holding an inner list sees it change too)."""
    if type(target) is not type(value) or type(target) not in (list, dict, set):
        raise CodecError("an argument changed type")
    if type(target) is set:
        target.clear()
        target.update(value)
    elif type(target) is list:
        for i in range(min(len(target), len(value))):
            if type(target[i]) is type(value[i]) and type(value[i]) in (list, dict, set):
                _update_in_place(target[i], value[i])
            else:
                target[i] = value[i]
        del target[len(value):]
        target.extend(value[len(target):])
    else:
        for key in [k for k in target if k not in value]:
            del target[key]
        for key, item in value.items():
            old = target.get(key)
            if key in target and type(old) is type(item) and type(item) in (list, dict, set):
                _update_in_place(old, item)
            else:
                target[key] = item


def _failure_detail(exc: BaseException, test_source: str) -> str:
    name, text = _describe(exc)
    where = ""
    for entry in traceback.extract_tb(exc.__traceback__):
        if entry.filename == "<test>" and entry.lineno:
            lines = test_source.splitlines()
            if 0 < entry.lineno <= len(lines):
                where = f" at test line {entry.lineno}: {lines[entry.lineno - 1].strip()[:200]}"
    return f"{name}: {text}{where}" if text else f"{name}{where}"


def _run_check(job: dict[str, Any], chan_fd: int) -> dict[str, Any]:
    entered = time.monotonic()
    sock = socket.socket(fileno=chan_fd)
    proxy = _Proxy(sock)  # no deadline here: _run_test_job's alarm ends the job at its deadline
    namespace: dict[str, Any] = {"__name__": "__test__", "__builtins__": builtins}
    test_source = str(job["test"])
    try:
        prompt_code, test_code = job["compiled"]
        exec(prompt_code, namespace)  # noqa: S102 - trusted task code, compiled by the server
        exec(test_code, namespace)  # noqa: S102
        check = namespace["check"]
    except _TestDeadline:
        sock.close()
        raise
    except BaseException as exc:  # noqa: BLE001
        sock.close()
        name, text = _describe(exc)
        return {"harness": f"the task's prompt or tests do not load: {name}: {text}"}
    passed = False
    detail = ""
    returned: Any = None
    marks = {"t_entered": entered, "t_loaded": time.monotonic()}
    try:
        try:
            proxy.wait_ready()
            marks["t_ready"] = time.monotonic()
            namespace[str(job["entry"])] = proxy
            returned = check(proxy)
            passed = True
        except _TestDeadline:
            raise
        except BaseException as exc:  # noqa: BLE001 - any way out of check() other than a return fails
            detail = _failure_detail(exc, test_source)
    finally:
        sock.close()  # the candidate server sees the hang-up and ends the candidate
    if proxy.fault:
        passed = False  # positive evidence only: a swallowed fault still fails
        detail = proxy.fault
    return {
        "passed": passed and not proxy.harness,
        "detail": detail,
        "memory": proxy.memory,
        "timeout": proxy.timeout,
        "harness": proxy.harness,
        "calls": proxy.calls,
        "marks": {**marks, "t_checked": time.monotonic()},
        # What a generated check that collects data returns (the agreement check: the
        # candidate's outputs, encoded by that check); a task's own check returns None.
        "returned": returned if type(returned) is str and len(returned) <= RETURNED_LIMIT else "",
    }


class _TestDeadline(BaseException):
    """Raised into the tests by the job's alarm; BaseException so ``except Exception`` in a test cannot stop it."""


_deadline_fired = False


def _on_deadline(_signum: int, _frame: Any) -> None:
    global _deadline_fired
    _deadline_fired = True
    raise _TestDeadline()


_COMPILED: dict[tuple[str, str], tuple[Any, Any]] = {}
_COMPILED_LIMIT = 256


def _compiled_task(prompt: str, test: str) -> tuple[Any, Any]:
    """Compile a task's prompt and tests once per server, not once per candidate:
    every candidate of a task runs against the same code objects."""
    key = (prompt, test)
    code = _COMPILED.get(key)
    if code is None:
        if len(_COMPILED) >= _COMPILED_LIMIT:
            _COMPILED.clear()
        code = (compile(prompt, "<prompt>", "exec"), compile(test, "<test>", "exec"))
        _COMPILED[key] = code
    return code


def _run_test_job(job: dict[str, Any], chan_fd: int) -> dict[str, Any]:
    start = time.monotonic()
    try:
        job["compiled"] = _compiled_task(str(job["prompt"]), str(job["test"]))
    except BaseException as exc:  # noqa: BLE001 - a task that does not compile is the task's fault
        os.close(chan_fd)
        name, text = _describe(exc)
        return {"harness": f"the task's prompt or tests do not load: {name}: {text}",
                "seconds": time.monotonic() - start}
    # The tests run here, in the server: it never runs candidate code (that lives in
    # the other sandbox, behind the channel), so no fork is needed to protect the
    # verdict, and a fork + exit per job was a third of its cost. Trusted test code
    # can still loop on what the candidate returns: a repeating alarm ends the job.
    random.seed(0)  # HumanEval tests draw random inputs: the same ones for every candidate
    global _deadline_fired
    _deadline_fired = False
    previous = signal.signal(signal.SIGALRM, _on_deadline)
    result: dict[str, Any] | None = None
    try:
        signal.setitimer(signal.ITIMER_REAL, float(job["wall"]) + 1.0, 0.05)
        try:
            result = _run_check(job, chan_fd)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _TestDeadline:
        result = None
    finally:
        signal.signal(signal.SIGALRM, previous)
    if _deadline_fired or result is None:
        # Positive evidence only: a check that ran past the deadline never passes,
        # even if it swallowed the alarm and returned.
        result = {"passed": False, "detail": "the tests did not finish before the deadline", "timeout": True}
    got = reaped = time.monotonic()
    assert result is not None
    marks = result.get("marks")
    marks = marks if type(marks) is dict else {}
    result["marks"] = {**marks, "t_start": start, "t_got": got, "t_reaped": reaped}
    result["seconds"] = time.monotonic() - start
    return result


def test_server(ctl: socket.socket, uid: int) -> None:
    try:
        _drop_to(uid)
        _no_new_privs(_libc())
    except OSError as exc:
        send_msg(ctl, {"fatal": f"test server cannot drop privileges: {exc}"})
        return
    _serve_jobs(ctl, "test", lambda job, fds: _run_test_job(job, fds[0]))


# Imported once by each server so the per-job children inherit them: a fresh
# import of typing alone cost ~40 ms in a forked child here, more than the whole
# job. These are what HumanEval prompts, tests and solutions import most.
PRELOAD = (
    "typing", "math", "random", "copy", "string", "collections", "re", "hashlib",
    "itertools", "functools", "heapq", "bisect", "fractions", "statistics",
)


def _preload() -> None:
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass


# The first compile() in a process pays a one-off setup (~3 ms and ~250 page
# faults here). Paying it in the server means no forked child pays it again.
_WARM_UP_SOURCE = """
import math
from typing import List, Optional
class _C:
    def m(self, x: List[int], y: Optional[str] = None) -> int:
        try:
            return sum(v * 2 for v in x if v > 0) + len({k: v for k, v in zip(x, x)})
        except (ValueError, TypeError) as exc:
            raise RuntimeError(f"{exc!r:>10}") from None
        finally:
            _ = [lambda z: z ** 2, (1, 2.5, "s", b"b", None, True), {1, 2}]
async def _a():
    async with x as y:
        await y
while False:
    assert 1, "m"; del _C; global g; break
"""


def _warm_up_compiler() -> None:
    compile(_WARM_UP_SOURCE, "<warm-up>", "exec")


def _pin(cpus: str) -> None:
    """Keep this server and everything it forks on the given cores (best effort).

    A slot's two servers share a core: every call across the channel is then a
    local wakeup, not a cross-core one, and a forked child starts on a warm cache.
    """
    if cpus and cpus != "-":
        try:
            os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})
        except (OSError, ValueError):
            pass


def main(argv: list[str]) -> int:
    mode, ctl_fd = argv[1], int(argv[2])
    _pin(argv[4] if len(argv) > 4 else "")
    _preload()
    _warm_up_compiler()
    ctl = socket.socket(fileno=ctl_fd)
    if mode == "candidate-server":
        candidate_server(ctl)
    elif mode == "test-server":
        test_server(ctl, int(argv[3]))
    else:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
