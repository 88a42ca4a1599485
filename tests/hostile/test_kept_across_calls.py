"""What a candidate keeps from one call to the next (verifiers/runtime/shared_state.py):
a seventh red team's cases, each run on one slot as plain Python decides them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Status

LIMITS = SandboxLimits(wall_seconds=3)


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1) as p:
        yield p


def _run(pool: SandboxPool, test: str, source: str) -> tuple[Status, str]:
    task = Task(task_id="kept/0", prompt="", entry_point="f", test=test)
    report = pool.run_source(task, source, LIMITS)
    return report.status, report.detail


MEMO_TEST = ("def check(c):\n    fs = frozenset({3, 1, 2})\n    r = c(fs)\n    assert r == [1, 2, 3]\n"
             "    r.append(99)\n    assert c(fs) == [1, 2, 3], 'stale cache'\n")


@pytest.mark.parametrize("memo", ["{}", "weakref.WeakKeyDictionary()"])
def test_a_memo_that_hands_out_its_own_list_fails_as_in_plain_python(pool: SandboxPool, memo: str) -> None:
    """The tests change the list it returned, then ask again: plain Python returns the
    changed list (a stale cache). Passed while results were copies; the weak memo passed
    while a frozenset only a weak reference held was let go after each call."""
    source = (f"import weakref\n_memo = {memo}\ndef f(fs):\n    if fs in _memo:\n        return _memo[fs]\n"
              "    r = sorted(fs)\n    _memo[fs] = r\n    return r\n")
    status, detail = _run(pool, MEMO_TEST, source)
    assert status is Status.FAILED and "stale cache" in detail, detail


def test_a_kept_argument_the_tests_make_unsendable_is_no_error(pool: SandboxPool) -> None:
    """The tests append an ``object()`` to a list the candidate keeps: their changes cannot
    cross, so the candidate's copy stays its own (it was the harness's ``error``)."""
    test = "def check(c):\n    a = [1, 2]\n    assert c(a) == 2\n    a.append(object())\n    assert c([7]) == 1\n"
    source = "_kept = []\ndef f(xs):\n    _kept.append(xs)\n    return len(xs)\n"
    assert _run(pool, test, source) == (Status.PASSED, "")


def test_the_tests_changing_their_own_object_handed_back_leaves_no_trace(pool: SandboxPool) -> None:
    """A candidate that returns the tests' ``keyword.kwlist`` hands the test server's own
    list back; the tests sort it. The next candidate of the server must find it as it was
    (3 of 6 right answers failed after it)."""
    test = ("import keyword\ndef check(c):\n    assert keyword.kwlist[0] == 'False', keyword.kwlist[:3]\n"
            "    r = c(keyword.kwlist)\n    assert len(r) == len(keyword.kwlist)\n    r.sort(key=len, reverse=True)\n")
    assert _run(pool, test, "def f(xs):\n    return xs\n") == (Status.PASSED, "")
    assert _run(pool, test, "def f(xs):\n    return list(xs)\n") == (Status.PASSED, "")
    assert _run(pool, test, "def f(xs):\n    return xs\n") == (Status.PASSED, "")


def test_a_result_deeper_than_it_was_sent_is_the_candidates_failure(pool: SandboxPool) -> None:
    """A result naming the tests' 13-deep argument inside 89 lists of its own crosses (the
    argument by reference); passed back, it is deeper than the channel carries: the
    candidate's doing, never the harness's ``error``."""
    test = "def check(c):\n    x = [1]\n    for _ in range(12):\n        x = [x]\n    r = c(x)\n    assert c(r) == 0\n"
    source = "def f(x):\n    for _ in range(89):\n        x = [x]\n    return x\n"
    status, detail = _run(pool, test, source)
    assert status is Status.FAILED and "too large or deep" in detail, detail


def test_keeping_every_argument_costs_nothing_once_the_tests_drop_them(pool: SandboxPool) -> None:
    """2000 calls, each argument kept by the candidate and dropped by the tests: nothing
    is carried (7.5 s, quadratic, while everything it kept was)."""
    test = "def check(c):\n    for n in range(2000):\n        assert c([n, n + 1, n + 2]) == 3 * n + 3\n"
    source = "_seen = []\ndef f(xs):\n    _seen.append(xs)\n    return sum(xs)\n"
    assert _run(pool, test, source) == (Status.PASSED, "")


def test_what_the_tests_change_and_then_drop_reaches_the_candidate(pool: SandboxPool) -> None:
    """The tests fill a list the candidate keeps, then rebind the name: the change was
    lost with the list let go, and a right answer failed (an eighth red team)."""
    test = ("def check(c):\n    buf = []\n    c(buf)\n    for i in range(3):\n        buf.append(i)\n        buf = []\n"
            "        c(buf)\n    assert c(None) == [[0], [1], [2], []]\n")
    source = "_seen = []\ndef f(b):\n    if b is None:\n        return [list(x) for x in _seen]\n    _seen.append(b)\n"
    assert _run(pool, test, source) == (Status.PASSED, "")


def test_a_memo_list_the_tests_change_without_keeping_it_is_stale(pool: SandboxPool) -> None:
    """``c(3).pop()`` changes the memo's own list in plain Python (a forged pass before)."""
    test = "def check(c):\n    assert c(3).pop() == 2\n    assert c(3) == [0, 1, 2], 'memo handed out its own list'\n"
    source = "import functools\n@functools.lru_cache(maxsize=None)\ndef f(n):\n    return list(range(n))\n"
    status, detail = _run(pool, test, source)
    assert status is Status.FAILED and "memo handed out its own list" in detail, detail


def test_a_kept_nan_stays_the_same_nan(pool: SandboxPool) -> None:
    """A NaN equals only itself: the candidate's ``x in seen`` needs the tests' one."""
    test = "def check(c):\n    nan = float('nan')\n    assert c(nan) == 1\n    assert c(nan) == 1, 'the same object'\n"
    source = "_seen = []\ndef f(x):\n    if x not in _seen:\n        _seen.append(x)\n    return len(_seen)\n"
    assert _run(pool, test, source) == (Status.PASSED, "")
