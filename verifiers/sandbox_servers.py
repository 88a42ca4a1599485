"""Starting the sandbox's servers: bubblewrap command lines, the per-slot server
processes and their control sockets, and the unprivileged uids slots run as.

``verifiers.sandbox`` builds slots and the pool on top of this; nothing here sees a
candidate or a task.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tasks.errors import SandboxError
from verifiers import owners
from verifiers.channel import CodecError, recv_msg
from verifiers.pinning import children_started
from verifiers.sandbox_root import SITE_IN_SANDBOX, python_root, runtime_dir, third_party_dirs

_RUNTIME_PARENT = "/bestofn"
_RUNTIME_PACKAGE = "bestofn_runtime"
RUNTIME_IN_SANDBOX = f"{_RUNTIME_PARENT}/{_RUNTIME_PACKAGE}"
"""Where ``verifiers/runtime``'s modules are bound, read-only, inside the sandbox."""
_RUNTIME_FILES = tuple(sorted(Path(__file__).with_name("runtime").glob("*.py")))
"""Each source file on its own: no ``__pycache__`` or anything else of ours goes in."""
RUNTIME_LAUNCH = (
    f"import sys; sys.path.insert(0, {_RUNTIME_PARENT!r}); from {_RUNTIME_PACKAGE}.main import main; "
    f"sys.path.remove({_RUNTIME_PARENT!r}); sys.path.append({SITE_IN_SANDBOX!r}); sys.exit(main(sys.argv))"
)
"""What each server runs, as ``python -P -s -S -B -c RUNTIME_LAUNCH MODE CTL_FD UID CPUS CGROUP_FD``:
import the package by path, then take the path away again, so candidates see the
``sys.path`` of a plain ``python -I`` whose site-packages hold numpy alone
(``verifiers.sandbox_root.THIRD_PARTY``). ``main`` reads ``argv[1:]`` (``argv[0]`` is ``-c``)."""
INTERPRETER_FLAGS = ("-P", "-s", "-S", "-B")
"""Isolated mode (``-I``) but for ``-E``: no script directory on the path, no user site,
no site, no bytecode written; the environment is read, and it holds
``SANDBOX_ENVIRONMENT`` alone."""
SANDBOX_ENVIRONMENT = (("PYTHONHASHSEED", "0"), ("OPENBLAS_NUM_THREADS", "1"))
"""The whole environment of both servers, and so of every candidate. One string hash
seed for every server: each had its own, so a set of strings iterated in another order
in each slot, six copies of ``list(set(words))`` were split 3/3 between two groups by
which slot ran them, and a model's test whose argument is a set was looked up by a
text the other process wrote otherwise (a thirty-third red team). One thread for
numpy's OpenBLAS: by default it starts a thread per core on import, each with its
buffers, on a large machine more than the candidate's address space holds. Nothing
else goes in: bwrap's ``--clearenv`` would still leak ours through ``/proc/1/environ``."""
START_SECONDS = 20.0
_UID_BASE = 200_000
SLOTS_PER_PROCESS = 64


def _python_paths() -> tuple[str, str]:
    """(base prefix, real base interpreter): a venv's python is a link into the base install."""
    prefix = os.path.realpath(sys.base_prefix)
    exe = os.path.realpath(sys.executable)
    if not exe.startswith(prefix + os.sep):
        exe = os.path.join(prefix, "bin", f"python{sys.version_info.major}.{sys.version_info.minor}")
    if not os.path.isfile(exe):
        raise SandboxError(f"cannot find the base Python interpreter under {prefix}")
    return prefix, exe


FALLBACK_BWRAP = "/usr/bin/bwrap"
"""Used when PATH has no bwrap: our own environment may be minimal."""


def bwrap_path() -> str:
    path = shutil.which("bwrap") or (FALLBACK_BWRAP if os.path.exists(FALLBACK_BWRAP) else None)
    if path is None:
        raise SandboxError(
            "bubblewrap (bwrap) is not installed: the unit-test verifier refuses to run candidates unsandboxed "
            "(install the 'bubblewrap' package)"
        )
    return path


def _file_binds(prefix: str, exe: str) -> list[str]:
    """What the sandbox sees of the file system besides /proc, /dev and /tmp: the
    Python install, numpy and our runtime modules, from their tmpfs copies where there are
    some (``verifiers.sandbox_root``: no read a candidate makes touches a disk), else
    the host's /usr and Python prefix, read-only."""
    root = python_root(prefix, exe)
    runtime = runtime_dir(_RUNTIME_FILES)
    base = Path(root) if root is not None else Path("/")
    cmd: list[str] = []
    if (base / "usr").is_dir():
        cmd += ["--ro-bind", str(base / "usr"), "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{name}"):
            cmd += ["--symlink", os.readlink(f"/{name}"), f"/{name}"]
        elif (base / name).is_dir():
            cmd += ["--ro-bind", str(base / name), f"/{name}"]
    # bwrap makes missing parents 0700: open them up so the unprivileged uid can reach the stdlib.
    parents = [p for p in Path(prefix).parents if str(p) != "/"]
    for parent in reversed(parents):
        if not str(parent).startswith("/usr"):
            cmd += ["--perms", "0755", "--dir", str(parent)]
    if not prefix.startswith("/usr/"):
        cmd += ["--ro-bind", str(base / prefix.lstrip("/")), prefix]
    if root is not None:
        if (base / SITE_IN_SANDBOX.lstrip("/")).is_dir():
            cmd += ["--ro-bind", str(base / SITE_IN_SANDBOX.lstrip("/")), SITE_IN_SANDBOX]
    else:
        cmd += ["--perms", "0755", "--dir", SITE_IN_SANDBOX]
        for package in third_party_dirs():
            cmd += ["--ro-bind", str(package), f"{SITE_IN_SANDBOX}/{package.name}"]
    if runtime is not None:
        cmd += ["--ro-bind", str(runtime), RUNTIME_IN_SANDBOX]
    else:
        for source in _RUNTIME_FILES:
            cmd += ["--ro-bind", str(source), f"{RUNTIME_IN_SANDBOX}/{source.name}"]
    return cmd


def _bwrap_command(mode: str, uid: int, ctl_fd: int, cpus: frozenset[int] = frozenset(),
                   cgroup_fd: int = -1) -> list[str]:
    prefix, exe = _python_paths()
    caps = ["CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL"] if mode == "candidate-server" else [
        "CAP_SETUID",
        "CAP_SETGID",
    ]
    cmd = [
        bwrap_path(),
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session",
        "--cap-drop", "ALL",
    ]
    for cap in caps:
        cmd += ["--cap-add", cap]
    cmd += _file_binds(prefix, exe)
    cmd += [
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        "--chdir", "/tmp",
        exe, *INTERPRETER_FLAGS, "-c", RUNTIME_LAUNCH, mode, str(ctl_fd), str(uid),
        ",".join(map(str, sorted(cpus))) or "-", str(cgroup_fd) if cgroup_fd >= 0 else "-",
    ]  # fmt: skip
    return cmd


_T = TypeVar("_T")


class _Launcher:
    """The one thread of this process that starts every server. bwrap's
    ``--die-with-parent`` ends it when the thread that started it ends (the kernel's
    parent-death signal follows the thread, not the process): a pool made in a thread
    that then ended (``asyncio.to_thread``), or a slot restarted in one, had dead
    servers (a red team). A daemon thread of our own, not an executor's: an executor's
    thread ends when the interpreter begins to exit, before the threads still running
    jobs are joined, and their servers died under them (the next red team)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], list[tuple[bool, Any]], threading.Event]] = \
            queue.SimpleQueue()
        threading.Thread(target=self._serve, name="bestofn-launcher", daemon=True).start()

    def _serve(self) -> None:
        while True:
            run, box, done = self._jobs.get()
            try:
                box.append((True, run()))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
                box.append((False, exc))
            done.set()

    def call(self, run: Callable[[], _T], undo: Callable[[_T], None]) -> _T:
        """``run()`` in the launcher thread; interrupted while it runs (Ctrl-C), what it
        made is undone once it is made (a red team: an interrupted pool left a server
        no one owned)."""
        box: list[tuple[bool, Any]] = []
        done = threading.Event()
        self._jobs.put((run, box, done))
        try:
            done.wait()
        except BaseException:
            done.wait()
            if box[0][0]:
                undo(box[0][1])
            raise
        ok, value = box[0]
        if not ok:
            raise value
        result: _T = value
        return result


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()


_launcher_of: tuple[owners.Process, _Launcher] | None = None
_launcher_lock = threading.Lock()


def _launcher() -> _Launcher:
    global _launcher_of
    with _launcher_lock:
        if _launcher_of is None or _launcher_of[0] is not owners.this_process():  # a forked child has no threads
            _launcher_of = (owners.this_process(), _Launcher())
        return _launcher_of[1]


class Server:
    """One bwrap'd runtime server and its control socket: launched when made, usable
    once ``wait_ready`` returns."""

    def __init__(self, mode: str, uid: int, cpus: frozenset[int] = frozenset(), cgroup_fd: int = -1) -> None:
        """``cgroup_fd``: the candidates' memory cgroup's ``cgroup.procs``
        (``verifiers.memory_cgroup``), given to the server and closed here."""
        self.mode = mode
        ours, theirs = socket.socketpair()
        self.sock = ours
        self._stderr = tempfile.TemporaryFile()
        try:
            command = _bwrap_command(mode, uid, theirs.fileno(), cpus, cgroup_fd)
            self.proc = _launcher().call(lambda: subprocess.Popen(
                command,
                env=dict(SANDBOX_ENVIRONMENT),  # bwrap --clearenv would still leak ours via /proc/1/environ
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                pass_fds=(theirs.fileno(),) if cgroup_fd < 0 else (theirs.fileno(), cgroup_fd),
                start_new_session=True,  # its own process group: killpg() takes bwrap and all below
            ), _kill_group)
        except OSError as exc:
            ours.close()
            self._stderr.close()
            raise SandboxError(f"cannot launch bwrap: {exc}") from None
        finally:
            theirs.close()
            if cgroup_fd >= 0:
                os.close(cgroup_fd)
        children_started()
        self._launched = time.monotonic()

    def restart_clock(self) -> None:
        """``wait_ready``'s deadline counts from now, not from the launch."""
        self._launched = time.monotonic()

    def wait_ready(self) -> None:
        """Until the server says it is ready (launching several first, then waiting for
        each, lets them start side by side). A server that does not is killed."""
        try:
            hello = recv_msg(self.sock, self._launched + START_SECONDS)
        except (EOFError, TimeoutError, CodecError, OSError) as exc:
            tail = self.stderr_tail()
            self.kill()
            raise SandboxError(
                f"the sandbox {self.mode} did not start ({type(exc).__name__}: {exc}); bwrap said: {tail}"
            ) from None
        if type(hello) is not dict or "ready" not in hello:
            why = hello.get("fatal") if type(hello) is dict else hello
            tail = self.stderr_tail()
            self.kill()
            raise SandboxError(f"the sandbox {self.mode} refused to start: {why}; bwrap said: {tail}")

    def stderr_tail(self) -> str:
        try:
            self._stderr.seek(0)
            text = self._stderr.read()[-2000:].decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return text or "(nothing)"

    def read(self, deadline: float) -> dict[str, Any]:
        """The server's next report; a dead, silent or garbled server is a SandboxError."""
        try:
            reply = recv_msg(self.sock, deadline)
        except TimeoutError:
            raise Overran(f"sandbox {self.mode} did not report by the job's deadline") from None
        except (EOFError, CodecError, OSError) as exc:
            raise SandboxError(f"sandbox {self.mode} failed: {type(exc).__name__}: {exc}") from None
        if type(reply) is not dict or "fatal" in reply:
            why = reply.get("fatal") if type(reply) is dict else reply
            raise SandboxError(f"sandbox {self.mode} failed: {why}")
        return reply

    def alive(self) -> bool:
        return self.proc.poll() is None

    def hang_up(self) -> None:
        """EOF on the control socket: the server ends, and bwrap with it (``shutdown``
        waits for that; hanging up on every server first lets them end side by side).
        Shut down, not only closed: a child forked from us holds a copy of the socket,
        and the server read no EOF while it lived (each close waited out its 2 s: a red
        team)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def shutdown(self) -> None:
        """Graceful: EOF on the control socket ends the server, and bwrap with it."""
        self.hang_up()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def abort(self) -> None:
        """Kill the server's whole process group, from any thread, and nothing else: the
        thread using the server then reads EOF, and ``kill`` (by that thread's owner)
        reaps and closes."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.sock.close()
        self._stderr.close()


class Overran(SandboxError):
    """A server missed the job's deadline (limit plus margin) without reporting."""


class _UidAllocator:
    """Unprivileged uids unique to a slot: RLIMIT_NPROC then counts one slot, and no slot can signal another.

    Each process takes one of 30,000 ranges (``_bucket``); a forked child takes its own
    and starts with none of its slots taken (it inherited its parent's: a red team).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: set[int] = set()
        self._bucket: int | None = None
        """This process's range, once probed (``forked`` forgets it in a child)."""

    def forked(self) -> None:
        self._lock = threading.Lock()
        self._used = set()
        self._bucket = None

    def take(self) -> int:
        with self._lock:
            for index in range(SLOTS_PER_PROCESS):
                if index not in self._used:
                    self._used.add(index)
                    return index
        raise SandboxError(f"more than {SLOTS_PER_PROCESS} sandbox slots in one process")

    def give(self, index: int) -> None:
        with self._lock:
            self._used.discard(index)

    def uids(self, index: int) -> tuple[int, int]:
        """Slot ``index``'s two uids, in this process's range; if another process runs
        as them (it took the range while we had no slot in it: a red team), in a new
        range."""
        with self._lock:
            if self._bucket is None:
                self._bucket = _free_bucket(_first_bucket())  # probed just now
            elif processes_of(set(_pair(self._bucket, index))):
                self._bucket = _free_bucket(self._bucket + 1)
            return _pair(self._bucket, index)


def _pair(bucket: int, index: int) -> tuple[int, int]:
    base = _UID_BASE + bucket * 2 * SLOTS_PER_PROCESS
    return base + 2 * index, base + 2 * index + 1


_BUCKETS = 30_000


def _first_bucket() -> int:
    """Where this process's search for a uid range starts: its pid, shifted by a hash of
    its PID namespace. By the pid alone, two bestofn processes each PID 1 of a
    container took the same uids: RLIMIT_NPROC counted both's candidates together, and
    one's threads failed the other's right answer (a red team)."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        namespace = 0
    return (os.getpid() + zlib.crc32(str(namespace).encode())) % _BUCKETS


def _free_bucket(start: int) -> int:
    """The first uid range from ``start`` whose uids no process we can see runs as (two
    pids 30,000 apart took the same range: a red team). Across namespaces, where we
    cannot see the other's processes, two still collide 1 time in 30,000."""
    for step in range(64):
        bucket = (start + step) % _BUCKETS
        first = _pair(bucket, 0)[0]
        if not processes_of(set(range(first, first + 2 * SLOTS_PER_PROCESS))):
            return bucket
    return start


UIDS = _UidAllocator()
os.register_at_fork(after_in_child=UIDS.forked)


def processes_of(uids: set[int]) -> list[int]:
    """Pids of live (non-zombie) processes whose real, effective or saved uid is in ``uids``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith(("Z", "X")):
            continue
        if any(int(u) in uids for u in fields.get("Uid", "").split()[:3]):
            found.append(int(entry))
    return found


def wait_until_gone(uids: set[int], seconds: float = 3.0) -> None:
    """SIGKILL of a namespace's init reaps its members asynchronously: close() returns once they are gone."""
    deadline = time.monotonic() + seconds
    while processes_of(uids) and time.monotonic() < deadline:
        time.sleep(0.01)
