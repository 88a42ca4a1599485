"""Calls sent in one batch (the test side's ``map_calls``, what generated checks use):
the same answers, exceptions and faults as one call at a time, limits per call kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Candidate, Status

LIMITS = SandboxLimits(wall_seconds=5.0, rerun_timeouts=False, call_seconds=0.5)


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1, limits=LIMITS) as p:
        yield p


def _run(pool: SandboxPool, test: str, source: str, limits: SandboxLimits = LIMITS) -> tuple[Status, str]:
    task = Task("t/batch", "def f(x):\n    pass\n", "f", test)
    [verdict] = pool.run(task, [Candidate(task.task_id, "c", source)], limits)
    return verdict.status, verdict.detail


def test_answers_come_back_in_order_with_exact_types(pool: SandboxPool) -> None:
    test = ("def check(candidate):\n"
            "    calls = [(i,) for i in range(50)] + [([1, 2],), ((1, 2.5),), ({'a': {1}},)]\n"
            "    got = list(candidate.map_calls(calls))\n"
            "    assert got[:50] == [(True, [i, i]) for i in range(50)], got[:3]\n"
            "    assert got[50] == (True, [[1, 2], [1, 2]]) and type(got[51][1][0]) is tuple\n"
            "    assert got[52] == (True, [{'a': {1}}, {'a': {1}}])\n")
    assert _run(pool, test, "def f(x):\n    return [x, x]\n") == (Status.PASSED, "")


def test_builtin_exceptions_are_answers_and_the_batch_goes_on(pool: SandboxPool) -> None:
    test = ("def check(candidate):\n"
            "    got = list(candidate.map_calls([(1,), (0,), (2,)]))\n"
            "    assert got[0] == (True, 1.0) and got[2] == (True, 0.5), got\n"
            "    assert got[1][0] is False and type(got[1][1]) is ZeroDivisionError, got\n")
    assert _run(pool, test, "def f(x):\n    return 1 / x\n") == (Status.PASSED, "")


def test_a_fault_ends_the_batch_as_it_ends_a_call(pool: SandboxPool) -> None:
    test = ("def check(candidate):\n"
            "    try:\n"
            "        list(candidate.map_calls([(1,), (2,)]))\n"
            "    except BaseException:\n"
            "        pass  # swallowed: the fault still fails the candidate\n")
    status, detail = _run(pool, test, "def f(x):\n    return object()\n")  # nothing the channel carries
    assert status is Status.FAILED and "cannot send a value of type object" in detail, detail


def test_an_exception_of_the_candidates_own_class_is_that_calls_output(pool: SandboxPool) -> None:
    """Not a fault in a batch: the rest of the inputs still run (a red team's wrong
    ``next(...)`` grouped with a right one when StopIteration ended the batch)."""
    test = ("def check(candidate):\n"
            "    out = list(candidate.map_calls([(1,), (2,)]))\n"
            "    assert [type(e).__name__ for ok, e in out if not ok] == ['Mine']\n"
            "    assert out[1] == (True, 2)\n")
    status, detail = _run(pool, test, "class Mine(Exception):\n    pass\n"
                                      "def f(x):\n    if x == 1:\n        raise Mine('no')\n    return x\n")
    assert status is Status.PASSED, detail


def test_the_limit_holds_for_each_call_of_a_batch(pool: SandboxPool) -> None:
    test = "def check(candidate):\n    list(candidate.map_calls([(0,), (1,), (2,)]))\n"
    slow_third = "import time\ndef f(x):\n    if x == 2:\n        time.sleep(3)\n    return x\n"
    status, detail = _run(pool, test, slow_third)
    assert status is Status.TIMEOUT and "one call took longer" in detail
    # Each call alone within the limit, all three together past it: not a timeout.
    steady = "import time\ndef f(x):\n    time.sleep(0.3)\n    return x\n"
    assert _run(pool, test, steady) == (Status.PASSED, "")


def test_arguments_are_copies_and_stay_so(pool: SandboxPool) -> None:
    test = ("def check(candidate):\n"
            "    xs = [3, 1, 2]\n"
            "    assert list(candidate.map_calls([(xs,)])) == [(True, None)]\n"
            "    assert xs == [3, 1, 2]\n")
    assert _run(pool, test, "def f(xs):\n    xs.sort()\n") == (Status.PASSED, "")


def test_answers_written_before_the_call_are_refused(pool: SandboxPool) -> None:
    # Well-formed replies written while the module loads cannot carry the batch's nonce.
    forger = ("import json, os, struct\n"
              "for i in range(4):\n"
              "    body = json.dumps({'ok': 1} if i == 0 else {'n': 'x' * 32, 'r': 1}).encode()\n"
              "    os.write(3, struct.pack('>I', len(body)) + body)\n"
              "def f(x):\n    return 0\n")
    test = "def check(candidate):\n    assert [r for _, r in candidate.map_calls([(1,), (2,), (3,)])] == [1, 1, 1]\n"
    status, detail = _run(pool, test, forger)
    assert status is Status.FAILED and "forged" in detail


def test_a_call_before_a_batch_is_read_out_is_the_harness_error(pool: SandboxPool) -> None:
    test = ("def check(candidate):\n"
            "    for _ in candidate.map_calls([(1,), (2,)]):\n"
            "        break\n"
            "    candidate(3)\n")
    status, detail = _run(pool, test, "def f(x):\n    return x\n")
    assert status is Status.ERROR and "before reading every reply" in detail
