"""Checks that read candidate text, run in a worker process that may die.

The syntax stage compiles candidates and the mypy stage parses, screens and
type-checks them. Both execute nothing, but both can be killed or bloated by what
they read: CPython's compiler took the verifier to 2.6 GB on 8,000 chained
``or``, mypy segfaulted on 20,000 of them, a 2 MB list literal cost 1.3 GB. In the
verifier's own process that lost every verdict of the run. Here such a check runs
in a long-lived worker process (a fresh interpreter, ``verifiers.worker_process``,
so it shares no threads or state with ours) under an address-space limit and a
wall-clock limit per batch:

* a batch whose worker dies (signal, MemoryError it could not report, the limit),
  whose check raises (reported, never printed), or that overruns is split and retried candidate by candidate in fresh workers, so
  the culprit is named and every other candidate gets its real verdict;
* the culprit alone gets FAILED with the reason ("the mypy check crashed on this
  candidate: killed by SIGSEGV"): the candidate's own doing, never ``error``;
* a worker that cannot start at all is an infrastructure error (``error``).

The worker is warm between batches (mypy's in-memory state, imported modules),
and calls are serialised, as the in-process checks were.
"""

from __future__ import annotations

import multiprocessing.connection
import os
import resource
import shutil
import signal
import tempfile
import threading
import weakref
from collections.abc import Callable, Sequence
from types import TracebackType

from tasks.errors import InfrastructureError
from tasks.paths import cache_root
from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict, Verifier, truncate
from verifiers.worker_process import WorkerProcess, plain_task

WORKER_MEMORY_BYTES = 3 << 30
"""The worker's address-space limit: mypy with typeshed loaded maps about 1 GiB."""
SECONDS_PER_CANDIDATE = 20.0
"""Wall clock a batch may take, per candidate in it (mypy checks a candidate in well under a second)."""
START_SECONDS = 60.0
"""A fresh worker gets this long to start (imports, building the check), and its first
batch this much on top (mypy's first run loads typeshed)."""

VerifierFactory = Callable[[], Verifier]


def _serve(factory: VerifierFactory, memory_bytes: int, conn: multiprocessing.connection.Connection) -> None:
    """The worker: limits first, then one batch at a time until the pipe closes."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        verifier = factory()
    except BaseException as exc:  # noqa: BLE001 - reported, then the worker ends
        conn.send(f"{type(exc).__name__}: {exc}")
        return
    conn.send("ready")
    try:
        while True:
            try:
                task, candidates = conn.recv()
            except EOFError:
                return
            try:
                verdicts = verifier.verify(task, candidates)
            except Exception as exc:  # noqa: BLE001 - the parent blames the candidate that did it
                # Reported as a crash of this batch, and the worker ends (the check's state
                # may be half-built), instead of a traceback on the user's terminal: a
                # 600-term ``'a' + 'a' + ...`` overran the signature screen's recursion and
                # printed 118 KB of it.
                conn.send(_Crash(truncate(f"{type(exc).__name__}: {exc}", 200)))
                return
            conn.send(verdicts)
    finally:
        close = getattr(verifier, "close", None)
        if callable(close):
            close()


class _Crash(str):
    """What the worker sends instead of verdicts when the check raised on the batch."""


class _Died(Exception):
    """The worker ended or overran without answering; the message says how."""


class CheckWorkerError(InfrastructureError):
    """The worker could not start: no candidate was read, so no verdict can blame one."""


class GuardedVerifier:
    """``factory()``'s verifier, run in a worker process (see the module docstring).

    ``factory`` must be picklable (a module-level function or class): the worker
    builds its own verifier. ``name`` and ``version`` are the wrapped
    verifier's.
    """

    def __init__(self, factory: VerifierFactory, name: str, *, memory_bytes: int = WORKER_MEMORY_BYTES,
                 seconds_per_candidate: float = SECONDS_PER_CANDIDATE,
                 start_seconds: float = START_SECONDS) -> None:
        self.name = name
        self._factory = factory
        self._memory_bytes = memory_bytes
        self._seconds_per_candidate = seconds_per_candidate
        self._start_seconds = start_seconds
        self._lock = threading.Lock()
        self._process: WorkerProcess | None = None
        self._conn: multiprocessing.connection.Connection | None = None
        self._fresh = True
        self.restarts = 0
        # The worker runs in an empty directory of its own: mypy puts the working
        # directory first on its module search path, always, and a ``typing.py`` where
        # the user ran bestofn made it refuse every candidate (red team); any module
        # there would shadow what a candidate imports. It lives under bestofn's cache, not
        # /tmp, where a reaper or a user's ``rm -rf /tmp/bestofn-*`` took it from a running
        # worker (red team), and is remade if it is gone all the same.
        scratch = cache_root() / "scratch"
        scratch.mkdir(parents=True, exist_ok=True)
        self._cwd = os.path.abspath(tempfile.mkdtemp(prefix="check-", dir=scratch))
        self._remove_cwd = weakref.finalize(self, shutil.rmtree, self._cwd, True)

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        if not candidates:
            return []
        with self._lock:
            return self._verify_locked(task, list(candidates))

    def _verify_locked(self, task: Task, candidates: list[Candidate]) -> list[Verdict]:
        try:
            return self._call(task, candidates)
        except _Died as exc:
            if len(candidates) == 1:
                detail = f"the {self.name} check crashed on this candidate: {exc}"
                return [Verdict(c.task_id, c.candidate_id, self.name, Status.FAILED, truncate(detail))
                        for c in candidates]
            return [v for c in candidates for v in self._verify_locked(task, [c])]

    def _call(self, task: Task, candidates: list[Candidate]) -> list[Verdict]:
        conn = self._ready()
        # A fresh worker's first batch also pays for warming up (mypy's first run).
        limit = self._seconds_per_candidate * len(candidates) + (self._start_seconds if self._fresh else 0.0)
        try:
            # As the base classes: the worker does not import the caller's script, so a
            # subclass defined there could not be read back (red team).
            conn.send((plain_task(task), [Candidate(c.task_id, c.candidate_id, c.source) for c in candidates]))
            if not conn.poll(limit):
                self._stop()
                raise _Died(f"no verdict within {limit:.0f} s")
            verdicts: list[Verdict] | _Crash = conn.recv()
        except (EOFError, OSError) as exc:
            why = self._exit_reason()
            self._stop()
            raise _Died(why or f"the worker went away ({type(exc).__name__})") from None
        if isinstance(verdicts, _Crash):
            self._stop()
            raise _Died(f"it raised {verdicts}")
        self._fresh = False
        if len(verdicts) != len(candidates):
            self._stop()
            raise _Died("the worker answered for other candidates")
        return verdicts

    def _ready(self) -> multiprocessing.connection.Connection:
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self._stop()
        try:
            os.makedirs(self._cwd, exist_ok=True)
        except OSError as exc:
            raise CheckWorkerError(f"the {self.name} check's worker has no directory: {exc}") from None
        process = WorkerProcess(_serve, (self._factory, self._memory_bytes), with_connection=True, cwd=self._cwd)
        ours = process.conn
        self._process, self._conn, self._fresh = process, ours, True
        self.restarts += 1
        try:
            wait = self._start_seconds
            hello = ours.recv() if ours.poll(wait) else f"not ready within {wait:.0f} s"
        except (EOFError, OSError):
            hello = self._exit_reason() or "it ended before it was ready"
        if hello != "ready":
            self._stop()
            raise CheckWorkerError(f"the {self.name} check's worker did not start: {hello}")
        return ours

    def _exit_reason(self) -> str:
        process = self._process
        if process is None:
            return ""
        process.join(timeout=5)
        code = process.exitcode
        if code is None:
            return ""
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"the worker exited with status {code} (out of memory, or a crash it reported)"

    def _stop(self) -> None:
        if self._process is not None:
            self._process.close()
        elif self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def close(self) -> None:
        with self._lock:
            self._stop()
            self._remove_cwd()

    def __enter__(self) -> GuardedVerifier:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
