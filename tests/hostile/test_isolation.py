"""Nothing one candidate does is visible to the next one in the same sandbox slot.

Each pair is a *writer* that leaves a marker through a kernel object that outlives
a process (SysV shared memory, POSIX shared memory, a message queue, the kernel
keyring) and a *reader* that answers right only if it finds the marker. Both run
in one slot, writer first; both must fail. Memory outside RLIMIT_AS (memfd) is
refused too.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator

import pytest

from hostile_corpus import DOUBLE
from verifiers.runtime import confine
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Candidate, Status

LIMITS = SandboxLimits(wall_seconds=2.0, memory_bytes=512 << 20, rerun_timeouts=False, margin_seconds=3.0)

_LIBC = "import ctypes, ctypes.util\nlibc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)\n"
_ANSWER_IF = "def double(x):\n    return 2 * x if {found} else x\n"

# (name, writer's module code, reader's expression that is True only if the marker is there)
CHANNELS: list[tuple[str, str, str]] = [
    ("sysv_shm",
     _LIBC + "shm_id = libc.shmget(0xB0F, 4096, 0o1666)\n"
             "if shm_id >= 0:\n"
             "    libc.shmat.restype = ctypes.c_void_p\n"
             "    ctypes.memmove(libc.shmat(shm_id, None, 0), b'MARK', 4)\n",
     "libc.shmget(0xB0F, 0, 0o666) >= 0"),
    ("posix_shm",
     "try:\n    open('/dev/shm/bestofn_hostile_mark', 'w').write('MARK')\nexcept OSError:\n    pass\n",
     "__import__('os').path.exists('/dev/shm/bestofn_hostile_mark')"),
    ("sysv_msg",
     _LIBC + "q = libc.msgget(0xB0E, 0o1666)\n"
             "if q >= 0:\n"
             "    libc.msgsnd(q, ctypes.c_char_p(b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00MARK'), 4, 0)\n",
     "libc.msgget(0xB0E, 0o666) >= 0"),
    ("keyring",
     _LIBC + "libc.syscall(248, b'user', b'bestofn-mark', b'MARK', 4, -4)\n",  # add_key to the user keyring
     "libc.syscall(249, b'user', b'bestofn-mark', None, 0) > 0"),  # request_key
]


@pytest.fixture
def one_slot() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1, limits=LIMITS) as pool:
        yield pool


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probes use x86_64 syscall numbers")
@pytest.mark.parametrize("name,writer,found", CHANNELS, ids=[c[0] for c in CHANNELS])
def test_a_candidate_leaves_nothing_for_the_next(one_slot: SandboxPool, name: str, writer: str, found: str) -> None:
    prelude = _LIBC if "libc." in found else ""
    [wrote] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, f"{name}_writer", writer + "def double(x):\n    return x\n")])
    [read] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, f"{name}_reader", prelude + _ANSWER_IF.format(found=found))])
    assert wrote.status is Status.FAILED, wrote
    assert read.status is Status.FAILED, read  # passing would mean it found the writer's marker


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probes use x86_64 syscall numbers")
def test_memfd_and_keyring_are_refused_inside_the_sandbox(one_slot: SandboxPool) -> None:
    probe = (_LIBC + "import os\n"
             "def double(x):\n"
             "    fd = libc.syscall(319, b'bloat', 0)\n"  # memfd_create
             "    key = libc.syscall(250, 0, -4, 0)\n"  # keyctl(KEYCTL_GET_KEYRING_ID, user keyring)
             "    errs = (fd, key, ctypes.get_errno())\n"
             "    return 2 * x if errs[0] == -1 and errs[1] == -1 and errs[2] == 1 else x\n")
    [v] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "denied", probe)])
    assert v.status is Status.PASSED, v  # every probe got EPERM (the answer is right only then)


def _run_filter(program: bytes, nr: int, arch: int = 0xC000003E, arg0: int = 0, arg3: int = 0, arg1: int = 0) -> int:
    """A classic-BPF interpreter for the few instructions the filter uses."""
    code = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    pc, acc = 0, 0
    data = {0: nr, 4: arch, 16: arg0 & 0xFFFFFFFF, 24: arg1 & 0xFFFFFFFF, 40: arg3 & 0xFFFFFFFF}
    while True:
        op, jt, jf, k = code[pc]
        if op == 0x20:
            acc, pc = data[k], pc + 1
        elif op in (0x15, 0x35, 0x45):
            hit = acc == k if op == 0x15 else acc >= k if op == 0x35 else bool(acc & k)
            pc += 1 + (jt if hit else jf)
        else:
            assert op == 0x06
            return int(k)


def test_the_syscall_filter_refuses_exactly_what_it_lists() -> None:
    program = confine.seccomp_program("x86_64")
    allow, eperm, enosys = 0x7FFF0000, 0x00050001, 0x00050026
    _, denied, _ = confine.DENIED_SYSCALLS["x86_64"]
    for name, nr in denied.items():
        assert _run_filter(program, nr) == eperm, name
        assert _run_filter(program, nr | 0x40000000) == eperm, name  # the x32 alias too
    for nr in (0, 1, 2, 9, 59, 60, 231):  # read, write, open, mmap, execve, exit, exit_group
        assert _run_filter(program, nr) == allow, nr
    assert _run_filter(program, 57) == eperm  # fork: a second process would have a memory limit of its own
    assert _run_filter(program, 56, arg0=0x11) == eperm  # fork-like clone: SIGCHLD, no namespace, no thread
    assert _run_filter(program, 56, arg0=0x003D0F00) == allow  # a thread (CLONE_VM | ... | THREAD | SETTLS)
    assert _run_filter(program, 56, arg0=0x10000000 | 0x11) == eperm  # CLONE_NEWUSER
    assert _run_filter(program, 56, arg0=0x1000 | 0x11) == eperm  # CLONE_PIDFD: a pidfd numbers every process made
    assert _run_filter(program, 435) == enosys  # clone3: the C library falls back to clone
    assert _run_filter(program, 9, arg3=0x22) == allow  # mmap, private and anonymous: what malloc does
    assert _run_filter(program, 9, arg3=0x40022) == eperm  # MAP_HUGETLB: numbered from the inode counter
    assert _run_filter(program, 0, arch=0x40000003) == eperm  # i386 calls from a 64-bit process
    for cmd in (1, 2, 3, 4, 1030):  # F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC: what Python does
        assert _run_filter(program, 72, arg1=cmd) == allow, cmd
    for cmd in (5, 6, 7, 36, 37, 38, 1024, 1026):  # record locks, OFD locks, a lease, F_NOTIFY
        assert _run_filter(program, 72, arg1=cmd) == eperm, cmd


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probe uses x86_64 syscall numbers")
def test_no_user_namespace_to_mount_memory_outside_the_limits(one_slot: SandboxPool) -> None:
    """A user namespace would let a candidate mount a tmpfs of any size (red team)."""
    probe = (_LIBC + "import os\nWROTE = 0\nlibc.prctl(4, 1, 0, 0, 0)\n"
             "if libc.unshare(0x10000000 | 0x00020000) == 0:\n"
             "    WROTE = 1\n"
             "def double(x):\n    return 2 * x if WROTE else x\n")
    threads = ("import threading\nout = []\nt = threading.Thread(target=lambda: out.append(1))\nt.start()\n"
               "t.join()\ndef double(x):\n    return 2 * x if out == [1] else x\n")
    [userns, thread] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "userns", probe),
                                             Candidate(DOUBLE.task_id, "threads", threads)])
    assert userns.status is Status.FAILED, userns
    assert thread.status is Status.PASSED, thread  # threads (clone, or clone3's fallback) still work


def test_the_scratch_directory_carries_no_counter_to_the_next_candidate(one_slot: SandboxPool) -> None:
    """A tmpfs reused while empty kept its inode counter: any integer could cross (red team)."""
    writer = "import os\nfor i in range(300):\n    open('f', 'w').close()\n    os.remove('f')\ndef double(x):\n    return x\n"
    reader = "import os\nopen('g', 'w').close()\nINO = os.stat('g').st_ino\ndef double(x):\n    return 2 * x if INO > 100 else x\n"
    [wrote] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "inode_writer", writer)])
    [read] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "inode_reader", reader)])
    assert wrote.status is Status.FAILED and read.status is Status.FAILED, read


def test_a_candidate_sees_no_proc_and_is_pid_1_of_its_own_namespace(one_slot: SandboxPool) -> None:
    """The slot's /proc listed PIDs that grow with every candidate: one integer could
    cross (red team); so could procfs's inode numbers, drawn from the machine-wide
    counter. A candidate is PID 1 of its own namespace, and its /proc is empty."""
    forks = ("import os\nfor _ in range(40):\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n"
             "    os.waitpid(pid, 0)\ndef double(x):\n    return x\n")
    reader = ("import os\nSEEN = os.listdir('/proc')\n"
              "def double(x):\n    return 2 * x if SEEN == [] and os.getpid() == 1 else x\n")
    [forked] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "forks", forks)])
    [read] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "proc_reader", reader)])
    assert forked.status is Status.FAILED
    assert read.status is Status.PASSED, read  # it saw nothing, and itself as PID 1


_HEAP_MARK = "Lx7" * 12
"""What an earlier job carries (an earlier candidate's text, or the task's reference run
by calibration). The reader searches with a pattern that is not the mark itself, so
finding it in its own memory means it came from another job."""

_HEAP_READER = (
    "import ctypes, gc, os, re\n"
    "def _readable_runs():\n"
    "    # No /proc/self/maps here: probe pages around every live object (and the C heap)\n"
    "    # by writing them to a file; the kernel answers EFAULT for an unmapped page.\n"
    "    libc = ctypes.CDLL(None, use_errno=True)\n"
    "    libc.pwrite.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]\n"
    "    libc.malloc.restype = ctypes.c_void_p\n"
    "    fd = os.open('probe', os.O_WRONLY | os.O_CREAT, 0o600)\n"
    "    pages = set()\n"
    "    for obj in gc.get_objects():\n"
    "        mib = id(obj) >> 20\n"
    "        pages.update(range((mib - 1) << 8, (mib + 2) << 8))\n"
    "    heap = libc.malloc(64) >> 20\n"
    "    pages.update(range((heap - 16) << 8, (heap + 16) << 8))\n"
    "    runs, start, last = [], None, None\n"
    "    for page in sorted(pages):\n"
    "        if page > 0 and libc.pwrite(fd, page << 12, 4096, 0) == 4096:\n"
    "            if start is None or page != last + 1:\n"
    "                if start is not None:\n"
    "                    runs.append((start, last))\n"
    "                start = page\n"
    "            last = page\n"
    "    if start is not None:\n"
    "        runs.append((start, last))\n"
    "    return runs\n"
    "def _seen():\n"
    "    # Page by page, each probed again right before it is copied into one buffer made\n"
    "    # beforehand: a run copied whole took allocations of its own, which could unmap a\n"
    "    # page of the run meanwhile (the control crashed, one run in three).\n"
    "    pattern = re.compile(rb'(?:Lx7){12}')\n"
    "    libc = ctypes.CDLL(None, use_errno=True)\n"
    "    libc.pwrite.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]\n"
    "    fd = os.open('probe2', os.O_WRONLY | os.O_CREAT, 0o600)\n"
    "    window = bytearray(2 * 4096)\n"
    "    for lo, hi in _readable_runs():\n"
    "        window[:4096] = bytes(4096)\n"
    "        for page in range(lo, hi + 1):\n"
    "            if libc.pwrite(fd, page << 12, 4096, 0) != 4096:\n"
    "                window[:4096] = bytes(4096)\n"
    "                continue\n"
    "            ctypes.memmove((ctypes.c_char * 4096).from_buffer(window, 4096), page << 12, 4096)\n"
    "            if pattern.search(window):\n"
    "                return True\n"
    "            window[:4096] = window[4096:]\n"
    "    return False\n"
    "FOUND = _seen()\n"
    "def double(x):\n    return 2 * x if FOUND else x\n"
)


def test_a_candidate_finds_no_earlier_job_in_its_memory(one_slot: SandboxPool) -> None:
    """Candidates were forked from a server whose heap held earlier jobs' text; a
    candidate read its own memory, found the reference that calibration had run in the
    same slot and passed with it (red team). Job text now reaches only the candidate's
    own process, never the server it is forked from."""
    earlier = f"# {_HEAP_MARK}\ndef double(x):\n    return x\n"
    for i in range(3):
        [wrote] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, f"heap_writer{i}", earlier)])
        assert wrote.status is Status.FAILED, wrote
    control = _HEAP_READER.replace("FOUND = _seen()", f"_MINE = {_HEAP_MARK!r}.encode()\nFOUND = _seen()")
    [read, mine] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "heap_reader", _HEAP_READER),
                                         Candidate(DOUBLE.task_id, "heap_control", control)])
    assert mine.status is Status.PASSED, mine  # the scan works: it finds the mark in its own memory
    assert read.status is Status.FAILED, read  # passing would mean it found an earlier job's text


def test_a_candidate_finds_no_earlier_candidates_report_in_its_memory(one_slot: SandboxPool) -> None:
    """The server formatted each candidate's report (its exit code) in the heap the next
    candidate was forked from: a reader found the previous ``"code":N``, chosen with
    ``os._exit(N)``, 6 times in 22 (red team). Candidates now come from a zygote that
    never holds a report."""
    reader = _HEAP_READER.replace("(?:Lx7){12}", '"code":9[3]')
    for i in range(3):
        [wrote] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, f"exit_writer{i}", "import os\nos._exit(93)\n")])
        assert wrote.status is Status.FAILED and "93" in wrote.detail, wrote
    control = reader.replace("FOUND = _seen()", "_MINE = ('\"code\":9' + '3').encode()\nFOUND = _seen()")
    [read, mine] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "report_reader", reader),
                                         Candidate(DOUBLE.task_id, "report_control", control)])
    assert mine.status is Status.PASSED, mine  # the scan finds the pattern in its own memory
    assert read.status is Status.FAILED, read  # passing would mean it found an earlier report


def test_the_machines_counters_are_not_shown_to_candidates(one_slot: SandboxPool) -> None:
    """/proc/stat's ``processes`` counts every fork on the machine since boot (and
    /proc/vmstat, /proc/interrupts... count other machine-wide events): a candidate
    could move one and the next read it (red team). Inside the sandbox there is no procfs."""
    reader = ("import os\n"
              "def _seen():\n"
              "    out = []\n"
              "    for name in ('stat', 'vmstat', 'interrupts', 'softirqs', 'schedstat'):\n"
              "        try:\n"
              "            with open('/proc/' + name) as f:\n"
              "                out.append(f.read())\n"
              "        except OSError:\n"
              "            pass\n"
              "    return any(out)\n"
              "SEEN = _seen()\n"
              "def double(x):\n    return 2 * x if SEEN else x\n")
    [read] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "counter_reader", reader)])
    assert read.status is Status.FAILED, read  # passing would mean it read a machine-wide counter


_INODE_PROBE = (
    "import os, socket\n"
    "def _newest_inode():\n"
    "    # The machine-wide inode counter, through whatever this sandbox allows.\n"
    "    try:\n"
    "        r, w = os.pipe()\n"
    "        ino = os.fstat(r).st_ino\n"
    "        os.close(r)\n"
    "        os.close(w)\n"
    "        return ino\n"
    "    except OSError:\n"
    "        pass\n"
    "    try:\n"
    "        a, b = socket.socketpair()\n"
    "        return os.fstat(b.fileno()).st_ino\n"
    "    except OSError:\n"
    "        pass\n"
    "    try:\n"
    "        return os.stat('/proc/self/fd').st_ino\n"
    "    except OSError:\n"
    "        return os.fstat(3).st_ino\n"
    "os.sched_setaffinity(0, {0})  # the counter hands out numbers in batches per CPU\n"
)
def _inode_writer(target: int) -> str:
    return _INODE_PROBE + (
        "for _ in range(4096):\n"
        f"    if _newest_inode() % 512 == {target}:\n"
        "        break\n"
        "def double(x):\n    return x\n"
    )


def _inode_reader(target: int) -> str:
    return _INODE_PROBE + (
        "SEEN = _newest_inode() % 512\n"
        f"def double(x):\n    return 2 * x if {target} < SEEN <= {target + 40} else x\n"
    )


@pytest.mark.skipif(os.cpu_count() is None, reason="needs a CPU to pin to")
def test_no_machine_wide_counter_crosses_to_the_next_candidate(one_slot: SandboxPool) -> None:
    """Pipe and socket inode numbers come from one machine-wide counter: a writer set it
    to 100 mod 512 and the next candidate read it, 5 times in 5 (red team). The calls
    that take a number from it are refused and procfs is gone, so a reader is left
    with its channel's inode, which the writer cannot move: it lands in the window by
    chance (1 in 13) at most, and three in a row (1 in 2,000) is what the test refuses."""
    crossed = 0
    # A different target each time: the channel inode advances by the same step every
    # job, so a reader that landed in one fixed window by chance could stay in it.
    for i, target in enumerate((100, 300, 460)):
        [wrote] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, f"counter_writer{i}", _inode_writer(target))])
        [read] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, f"counter_reader{i}", _inode_reader(target))])
        assert wrote.status is Status.FAILED, wrote
        crossed += read.status is Status.PASSED
    assert crossed < 3, "a value crossed from one candidate to the next through an inode counter"


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probe uses x86_64 syscall numbers")
def test_every_call_that_reads_a_machine_wide_counter_is_refused(one_slot: SandboxPool) -> None:
    probe = (_LIBC + "import os, socket\n"
             "def _refused(call):\n"
             "    try:\n"
             "        call()\n"
             "    except PermissionError:\n"
             "        return True\n"
             "    except OSError:\n"
             "        return False\n"
             "    return False\n"
             "def _pidfd():\n"
             "    if libc.syscall(434, os.getpid(), 0) < 0 and ctypes.get_errno() == 1:\n"  # pidfd_open
             "        raise PermissionError\n"
             "def _cookie():\n"
             "    socket.socket(fileno=os.dup(3)).getsockopt(socket.SOL_SOCKET, 57)\n"  # SO_COOKIE
             "def _aio():\n"
             "    ctx = ctypes.c_ulong(0)\n"
             "    if libc.syscall(206, 1, ctypes.byref(ctx)) < 0 and ctypes.get_errno() == 1:\n"  # io_setup
             "        raise PermissionError\n"
             "def _sysinfo():\n"
             "    if libc.sysinfo(ctypes.create_string_buffer(256)) < 0 and ctypes.get_errno() == 1:\n"
             "        raise PermissionError\n"
             "def _hugetlb():\n"
             "    libc.mmap.restype = ctypes.c_void_p\n"
             "    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,\n"
             "                          ctypes.c_long]\n"
             "    if libc.mmap(None, 2 << 20, 3, 0x40022, -1, 0) in (None, 2**64 - 1) and ctypes.get_errno() == 1:\n"
             "        raise PermissionError\n"
             "def _page_cache():\n"
             "    fd = os.open(os.__file__, os.O_RDONLY)\n"
             "    try:\n"
             "        os.preadv(fd, [bytearray(64)], 0, os.RWF_NOWAIT)\n"
             "    finally:\n"
             "        os.close(fd)\n"
             "def _fadvise():\n"
             "    fd = os.open(os.__file__, os.O_RDONLY)\n"
             "    try:\n"
             "        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)\n"
             "    finally:\n"
             "        os.close(fd)\n"
             "CALLS = [os.pipe, socket.socketpair, lambda: socket.socket(socket.AF_UNIX), _pidfd, _cookie, _aio,\n"
             "         _sysinfo, _hugetlb, _page_cache, _fadvise]\n"
             "ALL = all(_refused(c) for c in CALLS)\n"
             "def double(x):\n    return 2 * x if ALL else x\n")
    [v] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "counters_refused", probe)])
    assert v.status is Status.PASSED, v  # every call got EPERM (the answer is right only then)


def _big_file() -> str:
    """A file the sandbox shows its candidates (the stdlib's largest module), large
    enough to leave one of its pages out of the cache."""
    import sysconfig

    return os.path.join(sysconfig.get_paths()["stdlib"], "pydoc_data", "topics.py")


def test_the_page_cache_carries_nothing_to_the_next_candidate(one_slot: SandboxPool) -> None:
    """A candidate read a page of a big file under /usr; the next asked the page cache
    whether that page was there (preadv2 with RWF_NOWAIT: no clock involved) and
    evicted it again (fadvise): 8 bits crossed 2 times in 2 (red team). The calls are
    refused; on the tmpfs copies the sandbox now shows, every page is there anyway."""
    where = f"F = {_big_file()!r}\nO = 256 << 10\n"
    writer = ("import os\n" + where + "try:\n"
              "    fd = os.open(F, os.O_RDONLY)\n"
              "    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)\n"
              "    os.pread(fd, 4096, O)\n"
              "except OSError:\n"
              "    pass\n"
              "def double(x):\n    return x\n")
    reader = ("import os\n" + where + "fd = os.open(F, os.O_RDONLY)\n"
              "try:\n"
              "    os.preadv(fd, [bytearray(4096)], O, os.RWF_NOWAIT)\n"
              "    CACHED = True\n"
              "except BlockingIOError:\n"
              "    CACHED = False\n"
              "def double(x):\n    return 2 * x if CACHED else x\n")
    [wrote] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "cache_writer", writer)])
    [read] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "cache_reader", reader)])
    assert wrote.status is Status.FAILED
    assert read.status is Status.FAILED, read  # passing would mean it saw the writer's page


def test_a_candidate_that_drips_its_answer_cannot_stretch_the_limit_per_call() -> None:
    """The limit per call waited for each recv, not for the answer: a candidate writing
    one byte every 0.7 s to its channel was never caught by it (red team)."""
    drip = ("import os, time\n"
            "def double(x):\n"
            "    for b in b'\\x00\\x00\\x00\\x10' + b' ' * 12:\n"
            "        os.write(3, bytes([b]))\n"
            "        time.sleep(0.3)\n"
            "    return 2 * x\n")
    limits = SandboxLimits(wall_seconds=8.0, rerun_timeouts=False, call_seconds=1.0, margin_seconds=3.0)
    with SandboxPool(workers=1, limits=limits) as pool:
        [v] = pool.run(DOUBLE, [Candidate(DOUBLE.task_id, "drip", drip)])
    assert v.status is Status.TIMEOUT and "one call took longer than 1 s" in v.detail, v
    assert v.seconds < 4.0, v.seconds


def _evicted_stdlib_file() -> str:
    """A big stdlib file no server imports, dropped from the host's page cache."""
    import sysconfig

    path = os.path.join(sysconfig.get_paths()["stdlib"], "pydoc_data", "topics.py")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return path


def _block_reader(path: str) -> str:
    """Passes exactly when reading ``path`` made the kernel read blocks for it: what
    tells a candidate whether the page cache held the file (red team)."""
    return ("import resource\n"
            "before = resource.getrusage(resource.RUSAGE_SELF)\n"
            f"with open({path!r}, 'rb') as f:\n"
            "    f.read()\n"
            "after = resource.getrusage(resource.RUSAGE_SELF)\n"
            "READ = after.ru_inblock > before.ru_inblock or after.ru_majflt > before.ru_majflt\n"
            "def double(x):\n    return 2 * x if READ else x\n")


def test_no_read_a_candidate_makes_reaches_a_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """getrusage's block reads told a candidate whether a file under /usr was cached,
    so one candidate could leave bits in the page cache for the next (red team). The
    sandbox now sees only tmpfs copies: a file just evicted from the host's page cache
    costs a candidate no block read. The control, on the host's own files as before,
    shows the probe sees block reads where there are some."""
    from verifiers import sandbox_servers

    with SandboxPool(workers=1) as pool:
        [v] = pool.run(DOUBLE, [Candidate(DOUBLE.task_id, "block_reader", _block_reader(_evicted_stdlib_file()))])
    assert v.status is Status.FAILED, v  # passing would mean its read reached the disk
    monkeypatch.setattr(sandbox_servers, "python_root", lambda prefix, exe: None)
    monkeypatch.setattr(sandbox_servers, "runtime_dir", lambda files: None)
    with SandboxPool(workers=1) as host_files:
        [control] = host_files.run(DOUBLE, [Candidate(DOUBLE.task_id, "control", _block_reader(_evicted_stdlib_file()))])
    assert control.status is Status.PASSED, control


def test_every_file_a_candidate_can_see_is_in_memory() -> None:
    """Every regular file visible in the sandbox lies on the tmpfs copy or on the
    candidate's own /tmp, /dev or /proc: none on a block device (device nodes such as
    /dev/null are not files a page cache holds)."""
    from verifiers import sandbox_root

    walker = ("import os, stat\n"
              "own = {os.stat(p).st_dev for p in ('/tmp', '/dev', '/proc')}\n"
              "DEVS = set()\n"
              "for top, dirs, files in os.walk('/'):\n"
              "    for name in files:\n"
              "        try:\n"
              "            st = os.stat(os.path.join(top, name))\n"
              "        except OSError:\n"
              "            continue\n"
              "        if stat.S_ISREG(st.st_mode) and st.st_dev not in own:\n"
              "            DEVS.add(st.st_dev)\n"
              f"def double(x):\n    return 2 * x if DEVS == {{{os.stat(sandbox_root.SHM).st_dev}}} else x\n")
    with SandboxPool(workers=1) as pool:
        [v] = pool.run(DOUBLE, [Candidate(DOUBLE.task_id, "walker", walker)])
    assert v.status is Status.PASSED, v


_DEV_NODES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")


def test_a_candidate_cannot_set_the_times_of_the_hosts_device_nodes(one_slot: SandboxPool) -> None:
    """bwrap binds the host's own device nodes (mode 0666) under /dev, and anyone who
    may write a file may set its times to now: a candidate touched two in an order the
    next read back from their ctimes, 10 bits in 10, across slots too (red team). The
    utime calls are refused and the mounts are read-only; the host's nodes keep their
    times, and writing to /dev/null still works."""
    before = {node: os.stat(node).st_ctime_ns for node in _DEV_NODES if os.path.exists(node)}
    toucher = ("import os\n"
               f"NODES = {tuple(before)!r}\n"
               "REFUSED = 0\n"
               "for node in NODES:\n"
               "    try:\n"
               "        os.utime(node)\n"
               "    except OSError:\n"
               "        REFUSED += 1\n"
               "with open('/dev/null', 'w') as sink:\n"
               "    sink.write('still a sink')\n"
               "def double(x):\n    return 2 * x if REFUSED == len(NODES) else x\n")
    [v] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "toucher", toucher)])
    assert v.status is Status.PASSED, v  # every utime refused, /dev/null writable
    assert {node: os.stat(node).st_ctime_ns for node in before} == before


def test_reading_the_sandbox_root_leaves_no_access_time_for_the_next_candidate() -> None:
    """bwrap's root and /dev were writable tmpfs mounts with relatime: the first candidate
    to list a directory or read a link there moved its atime past its mtime, a bit the
    next one read without a clock, 8 in 8 (red team). They are read-only now."""
    entries = ("/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/fd", "/bin", "/sbin", "/", "/dev")
    reader_of = ("import os\n"
                 f"for e in {entries!r}:\n"
                 "    if os.path.islink(e):\n"
                 "        os.readlink(e)\n"
                 "    elif os.path.isdir(e):\n"
                 "        os.listdir(e)\n"
                 "def double(x):\n    return x\n")
    seen = ("import os\n"
            f"SEEN = [e for e in {entries!r} if os.path.lexists(e)"
            " and os.stat(e, follow_symlinks=False).st_atime_ns > os.stat(e, follow_symlinks=False).st_mtime_ns]\n"
            "def double(x):\n    return 2 * x if SEEN else x\n")
    with SandboxPool(workers=1) as fresh:  # a fresh slot: nothing read there yet
        fresh.run(DOUBLE, [Candidate(DOUBLE.task_id, "atime_writer", reader_of)])
        [v] = fresh.run(DOUBLE, [Candidate(DOUBLE.task_id, "atime_reader", seen)])
    assert v.status is Status.FAILED, v  # passing means some entry's atime moved past its mtime


def test_a_candidate_is_one_process_so_its_memory_limit_is_its_own(one_slot: SandboxPool) -> None:
    """RLIMIT_AS bounds each process: a candidate that forked four children of 200 MiB
    held 843 MiB against a 256 MiB limit (red team). It cannot fork now (its threads
    share its address space, and the limit with it)."""
    forker = ("import os\n"
              "try:\n"
              "    if os.fork() == 0:\n"
              "        os._exit(0)\n"
              "    REFUSED = False\n"
              "except PermissionError:\n"
              "    REFUSED = True\n"
              "def double(x):\n    return 2 * x if REFUSED else x\n")
    [v] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "forker", forker)])
    assert v.status is Status.PASSED, v  # fork got EPERM


def test_a_candidate_that_asks_to_be_traced_is_its_own_failure(one_slot: SandboxPool) -> None:
    """PTRACE_TRACEME, then a signal to itself: the stop was reported to the zygote's wait
    as the candidate's end, and the server died on it, an infrastructure error that
    restarted the slot (red team). ptrace is refused; the next candidate runs as usual."""
    traced = ("import ctypes, os, signal\n"
              "libc = ctypes.CDLL(None, use_errno=True)\n"
              "TRACED = libc.ptrace(0, 0, None, None) == 0\n"
              "signal.signal(signal.SIGUSR1, lambda *a: None)\n"
              "os.kill(os.getpid(), signal.SIGUSR1)\n"
              "def double(x):\n    return x if TRACED else 2 * x\n")
    [v, after] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "traceme", traced),
                                       Candidate(DOUBLE.task_id, "after", "def double(x):\n    return 2 * x\n")])
    assert v.status is Status.PASSED, v  # ptrace got EPERM, and nothing stopped
    assert after.status is Status.PASSED, after


def test_no_pty_carries_a_timestamp_to_the_next_candidate(one_slot: SandboxPool) -> None:
    """Writing to a pty stamps /dev/pts/ptmx's times whatever the mount says: a bit for
    the next candidate (red team). /dev/pts is an empty read-only mount now."""
    opener = ("import os\n"
              "try:\n"
              "    os.close(os.open('/dev/ptmx', os.O_RDWR))\n"
              "    OPENED = True\n"
              "except OSError:\n"
              "    OPENED = False\n"
              "def double(x):\n    return x if OPENED or os.listdir('/dev/pts') else 2 * x\n")
    [v] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "pty_opener", opener)])
    assert v.status is Status.PASSED, v


_LOCKED_FILE = "import os\nF = os.__file__\n"


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probe uses x86_64 syscall numbers")
def test_no_lock_on_the_shared_python_carries_a_bit_between_concurrent_candidates() -> None:
    """Every candidate reads the same copy of Python: a lock one holds on one of its files,
    another running at the same time could test (flock, fcntl record locks; red team).
    The holder takes every kind of lock it can and keeps it; the prober, started while
    the holder runs, answers right only if it finds one of them taken."""
    holder = (_LOCKED_FILE + "import fcntl, time\n"
              "fd = os.open(F, os.O_RDONLY)\n"
              "for take in (lambda: fcntl.flock(fd, fcntl.LOCK_SH),\n"
              "             lambda: fcntl.lockf(fd, fcntl.LOCK_SH)):\n"
              "    try:\n        take()\n    except OSError:\n        pass\n"
              "time.sleep(3)\n"
              "def double(x):\n    return x\n")
    prober = (_LOCKED_FILE + "import fcntl, struct, time\n"
              "time.sleep(1)\n"
              "fd = os.open(F, os.O_RDWR if os.access(F, os.W_OK) else os.O_RDONLY)\n"
              "SEEN = False\n"
              "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    SEEN = True\n"
              "except OSError:\n    pass\n"
              "try:\n"
              "    got = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack('hhqqi', fcntl.F_WRLCK, 0, 0, 0, 0))\n"
              "    SEEN = SEEN or struct.unpack('hhqqi', got)[0] != fcntl.F_UNLCK\n"
              "except OSError:\n    pass\n"
              "def double(x):\n    return 2 * x if SEEN else x\n")
    limits = SandboxLimits(wall_seconds=6.0, memory_bytes=512 << 20, rerun_timeouts=False, margin_seconds=3.0)
    with SandboxPool(workers=2, limits=limits) as pool:
        got = {v.candidate_id: v for v in pool.run(DOUBLE, [Candidate(DOUBLE.task_id, "holder", holder),
                                                            Candidate(DOUBLE.task_id, "prober", prober)])}
    assert got["holder"].status is Status.FAILED, got["holder"]
    assert got["prober"].status is Status.FAILED, got["prober"]  # passing would mean it saw the holder's lock


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probe uses x86_64 syscall numbers")
def test_watches_on_the_shared_python_are_refused(one_slot: SandboxPool) -> None:
    """inotify on the shared copy of Python would report every other candidate's reads."""
    probe = (_LIBC + "def double(x):\n"
             "    fd = libc.syscall(294, 0)\n"  # inotify_init1
             "    fan = libc.syscall(300, 0, 0)\n"  # fanotify_init
             "    return 2 * x if fd == -1 and fan == -1 else x\n")
    [v] = one_slot.run(DOUBLE, [Candidate(DOUBLE.task_id, "watches", probe)])
    assert v.status is Status.PASSED, v  # both refused: the answer is right only then
