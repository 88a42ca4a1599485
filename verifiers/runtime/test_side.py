"""The test server: runs a task's prompt and tests against a proxy
(``candidate_proxy``) that ships every call to the candidate over the channel. It
never runs candidate code; it only decodes plain data from it.
"""

from __future__ import annotations

import builtins
import contextvars
import gc
import os
import random
import resource
import signal
import socket
import sys
import time
import types
import warnings
from typing import Any

from . import job_state, numpy_values, task_classes
from .candidate_proxy import CandidateProxy
from .codec import describe
from .confine import drop_to, larger_stack, load_libc, no_new_privs
from .control import serve_jobs
from .failure_text import failure_detail, last_call_note
from .framing import send_msg

_RECURSION_LIMIT = sys.getrecursionlimit()
RETURNED_LIMIT = 1024 * 1024
"""Longest text a check may hand back (``_run_check``'s ``returned``); a longer one is dropped."""
def _run_check(job: dict[str, Any], chan_fd: int) -> dict[str, Any]:
    global _harness_at_end
    entered = time.monotonic()
    sock = socket.socket(fileno=chan_fd)
    # The job's deadline is _run_test_job's alarm; a check may also limit each call (the property check).
    call: Any = job.get("call")
    set_up: Any = job.get("set_up")
    proxy = CandidateProxy(sock, float(call) if isinstance(call, (int, float)) else None,
                   float(set_up) if isinstance(set_up, (int, float)) else None)
    # A module, in sys.modules while the job runs: a dataclass defined by the tests looks
    # its module up there (red team: every candidate was an error without it).
    module = types.ModuleType("__test__")
    namespace: dict[str, Any] = module.__dict__
    namespace["__builtins__"] = builtins
    sys.modules["__test__"] = module
    try:
        return _run_loaded_check(job, sock, proxy, namespace, entered)
    finally:
        # Not where the candidate died under a call (killed at its wall): its own endless
        # loop, holding one thread's call while another's was refused, was the harness's
        # ``error`` (a fifty-fifth red team).
        _harness_at_end = "" if proxy.broken else proxy.harness
        try:
            try:
                # Not cut short by the job's alarm, which repeats past the deadline: a job
                # that met it left the interpreter half put back for the next one. An
                # alarm already pending is raised by this very call, once it has blocked
                # the next (a forty-eighth red team: then nothing was put back at all).
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            finally:
                try:
                    task_classes.clear()
                    sys.modules.pop("__test__", None)
                    job_state.restore_interpreter()
                finally:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
        finally:
            # The tests' names let go now, whatever still holds their namespace: typing's
            # caches keep a prompt's class named in an annotation (``Optional[Node]``),
            # and through its methods the namespace, with the tests' module-level data
            # and the proxy, for 128 tasks (a forty-fifth red team: the fourth job of
            # tests that keep 1.2 GB failed to load). The interpreter's hooks first: a
            # tracer of the tests' left set, its names gone, took the server down (a
            # forty-sixth red team).
            namespace.clear()


def _run_loaded_check(job: dict[str, Any], sock: socket.socket, proxy: CandidateProxy, namespace: dict[str, Any],
                      entered: float) -> dict[str, Any]:
    test_source = str(job["test"])
    try:
        prompt_code, test_code = job["compiled"]
        exec(prompt_code, namespace)  # noqa: S102 - trusted task code, compiled by the server
        proxy.prompt_loaded()
        # The prompt's own classes, as it made them: what the tests define or bind later
        # is theirs alone, and the candidate's program has the prompt's (``task_classes``).
        task_classes.accept(namespace, "__test__")
        exec(test_code, namespace)  # noqa: S102
        check = namespace["check"]
    except _TestDeadline:
        sock.close()
        raise
    except BaseException as exc:  # noqa: BLE001
        sock.close()
        name, text = describe(exc)
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
            try:
                returned = check(proxy)
            finally:
                job_state.restore_builtins()  # for our own code from here: the tests' ``len`` took the server down
            passed = True
        except _TestDeadline:
            raise
        except BaseException as exc:  # noqa: BLE001 - any way out of check() other than a return fails
            detail = failure_detail(exc, test_source)
            if isinstance(exc, AssertionError):
                detail += last_call_note(proxy.last_call, str(job["entry"]))
    finally:
        # What the calls came to when the tests ended, before the hang-up: a thread of the
        # tests' still calling meets it after, and its broken call is no fault of the
        # candidate's (a fifty-third red team: a right answer failed as "ended before
        # answering", once in two runs).
        fault, harness, memory, timeout, broken = proxy.fault, proxy.harness, proxy.memory, proxy.timeout, proxy.broken
        try:
            # Wakes a thread of the tests' blocked reading it: the candidate's side saw no
            # hang-up while one was, and the job held its slot to the wall (the same red team).
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()  # the candidate server sees the hang-up and ends the candidate
        proxy.write_back.undo()
    if fault:
        passed = False  # positive evidence only: a swallowed fault still fails
        detail = fault
    return {
        "passed": passed and not harness,
        "detail": detail,
        "memory": memory,
        "timeout": timeout,
        "harness": harness,
        # The tests failed on what the candidate answered (not on its death, a limit or the
        # deadline): that decides the verdict even if the candidate's wall passed meanwhile.
        "decided": not passed and not broken and not timeout and not memory and not harness,
        "calls": proxy.calls,
        "marks": {**marks, "t_checked": time.monotonic()},
        # What a generated check that collects data returns (the agreement check: the
        # candidate's outputs, encoded by that check); a task's own check returns None.
        "returned": returned if type(returned) is str and len(returned) <= RETURNED_LIMIT else "",
    }


class _TestDeadline(BaseException):
    """Raised into the tests by the job's alarm; BaseException so ``except Exception`` in a test cannot stop it."""


_deadline_fired = False
_harness_at_end = ""
"""The harness's own fault met in the job's last check, read where its deadline ends it:
a call refused while another thread's was in flight raises only in that thread, and
tests waiting on its result then ran to the deadline, the candidate's ``timeout`` (a
fifty-fourth red team)."""


def _on_deadline(_signum: int, _frame: Any) -> None:
    global _deadline_fired
    _deadline_fired = True
    raise _TestDeadline()


_COMPILED: dict[tuple[str, str], tuple[Any, Any]] = {}
_COMPILED_LIMIT = 256


AWAITED_BODY = "    pass\n"
"""What a prompt that ends in a bare header (``def f(x):``, the body left to the
candidate) is completed with to run alone: its other definitions are the tests'. The
same as ``tasks.pyast.AWAITED_BODY``, which admits such prompts (this package stands
alone in the sandbox)."""


def _compiled_prompt(prompt: str) -> Any:
    # dont_inherit: this module's ``from __future__ import annotations`` turned a task's
    # annotations into strings (red team: a test of ``__annotations__`` failed every candidate).
    try:
        return compile(prompt, "<prompt>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        alone = exc
    try:
        return compile(prompt + AWAITED_BODY, "<prompt>", "exec", dont_inherit=True)
    except SyntaxError:
        raise alone from None


def _compiled_task(prompt: str, test: str) -> tuple[Any, Any]:
    """Compile a task's prompt and tests once per server, not once per candidate:
    every candidate of a task runs against the same code objects."""
    key = (prompt, test)
    code = _COMPILED.get(key)
    if code is None:
        if len(_COMPILED) >= _COMPILED_LIMIT:
            _COMPILED.clear()
        code = (_compiled_prompt(prompt), compile(test, "<test>", "exec", dont_inherit=True))
        _COMPILED[key] = code
    return code


def _run_test_job(job: dict[str, Any], chan_fd: int) -> dict[str, Any]:
    start = time.monotonic()
    # Put back when the last job ended (``_run_check``), and again here, where no alarm
    # runs: the next task's compile must not meet what one task's tests left.
    job_state.restore_interpreter()
    try:
        job["compiled"] = _compiled_task(str(job["prompt"]), str(job["test"]))
    except BaseException as exc:  # noqa: BLE001 - a task that does not compile is the task's fault
        os.close(chan_fd)
        name, text = describe(exc)
        return {"harness": f"the task's prompt or tests do not load: {name}: {text}",
                "seconds": time.monotonic() - start}
    # The tests run here, in the server: it never runs candidate code (that lives in
    # the other sandbox, behind the channel), so no fork is needed to protect the
    # verdict, and a fork + exit per job was a third of its cost. Trusted test code
    # can still loop on what the candidate returns: a repeating alarm ends the job.
    random.seed(0)  # HumanEval tests draw random inputs: the same ones for every candidate
    # The job's alarm, however a job before ended (a deadline met while an import held it
    # back: a thirty-ninth red team), and the warnings filters as the server began (a
    # task's ``simplefilter('error')`` made numpy's divide warning the next task's failure).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
    filters: Any = warnings.filters
    filters[:] = _WARNING_FILTERS
    warnings._filters_mutated()  # type: ignore[attr-defined]  # what catch_warnings calls on leaving
    numpy_values.prepare(str(job["prompt"]), str(job["test"]))
    numpy_values.reset()
    # Every job from the same recursion limit: a test may set its own, and the channel's
    # room for its frames may outlast a job that ended at the limit (``functions.ours``).
    sys.setrecursionlimit(_RECURSION_LIMIT)
    global _deadline_fired, _harness_at_end
    _deadline_fired = False
    _harness_at_end = ""
    previous = signal.signal(signal.SIGALRM, _on_deadline)
    result: dict[str, Any] | None = None
    try:
        signal.setitimer(signal.ITIMER_REAL, float(job["wall"]) + 1.0, 0.05)
        try:
            # In a context of its own, where ``decimal`` has no context yet: the tests'
            # first use copies ``DefaultContext`` as the prompt left it, as in a fresh
            # interpreter and in the candidate's process (a prompt's
            # ``DefaultContext.prec = 50`` was not the tests' precision: a fifty-first red team).
            result = contextvars.Context().run(_run_check, job, chan_fd)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _TestDeadline:
        result = None
    finally:
        signal.signal(signal.SIGALRM, previous)
    job_state.collect_garbage()
    if (_deadline_fired or result is None) and _harness_at_end:
        result = {"harness": _harness_at_end}
    elif _deadline_fired or result is None:
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


_WARNING_FILTERS = list(warnings.filters)
TEST_SERVER_MEMORY = 4 << 30
"""The test server's address space: the tests' work on what a candidate answers can be
far larger than the answer (a wrong answer's 2 MB array of shape (2,000,000, 1), which
the tests' ``r == np.arange(500)`` broadcast to 1 GB, in C, where no alarm reaches: a
forty-first red team), and past this it is the tests' ``MemoryError``, the candidate's
``failed``, not the machine's memory."""


_M_MMAP_THRESHOLD = -3
"""``mallopt``'s parameter: allocations from this size up are mapped each on its own."""
MMAP_FROM = 128 * 1024


def test_server(ctl: socket.socket, uid: int) -> None:
    try:
        drop_to(uid)
        libc = load_libc()
        no_new_privs(libc)
        resource.setrlimit(resource.RLIMIT_AS, (TEST_SERVER_MEMORY, TEST_SERVER_MEMORY))
        larger_stack()
        # Large blocks mapped each on its own, and given back when freed, always: glibc
        # raises the size it maps from to the largest block freed, so a candidate's 4 MB
        # arrays the tests kept came from the heap, and an import after them pinned the
        # heap's top: 1.2 GB freed but still counted against the limit, and the next
        # tasks' tests failed to load (a forty-seventh red team).
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_FROM)
    except (OSError, ValueError) as exc:
        send_msg(ctl, {"fatal": f"test server cannot drop privileges or limit its memory: {exc}"})
        return
    gc.freeze()  # the server's own objects: the collection after each job looks at the job's alone
    serve_jobs(ctl, "test", lambda job, fds: _run_test_job(job, fds[0]))
