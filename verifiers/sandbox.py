"""The sandbox pool: bwrap'd candidate and test servers per worker slot, and how a job becomes a Verdict.

Each slot holds two long-lived servers (see ``verifiers.runtime``), each under its
own bwrap with an empty environment and a read-only view of /usr and the base
Python prefix only: no project, no home, no task files. Per job the parent makes
a socketpair, hands one end to each server (SCM_RIGHTS) and reads both reports.
The candidate's process never holds the tests, the expected values or the verdict.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import queue
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from tasks.errors import ConfigError, SandboxError
from tasks.program import MAX_CANDIDATE_CHARS
from tasks.types import Task
from verifiers import memory_cgroup, owners
from verifiers.channel import CodecError, candidate_body, send_msg
from verifiers.sandbox_servers import (
    SLOTS_PER_PROCESS,
    UIDS,
    Overran,
    Server,
    wait_until_gone,
)
from verifiers.pinning import idle_cpus, pinning_plan
from verifiers.types import Candidate, Status, Verdict, truncate



@dataclass(frozen=True)
class SandboxLimits:
    """Per-candidate limits. ``cpu_seconds`` defaults to the wall limit."""

    wall_seconds: float = 3.0
    cpu_seconds: float | None = None
    memory_bytes: int = 1 << 30
    file_bytes: int = 16 << 20
    tmp_bytes: int = 64 << 20
    processes: int = 32
    open_files: int = 64
    margin_seconds: float = 3.0
    """Beyond wall + margin without both reports, the slot is declared broken."""
    rerun_timeouts: bool = True
    """A timeout is re-run once before it counts: a loaded machine can make a fair candidate late."""
    call_seconds: float | None = None
    """The longest one call of the candidate may take (a timeout past it), or only the wall limit."""
    set_up_seconds: float | None = None
    """With ``call_seconds``: the longest one call may take, when longer: the call that
    pays for one-off set-up, whichever it is (one per job)."""

    def __post_init__(self) -> None:
        if not 0 < self.wall_seconds <= 3600:
            raise ConfigError(f"wall_seconds must be in (0, 3600], got {self.wall_seconds}")
        if self.cpu_seconds is not None and not 0 < self.cpu_seconds <= 3600:
            raise ConfigError(f"cpu_seconds must be in (0, 3600], got {self.cpu_seconds}")
        if self.memory_bytes < 64 << 20:
            raise ConfigError("memory_bytes must be at least 64 MiB (the interpreter needs it)")
        for name in ("file_bytes", "tmp_bytes", "processes", "open_files"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be positive")
        if self.open_files < 8:
            raise ConfigError("open_files must be at least 8")
        if not 0 < self.margin_seconds <= 600:
            raise ConfigError("margin_seconds must be in (0, 600]")
        if self.call_seconds is not None and not 0 < self.call_seconds <= 3600:
            raise ConfigError(f"call_seconds must be in (0, 3600], got {self.call_seconds}")
        if self.set_up_seconds is not None and not 0 < self.set_up_seconds <= 3600:
            raise ConfigError(f"set_up_seconds must be in (0, 3600], got {self.set_up_seconds}")

    @property
    def cpu(self) -> float:
        return self.cpu_seconds if self.cpu_seconds is not None else self.wall_seconds


# --------------------------------------------------------------------------- slots


TASK_DOES_NOT_LOAD = "the task's prompt or tests do not load"
"""How the test side (``runtime.test_side``) begins its report of a task whose code fails
to compile or to load."""



@dataclass(frozen=True)
class JobReport:
    """What one run of one candidate came to, before the re-run policy."""

    status: Status
    detail: str
    seconds: float
    """Wall time seen by the parent, hand-off to both reports."""
    cpu_seconds: float = 0.0
    candidate_seconds: float = 0.0
    """Fork of the candidate's namespace to its reaping, inside the sandbox."""
    test_seconds: float = 0.0
    """Fork of the test child to its result, inside the sandbox."""
    marks: tuple[tuple[str, float], ...] = ()
    """Monotonic timestamps of the job's stages (p_* parent, c_* candidate server, t_* test side)."""
    returned: str = ""
    """The text the check returned, whatever the status: a generated check that collects
    data (``verifiers.agreement``) hands it back this way; a task's own check returns None."""
    stuck: bool = False
    """The tests ran past their deadline on the candidate's values: a timeout that a
    re-run would only repeat."""
    spent: bool = False
    """The candidate was killed at the job's wall-clock or CPU limit: the job's time ran
    out, which says nothing of the call it was in when each call has a limit of its own."""


class _NoForkWhileHandingOver:
    """Holds off ``os.fork`` while a job's channel is being handed to the servers. A
    child forked in between kept the candidate's end of the channel open: the test
    side never read its end when the candidate died, and a crash was a timeout at the
    job's deadline (a red team). Hand-offs run side by side; a fork waits for those of
    other threads to end, and none starts while it forks. A fork made by a thread in a
    hand-off of its own (a signal handler's) does not wait: it would wait for ever (the
    next red team), and its child holds that job's ends as before."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())  # re-entered by a signal handler's fork
        self._inside: dict[int, int] = {}

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._cond:
            self._inside[me] = self._inside.get(me, 0) + 1

    def __exit__(self, *exc: object) -> None:
        me = threading.get_ident()
        with self._cond:
            self._inside[me] -= 1
            if not self._inside[me]:
                del self._inside[me]
                self._cond.notify_all()

    def before_fork(self) -> None:
        me = threading.get_ident()
        self._cond.acquire()
        while any(thread != me for thread in self._inside):
            self._cond.wait()

    def after_fork_in_parent(self) -> None:
        self._cond.release()


_HANDING_OVER = _NoForkWhileHandingOver()


def _forked() -> None:
    global _HANDING_OVER
    _HANDING_OVER = _NoForkWhileHandingOver()


def _before_fork() -> None:
    _HANDING_OVER.before_fork()


def _after_fork_in_parent() -> None:
    _HANDING_OVER.after_fork_in_parent()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_forked)


class _Slot:
    """One candidate server plus one test server; used by one thread at a time.

    Its candidates share one memory cgroup (``verifiers.memory_cgroup``), one at a
    time, where this machine lets us make one."""

    def __init__(self, cpus: frozenset[int] = frozenset()) -> None:
        self.cpus = cpus
        self.index = UIDS.take()
        self.candidate_uid, self.test_uid = UIDS.uids(self.index)
        self._candidate: Server | None = None
        self._tests: Server | None = None
        self.cgroup = memory_cgroup.for_slot(self.index)
        self._oom_kills: int | None = None
        """The cgroup's OOM kills before this job; None where a job ended unread (read again)."""
        try:
            self.launch()
        except BaseException:
            UIDS.give(self.index)
            raise

    def launch(self) -> None:
        """Both servers started, not yet ready (``wait_ready``)."""
        self.stop()
        try:
            cgroup_fd = self.cgroup.open_procs() if self.cgroup is not None else -1
        except OSError as exc:
            raise SandboxError(f"cannot open the slot's memory cgroup: {exc}") from None
        self._candidate = Server("candidate-server", self.candidate_uid, self.cpus, cgroup_fd)
        try:
            self._tests = Server("test-server", self.test_uid, self.cpus)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self) -> None:
        try:
            for server in (self._candidate, self._tests):
                if server is not None:
                    server.wait_ready()
        except BaseException:
            self.stop()
            raise

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def stop(self) -> None:
        for server in (self._candidate, self._tests):
            if server is not None:
                server.kill()
        self._candidate = self._tests = None
        self._oom_kills = None

    def taken_over(self) -> None:
        """Launched ahead and taken over by a pool now: each server gets its start-up
        time from now (the pool may be made long after the launch: inputs read from a pipe)."""
        for server in (self._candidate, self._tests):
            if server is not None:
                server.restart_clock()

    def abort(self) -> None:
        """End the job in flight, from another thread: both servers killed, nothing else
        touched (the thread running the job reads EOF and returns). The test server
        first: killed second, it could report the candidate's end as a failure."""
        for server in (self._tests, self._candidate):
            if server is not None:
                server.abort()

    def hang_up(self) -> None:
        """Tell both servers to end, without waiting (``close`` waits)."""
        for server in (self._candidate, self._tests):
            if server is not None:
                server.hang_up()

    def close(self) -> None:
        """Both servers ended gracefully; ``_release`` then waits for their uids."""
        for server in (self._candidate, self._tests):
            if server is not None:
                server.shutdown()
        self._candidate = self._tests = None

    def run(self, task: Task, source: str, limits: SandboxLimits) -> JobReport:
        if self._candidate is None or self._tests is None:
            self.start()
        assert self._candidate is not None and self._tests is not None
        start = time.monotonic()
        deadline = start + limits.wall_seconds + limits.margin_seconds
        with _HANDING_OVER:  # no fork holds a copy of either end
            ours, theirs = socket.socketpair()
            body = -1
            try:
                if self.cgroup is not None:
                    self.cgroup.limit(limits.memory_bytes)
                    if self._oom_kills is None:
                        self._oom_kills = self.cgroup.oom_kills()
                body = candidate_body({"source": source})
                cand = {
                    "entry": task.entry_point,
                    "uid": self.candidate_uid,
                    "wall": limits.wall_seconds,
                    "cpu": limits.cpu,
                    "memory": limits.memory_bytes,
                    "file_bytes": limits.file_bytes,
                    "tmp_bytes": limits.tmp_bytes,
                    "processes": limits.processes,
                    "open_files": limits.open_files,
                }
                # Candidate first: it loads while the test side compiles. Both replies are read afterwards.
                send_msg(self._candidate.sock, cand, [ours.fileno(), body])
                test = {"prompt": task.prompt, "test": task.test, "entry": task.entry_point, "wall": limits.wall_seconds + 0.5}
                if limits.call_seconds is not None:
                    test["call"] = limits.call_seconds
                    if limits.set_up_seconds is not None:
                        test["set_up"] = limits.set_up_seconds
                send_msg(self._tests.sock, test, [theirs.fileno()])
            except (OSError, CodecError, ValueError) as exc:
                raise SandboxError(f"cannot hand the job to the sandbox: {type(exc).__name__}: {exc}") from None
            finally:
                ours.close()
                theirs.close()
                if body >= 0:
                    os.close(body)
        sent = time.monotonic()
        try:
            verdict = self._tests.read(deadline)
        except Overran:
            # The test side runs only the task's calibrated tests and decodes what the
            # candidate returns; past its own alarm it is stuck in C on the candidate's
            # values (a set of 150k ints with equal hashes): the candidate's timeout.
            self.stop()
            return JobReport(Status.TIMEOUT, f"the tests did not finish within {limits.wall_seconds:g} s "
                             "(stuck on the candidate's values)", time.monotonic() - start, stuck=True)
        got_tests = time.monotonic()
        outcome = self._candidate.read(deadline)
        if outcome.get("code") == -signal.SIGKILL and self.cgroup is not None:
            outcome = {**outcome, "oom": self._killed_for_memory()}
        done = time.monotonic()
        report = _report(verdict, outcome, done - start)
        marks = {"p_start": start, "p_sent": sent, "p_tests": got_tests, "p_done": done}
        for reply in (verdict, outcome):
            if type(reply.get("marks")) is dict:
                marks.update((str(k), float(v)) for k, v in reply["marks"].items() if type(v) is float)
        returned = verdict.get("returned")
        return dataclasses.replace(
            report,
            returned=returned if type(returned) is str else "",
            candidate_seconds=float(outcome.get("seconds", 0.0)),
            test_seconds=float(verdict.get("seconds", 0.0)),
            marks=tuple(sorted(marks.items(), key=lambda kv: kv[1])),
        )

    def _killed_for_memory(self) -> bool:
        """Whether the kernel killed this job's candidate for passing its cgroup's
        limit (the cgroup's count of OOM kills rose: only candidates are in it)."""
        assert self.cgroup is not None
        try:
            kills = self.cgroup.oom_kills()
        except (OSError, ValueError) as exc:
            raise SandboxError(f"cannot read the slot's memory cgroup: {exc}") from None
        rose = self._oom_kills is not None and kills > self._oom_kills
        self._oom_kills = kills
        return rose


def _report(verdict: dict[str, Any], outcome: dict[str, Any], seconds: float) -> JobReport:
    """Both servers' reports to one status. A pass needs the test side's positive evidence."""
    detail = str(verdict.get("detail", ""))
    cpu = float(outcome.get("cpu", 0.0))
    if verdict.get("harness"):
        return JobReport(Status.ERROR, truncate(f"harness: {verdict['harness']}"), seconds, cpu)
    if verdict.get("passed") is True:
        return JobReport(Status.PASSED, "", seconds, cpu)
    if verdict.get("decided") is True:
        # The tests failed on an answer the candidate gave. Its wall may have passed
        # while they decided; a timeout would be run again, a second try for a guesser
        # that answers just before its wall in a reply slow to decode (red team).
        return JobReport(Status.FAILED, truncate(detail or "failed"), seconds, cpu)
    end = outcome.get("end")
    if end == "wall":
        return JobReport(Status.TIMEOUT, "wall-clock limit exceeded", seconds, cpu, spent=True)
    if end == "cpu":
        return JobReport(Status.TIMEOUT, "CPU-time limit exceeded", seconds, cpu, spent=True)
    if verdict.get("memory") is True:
        return JobReport(Status.MEMORY, "memory limit exceeded", seconds, cpu)
    if outcome.get("oom") is True:
        return JobReport(Status.MEMORY, "memory limit exceeded (all it held, its /tmp files included)", seconds, cpu)
    if verdict.get("timeout") is True:
        return JobReport(Status.TIMEOUT, truncate(detail or "deadline passed"), seconds, cpu)
    code = outcome.get("code")
    if end == "exit" and code not in (0, None) and "ended before answering" in detail:
        detail = f"{detail} (exit status {code})"
    return JobReport(Status.FAILED, truncate(detail or "failed"), seconds, cpu)


# --------------------------------------------------------------------------- the pool


_R = TypeVar("_R")
_launched: tuple[int, bool, list[_Slot]] | None = None
"""Slots started by ``launch_ahead`` for the pool this process makes next: (workers, pin, slots)."""
_launched_lock = threading.Lock()
_launched_by: owners.Process | None = None
"""The pid that launched them: a child forked since neither takes nor ends its parent's slots."""


def launch_ahead(workers: int | None = None, pin: bool = False) -> None:
    """Start the servers of a ``SandboxPool(workers, pin=pin)`` now, before the pool is
    made: they start (about 0.3 s of their own, here) while this process goes on with
    its imports and inputs, and the pool takes them over. A pool made with other
    settings starts its own; slots no pool took are closed when the process exits.
    Best effort: where the sandbox cannot start, nothing is launched and the pool, when
    it is made, says why (so a bad input is still reported first)."""
    global _launched, _launched_by
    count = workers if workers is not None else (os.cpu_count() or 1)
    with _launched_lock:
        if (_launched is not None and _launched_by is owners.this_process()) or not 1 <= count <= SLOTS_PER_PROCESS:
            return
        slots: list[_Slot] = []
        try:
            for cpus in pinning_plan(count, idle_cpus()) if pin else [frozenset()] * count:
                slots.append(_Slot(cpus))
        except BaseException as exc:
            _end(slots)
            if isinstance(exc, Exception):
                return
            raise  # Ctrl-C, SIGTERM: after the servers started so far are gone
        _launched, _launched_by = (count, pin, slots), owners.this_process()
    atexit.register(close_launched)


def _take_launched(count: int, pin: bool) -> list[_Slot]:
    global _launched
    with _launched_lock:
        if _launched_by is not owners.this_process():
            _launched = None  # a forked child's copy: its parent's servers
        if _launched is None or _launched[:2] != (count, pin):
            return []
        slots = _launched[2]
        _launched = None
    for slot in slots:
        slot.taken_over()
    return slots


def close_launched() -> None:
    """Close the slots ``launch_ahead`` started that no pool took (a bad input, say)."""
    global _launched
    with _launched_lock:
        slots = _launched[2] if _launched is not None and _launched_by is owners.this_process() else []
        _launched = None
    _end(slots)


def _end(slots: list[_Slot]) -> None:
    """Slots that never ran a job, ended at once (killed: they hold nothing, and a
    server still starting would only read its hang-up once ready)."""
    for slot in slots:
        slot.stop()
    _release(slots)


def _release(slots: list[_Slot]) -> None:
    """Once every process of the slots' uids is gone, the uids are free for new slots."""
    if not slots:
        return  # nothing launched, or a pool closed twice: no look through /proc
    wait_until_gone({uid for slot in slots for uid in (slot.candidate_uid, slot.test_uid)})
    for slot in slots:
        if slot.cgroup is not None:
            slot.cgroup.remove()
        UIDS.give(slot.index)


class SandboxPool:
    """W worker slots; ``run`` spreads a task's candidates over them and returns verdicts in order.

    ``pin``: keep each slot's two servers (and the candidates they fork) on a
    core of its own, chosen among the cores idle when the pool starts (no pinning
    when there are fewer idle cores than slots). Every call across the channel is
    then a wakeup on the same core, and a candidate starts on a warm cache:
    about 25% more candidates/s here (benchmarks/verify_throughput.py). Off by
    default: an engine started later (vLLM's CPU backend binds its threads to
    cores) could starve a pinned slot; ``bestofn verify`` turns it on.
    """

    def __init__(self, workers: int | None = None, limits: SandboxLimits | None = None, verifier: str = "tests",
                 pin: bool = False) -> None:
        count = workers if workers is not None else (os.cpu_count() or 1)
        if not 1 <= count <= SLOTS_PER_PROCESS:
            raise ConfigError(f"workers must be in [1, {SLOTS_PER_PROCESS}], got {count}")
        self._owner = owners.this_process()
        self.limits = limits or SandboxLimits()
        self.verifier = verifier
        self._slots: list[_Slot] = _take_launched(count, pin)
        try:
            if not self._slots:
                for cpus in pinning_plan(count, idle_cpus()) if pin else [frozenset()] * count:
                    self._slots.append(_Slot(cpus))
            self.pinned = any(slot.cpus for slot in self._slots)
            for slot in self._slots:  # every server launched first: they start side by side
                slot.wait_ready()
        except BaseException:
            self.close()
            raise
        self._free: queue.Queue[_Slot] = queue.Queue()
        for slot in self._slots:
            self._free.put(slot)
        self._executor = ThreadPoolExecutor(max_workers=count, thread_name_prefix="sandbox")
        self._closed = False
        self._busy: set[_Slot] = set()
        """Slots running a job now: ``close`` ends their jobs instead of waiting them out."""
        self._busy_lock = threading.Lock()

    @property
    def workers(self) -> int:
        return len(self._slots)

    @property
    def candidate_uids(self) -> list[int]:
        return [slot.candidate_uid for slot in self._slots]

    @property
    def sandbox_uids(self) -> list[int]:
        return [uid for slot in self._slots for uid in (slot.candidate_uid, slot.test_uid)]

    def run(self, task: Task, candidates: Sequence[Candidate], limits: SandboxLimits | None = None) -> list[Verdict]:
        self._usable()
        return self._each(self._one, task, candidates, limits or self.limits)

    def run_source(self, task: Task, source: str, limits: SandboxLimits | None = None) -> JobReport:
        """One program, no timeout re-run (a broken slot is still restarted and retried): for calibration."""
        chosen = dataclasses.replace(limits or self.limits, rerun_timeouts=False)
        with self._slot() as slot:
            return self._attempts(slot, task, source, chosen)

    def run_reports(self, task: Task, candidates: Sequence[Candidate],
                    limits: SandboxLimits | None = None) -> list[JobReport]:
        """As ``run``, but the job reports themselves, each with the text its check
        returned (``JobReport.returned``): for generated checks that collect data."""
        self._usable()
        return self._each(self._report_one, task, candidates, limits or self.limits)

    def _each(self, job: Callable[[Task, Candidate, SandboxLimits], _R], task: Task, candidates: Sequence[Candidate],
              limits: SandboxLimits) -> list[_R]:
        """``job`` for each candidate, on the pool's threads. Once the interpreter has
        begun to exit, ``concurrent.futures`` takes no new work: then the rest run here,
        one after another (a thread still running jobs then raised its ``RuntimeError``:
        a red team)."""
        futures: list[Future[_R]] = []
        for at, cand in enumerate(candidates):
            try:
                futures.append(self._executor.submit(job, task, cand, limits))
            except RuntimeError:
                if self._closed:
                    raise SandboxError("the sandbox pool is closed") from None
                return [f.result() for f in futures] + [job(task, rest, limits) for rest in candidates[at:]]
        return [f.result() for f in futures]

    def _one(self, task: Task, cand: Candidate, limits: SandboxLimits) -> Verdict:
        report = self._report_one(task, cand, limits)
        return Verdict(task.task_id, cand.candidate_id, self.verifier, report.status, report.detail, report.seconds)

    def _report_one(self, task: Task, cand: Candidate, limits: SandboxLimits) -> JobReport:
        if len(cand.source) > MAX_CANDIDATE_CHARS:
            detail = f"the candidate is {len(cand.source)} characters, over the limit of {MAX_CANDIDATE_CHARS}"
            return JobReport(Status.FAILED, detail, 0.0)
        with self._slot() as slot:
            return self._attempts(slot, task, cand.source, limits)

    def _usable(self) -> None:
        if self._closed:
            raise SandboxError("the sandbox pool is closed")
        if self._owner is not owners.this_process():
            # A forked child shares the parent's control sockets: the two read each
            # other's reports (a wrong answer passed), and ``run`` waited for ever on
            # executor threads the child does not have (a red team).
            raise SandboxError("this sandbox pool belongs to the process that made it: a forked child makes its own")

    @contextlib.contextmanager
    def _slot(self) -> Iterator[_Slot]:
        self._usable()
        slot = self._free.get()
        with self._busy_lock:
            self._busy.add(slot)
        try:
            if self._closed:  # closed while this thread waited: ``close`` may not have seen it busy
                raise SandboxError("the sandbox pool is closed")
            yield slot
        finally:
            with self._busy_lock:
                self._busy.discard(slot)
            self._free.put(slot)

    def _attempts(self, slot: _Slot, task: Task, source: str, limits: SandboxLimits) -> JobReport:
        broken = 0
        timeouts = 0
        while True:
            try:
                report = slot.run(task, source, limits)
            except SandboxError as exc:
                if self._closed:  # ended by ``close``: no restart, nothing of the job stands
                    raise SandboxError("the sandbox pool was closed during the job") from None
                broken += 1
                try:
                    slot.start()  # kill the whole bwrap group and start fresh
                except SandboxError as restart:
                    if self._closed:  # ``close`` killed the servers as they started
                        raise SandboxError("the sandbox pool was closed during the job") from None
                    return JobReport(Status.ERROR, truncate(f"infrastructure: {exc}; restart failed: {restart}"), 0.0)
                if self._closed:  # closed while the slot restarted: ``close`` saw no server to kill
                    slot.stop()
                    raise SandboxError("the sandbox pool was closed during the job")
                if broken >= 2:
                    return JobReport(Status.ERROR, truncate(f"infrastructure: {exc}"), 0.0)
                continue
            if self._closed:  # a report reached while ``close`` killed the job says nothing
                raise SandboxError("the sandbox pool was closed during the job")
            # A re-run forgives a slow moment of the machine; values the tests got stuck on would do it again.
            if report.status is Status.TIMEOUT and limits.rerun_timeouts and timeouts == 0 and not report.stuck:
                timeouts += 1
                continue
            return report

    def close(self) -> None:
        """Ends the pool, at once: jobs not started are dropped and jobs in flight killed
        (whoever closes wants no more verdicts: a Ctrl-C waited out each job's wall).
        In a child forked from the process that made the pool, it only lets go of the
        parent's slots: ending them there ended the parent's pool (a red team)."""
        self._closed = True
        if getattr(self, "_owner", owners.this_process()) is not owners.this_process():
            self._slots = []
            return
        executor = getattr(self, "_executor", None)
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
            with self._busy_lock:
                busy = list(self._busy)
            for slot in busy:
                slot.abort()
            executor.shutdown(wait=True)
        for slot in self._slots:  # every server told first: they end side by side
            slot.hang_up()
        for slot in self._slots:
            slot.close()
        _release(self._slots)
        self._slots = []

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
