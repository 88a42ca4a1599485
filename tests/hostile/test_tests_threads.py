"""Tests that call the candidate from several threads at once (``verifiers/runtime/floor``).

In plain Python a thread pool may map the candidate over inputs, or a thread may call
it while another waits inside a function of the tests' that the candidate called. Here
every call crosses one channel: two calls sent at once read each other's replies, and a
right answer was the harness's ``error`` or its own "reply to no call (a forged
answer)". Each case runs on one slot and in this process as plain Python, and the two
verdicts must agree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Status

from plain_python import assert_agrees_with_plain_python

LIMITS = SandboxLimits(wall_seconds=10)
PROMPT = "import threading, time\n\ndef f(x):\n"
DOUBLES = "    return x * 2\n"
POOL = "from concurrent.futures import ThreadPoolExecutor\n\ndef check(candidate):\n"
MAPPED = POOL + "    with ThreadPoolExecutor(4) as ex:\n" \
                "        assert list(ex.map(candidate, range(60))) == [2 * i for i in range(60)]\n"
CALLS_BACK = "    return x(5) if callable(x) else x * 3\n"
CASES = [
    # (what, body, test, plain Python's verdict)
    ("a thread pool maps the candidate", DOUBLES, MAPPED, Status.PASSED),
    ("a wrong answer mapped by a thread pool fails", "    return x * 3\n", MAPPED, Status.FAILED),
    ("threads call a slow candidate in loops", "    time.sleep(0.001)\n    return x + 1\n",
     "import threading\n\ndef check(candidate):\n    out = []\n    def work():\n        for i in range(25):\n"
     "            out.append(candidate(i) == i + 1)\n    ts = [threading.Thread(target=work) for _ in range(4)]\n"
     "    for t in ts:\n        t.start()\n    for t in ts:\n        t.join()\n    assert len(out) == 100 and all(out)\n",
     Status.PASSED),
    ("threads call the function the candidate returned", "    return lambda y: x + y\n",
     POOL + "    g = candidate(10)\n    with ThreadPoolExecutor(3) as ex:\n"
            "        assert list(ex.map(g, range(40))) == [10 + i for i in range(40)]\n", Status.PASSED),
    ("what the candidate raises reaches each thread", "    raise ValueError(x)\n",
     POOL + "    with ThreadPoolExecutor(4) as ex:\n        futures = [ex.submit(candidate, i) for i in range(12)]\n"
            "    assert all(isinstance(f.exception(), ValueError) for f in futures)\n", Status.PASSED),
    ("a thread calls while the candidate waits on the tests' slow function", CALLS_BACK,
     "import threading, time\n\ndef check(candidate):\n    got = []\n    def slow(v):\n        time.sleep(0.05)\n"
     "        return v\n    t = threading.Thread(target=lambda: got.append(candidate(7)))\n    t.start()\n"
     "    assert candidate(slow) == 5\n    t.join()\n    assert got == [21]\n", Status.PASSED),
    ("the tests' function the candidate called maps the candidate in a pool", CALLS_BACK,
     POOL + "    def each(v):\n        with ThreadPoolExecutor(2) as ex:\n            return sum(ex.map(candidate, range(v)))\n"
            "    assert candidate(each) == 30\n", Status.PASSED),
    ("the tests' function the candidate called waits on a thread that calls it", CALLS_BACK,
     "import threading\n\ndef check(candidate):\n    def each(v):\n        got = []\n"
     "        t = threading.Thread(target=lambda: got.append(candidate(v)))\n        t.start()\n        t.join()\n"
     "        return got[0]\n    assert candidate(each) == 15\n", Status.PASSED),
]


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1, limits=LIMITS) as p:
        yield p


@pytest.mark.parametrize("what, body, test, plain", CASES, ids=[case[0] for case in CASES])
def test_calls_from_the_tests_threads_are_judged_as_plain_python_judges_them(pool: SandboxPool, what: str, body: str,
                                                                            test: str, plain: Status) -> None:
    assert_agrees_with_plain_python(pool, "t/threads", what, PROMPT, body, test, plain, LIMITS)
