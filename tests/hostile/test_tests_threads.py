"""Tests that call the candidate from several threads (``verifiers/runtime/floor``).

Every call crosses one channel, nested last in, first out. Two calls sent by two of
the tests' threads at once read each other's replies: a right answer was the
harness's ``error`` or its own "reply to no call (a forged answer)", calls back and
forth in two threads killed the test server, and taking turns instead passed a wrong
answer unsafe across threads (a fifty-third red team). Now a call made while another
thread's is in flight is the harness's ``error``, never a pass and never the
candidate's failure (nor a timeout), and calls one after another from several threads
are judged as plain Python judges them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Candidate, Status

from plain_python import assert_agrees_with_plain_python, plain_python_verdict

LIMITS = SandboxLimits(wall_seconds=10)
PROMPT = "import threading, time\n\ndef f(x):\n"
CALLS_BACK = "    return x(5) if callable(x) else x * 3\n"
POOL = "from concurrent.futures import ThreadPoolExecutor\nimport threading, time\n\ndef check(candidate):\n"
IN_TURN = [
    # (what, body, test, plain Python's verdict)
    ("threads that call one after another", "    return x + 1\n",
     POOL + "    out = []\n    for i in range(5):\n        t = threading.Thread(target=lambda: out.append(candidate(i)))\n"
            "        t.start()\n        t.join()\n    assert out == [1, 2, 3, 4, 5]\n", Status.PASSED),
    ("a wrong answer called from threads one after another fails", "    return x + 2\n",
     POOL + "    out = []\n    for i in range(5):\n        t = threading.Thread(target=lambda: out.append(candidate(i)))\n"
            "        t.start()\n        t.join()\n    assert out == [1, 2, 3, 4, 5]\n", Status.FAILED),
    ("a thread calls the function the candidate returned", "    return lambda y: x + y\n",
     POOL + "    g = candidate(10)\n    with ThreadPoolExecutor(1) as ex:\n"
            "        assert list(ex.map(g, range(20))) == [10 + i for i in range(20)]\n", Status.PASSED),
    ("a thread left calling after the tests end leaves the verdict be", "    time.sleep(0.01)\n    return x * 2\n",
     POOL + "    def loop():\n        i, end = 0, time.monotonic() + 0.5\n        while time.monotonic() < end:\n"
            "            try:\n                candidate(i)\n            except BaseException:\n                pass\n"
            "            i += 1\n"
            "    threading.Thread(target=loop, daemon=True).start()\n    time.sleep(0.2)\n", Status.PASSED),
]
AT_ONCE = [
    # (what, prompt, body, test, plain Python's verdict): calls of several threads at once
    ("a thread pool maps a right answer", PROMPT, "    time.sleep(0.002)\n    return x * 2\n",
     POOL + "    with ThreadPoolExecutor(4) as ex:\n"
            "        assert list(ex.map(candidate, range(60))) == [2 * i for i in range(60)]\n", Status.PASSED),
    ("a thread pool maps a wrong answer unsafe across threads", "import threading, time\n_n = 0\n\ndef f(x):\n",
     "    global _n\n    v = _n\n    time.sleep(0.001)\n    _n = v + 1\n    return _n\n",
     POOL + "    with ThreadPoolExecutor(4) as ex:\n        list(ex.map(candidate, range(40)))\n"
            "    assert candidate(0) == 41\n", Status.FAILED),
    ("two threads recurse through the candidate's calls back", PROMPT, "    g, n = x\n    return g(n)\n",
     POOL + "    def rec(n):\n        return 0 if n == 0 else 1 + candidate((rec, n - 1))\n"
            "    with ThreadPoolExecutor(2) as ex:\n        assert list(ex.map(rec, [200, 200])) == [200, 200]\n",
     Status.PASSED),
    ("a thread pool maps an answer that calls the tests' key", "def f(xs, key):\n", "    return sorted(xs, key=key)\n",
     POOL + "    data = [[(j * 7919 + k) % 13 for j in range(20)] for k in range(16)]\n"
            "    with ThreadPoolExecutor(4) as ex:\n"
            "        got = list(ex.map(lambda xs: candidate(xs, lambda v: -v), data))\n"
            "    assert got == [sorted(xs, reverse=True) for xs in data]\n", Status.PASSED),
    ("the tests' function the candidate called waits on a thread that calls it", PROMPT, CALLS_BACK,
     POOL + "    def each(v):\n        got = []\n        t = threading.Thread(target=lambda: got.append(candidate(v)))\n"
            "        t.start()\n        t.join()\n        return got[0]\n    assert candidate(each) == 15\n", Status.PASSED),
    ("a thread calls while the candidate waits on the tests' function", PROMPT, CALLS_BACK,
     POOL + "    got = []\n    def quick(v):\n        time.sleep(0.1)\n        return v + 100\n"
            "    def slow(v):\n        time.sleep(0.4)\n        return v + 200\n"
            "    t = threading.Thread(target=lambda: got.append(candidate(slow)))\n"
            "    def first(v):\n        t.start()\n        return quick(v)\n"
            "    assert candidate(first) == 105\n    t.join()\n    assert got == [205]\n", Status.PASSED),
    ("a thread calls while an answer holding its own lock waits on the tests' function",
     "import threading, time\n_lock = threading.Lock()\n\ndef f(x):\n",
     "    with _lock:\n        return x(5) if callable(x) else x * 3\n",
     POOL + "    got = []\n    def slow(v):\n        time.sleep(0.2)\n        return v\n"
            "    def later():\n        time.sleep(0.05)\n        got.append(candidate(7))\n"
            "    t = threading.Thread(target=later)\n    t.start()\n    assert candidate(slow) == 5\n    t.join()\n"
            "    assert got == [21]\n", Status.PASSED),
]


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1, limits=LIMITS) as p:
        yield p


@pytest.mark.parametrize("what, body, test, plain", IN_TURN, ids=[case[0] for case in IN_TURN])
def test_calls_from_threads_in_turn_are_judged_as_plain_python_judges_them(pool: SandboxPool, what: str, body: str,
                                                                          test: str, plain: Status) -> None:
    assert_agrees_with_plain_python(pool, "t/threads", what, PROMPT, body, test, plain, LIMITS)


@pytest.mark.parametrize("what, prompt, body, test, plain", AT_ONCE, ids=[case[0] for case in AT_ONCE])
def test_calls_from_threads_at_once_are_the_harnesss_error(pool: SandboxPool, what: str, prompt: str, body: str,
                                                           test: str, plain: Status) -> None:
    """Never a pass (the wrong answer's race would be), never the candidate's failure
    (the right answers'), and the test server lives on for the next task."""
    _assert_refused(pool, what, prompt, body, test, plain, LIMITS)
    after = Task("t/after", PROMPT, "f", "def check(candidate):\n    assert candidate(3) == 9\n")
    [next_report] = pool.run(after, [Candidate(after.task_id, "c", PROMPT + CALLS_BACK)])
    assert next_report.status is Status.PASSED, next_report.detail


def test_tests_waiting_on_a_refused_threads_result_are_the_harnesss_error(pool: SandboxPool) -> None:
    """The refusal raises in the refused thread only; tests that wait on its result
    without a timeout run to the job's deadline, which was the candidate's ``timeout``."""
    test = (POOL + "    import queue\n    q = queue.Queue()\n"
            "    ts = [threading.Thread(target=lambda i=i: q.put(candidate(i))) for i in range(4)]\n"
            "    for t in ts:\n        t.start()\n    assert sorted(q.get() for _ in range(4)) == [0, 3, 6, 9]\n")
    _assert_refused(pool, "waiting", PROMPT, "    time.sleep(0.01)\n    return x * 3\n", test, Status.PASSED,
                    SandboxLimits(wall_seconds=1))


def _assert_refused(pool: SandboxPool, what: str, prompt: str, body: str, test: str, plain: Status,
                    limits: SandboxLimits) -> None:
    """Plain Python's verdict is ``plain`` (else the case itself is wrong), and the
    sandbox's is the harness's ``error`` for calls made at once."""
    assert plain_python_verdict(prompt, body, test) is plain, "the case itself is wrong"
    report = pool.run_source(Task("t/threads", prompt, "f", test), prompt + body, limits)
    assert report.status is Status.ERROR, f"{what}: {report.status.value}: {report.detail}"
    assert "at once" in report.detail


def test_a_recursion_back_and_forth_through_the_candidate_keeps_its_depth(pool: SandboxPool) -> None:
    """Each frame the floor adds to a call is one level less of the tests' recursion
    through the candidate's calls back (300 levels passed before the floor, and plain
    Python goes to about 490; a fifty-fourth red team found 245)."""
    test = ("def check(candidate):\n    def rec(n):\n        return 0 if n == 0 else 1 + candidate((rec, n - 1))\n"
            "    assert rec(1) == 1\n    assert rec(300) == 300\n")
    assert_agrees_with_plain_python(pool, "t/threads-depth", "300 levels", PROMPT, "    g, n = x\n    return g(n)\n",
                                    test, Status.PASSED, LIMITS)


def test_an_endless_loop_holding_a_call_while_anothers_is_refused_is_its_timeout(pool: SandboxPool) -> None:
    """The refusal is the harness's, but what ran the job past its deadline is the
    candidate's own loop (a fast right answer passes these tests)."""
    test = (POOL + "    import queue\n    q = queue.Queue()\n"
            "    threading.Thread(target=lambda: q.put(candidate(1))).start()\n    time.sleep(0.3)\n"
            "    threading.Thread(target=lambda: q.put(candidate(2))).start()\n"
            "    assert sorted([q.get(), q.get()]) == [2, 4]\n")
    task = Task("t/threads-loop", PROMPT, "f", test)
    limits = SandboxLimits(wall_seconds=1)
    right, looping = (pool.run_source(task, PROMPT + body, limits)
                      for body in ("    return x * 2\n", "    while x == 1:\n        pass\n    return x * 2\n"))
    assert right.status is Status.PASSED, right.detail
    assert looping.status is Status.TIMEOUT, f"{looping.status.value}: {looping.detail}"
