"""The interpreter's settings the tests and the candidate share in plain Python: the
recursion limit and the ``decimal`` context (``verifiers/runtime/interpreter_settings``).
Each case runs on one slot and in this process as plain Python, and the two verdicts
must agree. Before the settings crossed, the candidate's process kept its defaults: a
right answer recursing deeper than 1,000 frames under the tests' raised limit, or
dividing ``Decimal``s at the precision the tests set, failed."""

from __future__ import annotations

import decimal
from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers.runtime.interpreter_settings import decimal_settings, write_decimal
from verifiers.sandbox import SandboxLimits, SandboxPool

from plain_python import (assert_agrees_with_plain_python, assert_refused_as_the_candidates_failure,
                          assert_the_next_task_starts_clean, identity_task)
from verifiers.types import Candidate, Status

LIMITS = SandboxLimits(wall_seconds=5)
PROMPT = "import sys\nfrom decimal import Decimal, getcontext\n\ndef f(x):\n"
DEPTH = "    return 0 if x == 0 else 1 + f(x - 1)\n"
DIVIDES = "    return Decimal(1) / Decimal(x)\n"
RAISED = "import sys\n\ndef check(candidate):\n    sys.setrecursionlimit(6000)\n"
PRECISE = "import decimal\nfrom decimal import Decimal\n\ndef check(candidate):\n    decimal.getcontext().prec = 50\n"
CASES = [
    # (what, body, test, plain Python's verdict); the prompt (PROMPT, PROMPT_SETS for the
    # cases that say so) sets nothing, or the precision and the limit
    ("the tests' raised limit is the candidate's", DEPTH,
     RAISED + "    assert candidate(4000) == 4000\n", Status.PASSED),
    ("past the tests' raised limit the candidate meets RecursionError", DEPTH,
     RAISED + "    try:\n        candidate(7000)\n    except RecursionError:\n        return\n"
              "    assert False, 'no RecursionError'\n", Status.PASSED),
    ("a limit the candidate raised when its module loaded stands", "    return 0 if x == 0 else 1 + f(x - 1)\n"
     "sys.setrecursionlimit(6000)\n",
     "def check(candidate):\n    assert candidate(4000) == 4000\n", Status.PASSED),
    ("the tests' later limit replaces the candidate's own", "    return 0 if x == 0 else 1 + f(x - 1)\n"
     "sys.setrecursionlimit(100000)\n",
     RAISED + "    try:\n        candidate(7000)\n    except RecursionError:\n        return\n"
              "    assert False, 'no RecursionError'\n", Status.PASSED),
    ("a limit the tests lower leaves a shallow recursion be", DEPTH,
     "import sys\n\ndef check(candidate):\n    sys.setrecursionlimit(300)\n    assert candidate(50) == 50\n",
     Status.PASSED),
    ("the tests' precision is the candidate's", DIVIDES,
     PRECISE + "    assert candidate(3) == Decimal(1) / Decimal(3)\n    assert len(str(candidate(3))) == 52\n",
     Status.PASSED),
    ("a wrong answer through a float still fails", "    return Decimal(1 / x)\n",
     PRECISE + "    assert candidate(3) == Decimal(1) / Decimal(3)\n", Status.FAILED),
    ("the tests' rounding is the candidate's", "    return Decimal(x).quantize(Decimal('0.1'))\n",
     "import decimal\nfrom decimal import Decimal\n\ndef check(candidate):\n"
     "    decimal.getcontext().rounding = decimal.ROUND_DOWN\n    assert candidate('2.99') == Decimal('2.9')\n",
     Status.PASSED),
    ("the tests' traps are the candidate's", DIVIDES,
     "import decimal\nfrom decimal import Decimal\n\ndef check(candidate):\n"
     "    decimal.getcontext().traps[decimal.DivisionByZero] = False\n"
     "    assert candidate(0) == Decimal('Infinity')\n", Status.PASSED),
    ("a local context of the tests' reaches the calls inside it, not after", DIVIDES,
     "import decimal\nfrom decimal import Decimal\n\ndef check(candidate):\n"
     "    with decimal.localcontext() as ctx:\n        ctx.prec = 5\n"
     "        assert candidate(3) == Decimal('0.33333')\n"
     "    assert candidate(3) == Decimal(1) / Decimal(3)\n    assert len(str(candidate(3))) == 30\n",
     Status.PASSED),
    ("a precision the candidate set when its module loaded stands", DIVIDES + "getcontext().prec = 10\n",
     "from decimal import Decimal\n\ndef check(candidate):\n    assert candidate(3) == Decimal('0.3333333333')\n",
     Status.PASSED),
    ("the tests' exponent letter reaches the Decimals they pass", "    return x * 2\n",
     "import decimal\nfrom decimal import Decimal\n\ndef check(candidate):\n    decimal.getcontext().capitals = 0\n"
     "    assert candidate(Decimal('1E+5')) == Decimal('2E+5')\n    decimal.getcontext().capitals = 1\n"
     "    assert candidate(Decimal('1E+5')) == Decimal('2E+5')\n", Status.PASSED),
    ("a candidate that holds the context it began with sees the tests' precision",
     "    return CONTEXT.divide(Decimal(1), Decimal(x))\nCONTEXT = getcontext()\n",
     PRECISE + "    assert candidate(3) == Decimal(1) / Decimal(3)\n", Status.PASSED),
    ("the largest limit the tests can set leaves the channel room", DEPTH,
     "import sys\n\ndef check(candidate):\n    sys.setrecursionlimit(2 ** 31 - 1)\n    assert candidate(10) == 10\n",
     Status.PASSED),
    ("the tests' limit raised after the call reaches the function it returned",
     "    def g(n):\n        return 0 if n == 0 else 1 + g(n - 1)\n    return g\n",
     "import sys\n\ndef check(candidate):\n    g = candidate(0)\n    sys.setrecursionlimit(6000)\n"
     "    assert g(4000) == 4000\n", Status.PASSED),
    ("the tests' limit raised between reads reaches the candidate's generator",
     "    def deep(n):\n        return 0 if n == 0 else 1 + deep(n - 1)\n    yield 1\n    yield deep(x)\n",
     "import sys\n\ndef check(candidate):\n    it = candidate(4000)\n    assert next(it) == 1\n"
     "    sys.setrecursionlimit(6000)\n    assert next(it) == 4000\n", Status.PASSED),
    ("what the prompt set is not sent over what the candidate set after it", "    return Decimal(1) / Decimal(x)\n"
     "getcontext().prec = 5\n",
     "from decimal import Decimal\n\ndef check(candidate):\n    assert candidate(3) == Decimal('0.3333333333')\n",
     Status.FAILED),
    ("a candidate's own limit stands over the prompt's", DEPTH + "sys.setrecursionlimit(20000)\n",
     "def check(candidate):\n    assert candidate(10000) == 10000\n", Status.PASSED),
    ("a limit the prompt lowered is raised again by the tests", DEPTH,
     "import sys\n\ndef check(candidate):\n    sys.setrecursionlimit(1000)\n    assert candidate(800) == 800\n",
     Status.PASSED),
    ("a limit the prompt lowered stands where the tests set none", DEPTH,
     "def check(candidate):\n    try:\n        candidate(700)\n    except RecursionError:\n        return\n"
     "    assert False, 'no RecursionError'\n", Status.PASSED),
    ("a limit the tests lower below the prompt's floor is not sent as the floor", DEPTH,
     "import sys\n\ndef check(candidate):\n    sys.setrecursionlimit(700)\n    try:\n        candidate(900)\n"
     "    except RecursionError:\n        return\n    assert False, 'no RecursionError'\n", Status.PASSED),
    ("a precision the tests set in a context of their own stays there", DIVIDES,
     "import contextvars, decimal\n\ndef check(candidate):\n    def inner():\n        decimal.getcontext().prec = 50\n"
     "    contextvars.copy_context().run(inner)\n    assert str(candidate(3)) == '0.' + '3' * 28\n", Status.PASSED),
    ("numpy's error settings of the tests' are the candidate's", "    return x / x\n",
     "import numpy as np\n\ndef check(candidate):\n    with np.errstate(all='raise'):\n"
     "        try:\n            candidate(np.array([0.0, 1.0]))\n"
     "        except FloatingPointError:\n            return\n"
     "    assert False, 'no FloatingPointError'\n", Status.PASSED),
    ("a wrong answer under the tests' numpy error settings fails", "    return x / x\n",
     "import numpy as np\n\ndef check(candidate):\n    with np.errstate(all='raise'):\n"
     "        r = candidate(np.array([0.0, 1.0]))\n    assert r.shape == (2,)\n", Status.FAILED),
    ("the template the prompt set is the tests' precision", DIVIDES,
     "from decimal import Decimal\n\ndef check(candidate):\n    assert candidate(3) == Decimal(1) / Decimal(3)\n"
     "    assert len(str(candidate(3))) == 52\n", Status.PASSED),
    ("the template the prompt set is no wrong answer's pass", "    return Decimal('0.3333333333333333333333333333')\n",
     "from decimal import Decimal\n\ndef check(candidate):\n    assert candidate(3) == Decimal(1) / Decimal(3)\n",
     Status.FAILED),
    ("the tests' precision reaches a function the candidate returned",
     "    return lambda y: Decimal(y) / Decimal(x)\n",
     PRECISE + "    assert candidate(3)(1) == Decimal(1) / Decimal(3)\n", Status.PASSED),
]


LOWERED_500 = "import sys\nsys.setrecursionlimit(500)\n\ndef f(x):\n"
TEMPLATE_50 = "import decimal\nfrom decimal import Decimal\ndecimal.DefaultContext.prec = 50\n\ndef f(x):\n"
PROMPT_SETS = ("import sys\nfrom decimal import Decimal, getcontext\ngetcontext().prec = 10\n"
               "sys.setrecursionlimit(3000)\n\ndef f(x):\n")
SET_BY_THE_PROMPT = {"what the prompt set is not sent over what the candidate set after it",
                     "a candidate's own limit stands over the prompt's"}
PROMPTS = {
    "a limit the prompt lowered is raised again by the tests": LOWERED_500,
    "a limit the prompt lowered stands where the tests set none": LOWERED_500,
    "a limit the tests lower below the prompt's floor is not sent as the floor": LOWERED_500,
    "numpy's error settings of the tests' are the candidate's": "import numpy as np\n\ndef f(x):\n",
    "a wrong answer under the tests' numpy error settings fails": "import numpy as np\n\ndef f(x):\n",
    "the template the prompt set is the tests' precision": TEMPLATE_50,
    "the template the prompt set is no wrong answer's pass": TEMPLATE_50,
}


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1, limits=LIMITS) as p:
        yield p


@pytest.mark.parametrize("what, body, test, plain", CASES, ids=[case[0] for case in CASES])
def test_the_shared_settings_are_judged_as_plain_python_judges_them(pool: SandboxPool, what: str, body: str,
                                                                   test: str, plain: Status) -> None:
    template = decimal_settings(decimal.DefaultContext)
    try:
        prompt = PROMPT_SETS if what in SET_BY_THE_PROMPT else PROMPTS.get(what, PROMPT)
        assert_agrees_with_plain_python(pool, "t/settings", what, prompt, body, test, plain, LIMITS)
    finally:
        write_decimal(decimal.DefaultContext, template)  # plain Python's run of the case set this process's


def test_a_tasks_settings_do_not_reach_the_next_task(pool: SandboxPool) -> None:
    """The test server puts the limit and the context back at each job's start; the next
    candidate's process begins with its own defaults, so nothing is sent."""
    leaving = identity_task("t/settings-leaving",
                            "import sys, decimal\n\ndef check(candidate):\n    sys.setrecursionlimit(6000)\n"
                            "    decimal.getcontext().prec = 5\n    assert candidate(1) == 1\n")
    then = Task("t/settings-then", "import decimal\n\ndef f(x):\n    pass\n", "f",
                "from decimal import Decimal\n\ndef check(candidate):\n"
                "    assert candidate(3) == Decimal(1) / Decimal(3)\n"
                "    try:\n        candidate(-2000)\n    except RecursionError:\n        return\n"
                "    assert False, 'no RecursionError'\n", "    return x\n")
    answer = ("from decimal import Decimal\n\ndef f(x):\n    return Decimal(1) / Decimal(x) if x > 0 else "
              "(0 if x == 0 else 1 + f(x + 1))\n")
    assert_the_next_task_starts_clean(pool, leaving, then, then_answer=answer)


MEMO = ("    memo = {}\n    def wrapper(n):\n        if n not in memo:\n            memo[n] = x(n)\n"
        "        return memo[n]\n    return wrapper\n")


def _through_the_decorator(depth: int) -> str:
    return ("import sys\n\ndef check(candidate):\n    sys.setrecursionlimit(%d)\n"
            "    @candidate\n    def total(n):\n        return 0 if n == 0 else n + total(n - 1)\n"
            "    assert total(%d) == %d\n") % (depth * 3, depth, depth * (depth + 1) // 2)


def test_a_recursion_through_the_candidates_decorator_goes_as_deep_as_the_tests_limit(pool: SandboxPool) -> None:
    """1,500 levels of the tests' function and the candidate's wrapper calling each
    other, under the limit the tests raised: the candidate's process met its own 1,000."""
    assert_agrees_with_plain_python(pool, "t/settings-deco", "1,500 deep", "def f(x):\n", MEMO,
                                    _through_the_decorator(1500), Status.PASSED, LIMITS)


def test_a_limit_raised_after_decorating_reaches_the_candidates_wrapper(pool: SandboxPool) -> None:
    test = ("import sys\n\ndef check(candidate):\n    @candidate\n    def total(n):\n"
            "        return 0 if n == 0 else n + total(n - 1)\n    sys.setrecursionlimit(6000)\n"
            "    assert total(1500) == 1500 * 1501 // 2\n")
    assert_agrees_with_plain_python(pool, "t/settings-deco-after", "raised after", "def f(x):\n", MEMO, test,
                                    Status.PASSED, LIMITS)


MAPS = "list(map(k, [a0]))[0]"
for level in range(4):  # five maps a level, each a C call that runs Python again
    MAPS = f"list(map((lambda a{level}: {MAPS}), [a{level + 1}]))[0]"
MAPS = MAPS.replace("[a4]", "[n - 1]")


def test_calls_back_and_forth_with_c_frames_of_the_tests_leave_the_test_server_whole(pool: SandboxPool) -> None:
    """The tests' recursion through ``map``s at each level spends C stack that plain
    Python's one stack has room for; at 8 MB the test server died of it 1,750 levels
    down, the harness's ``error`` on a right answer (a forty-ninth red team)."""
    test = ("import sys\n\ndef check(candidate):\n    sys.setrecursionlimit(17500)\n    @candidate\n"
            "    def total(n):\n        if n == 0:\n            return 0\n        out = []\n        def k(v):\n"
            "            out.append(total(v))\n            return 0\n        " + MAPS + "\n        return n + out[0]\n"
            "    assert total(1750) == 1750 * 1751 // 2\n")
    assert_agrees_with_plain_python(pool, "t/settings-maps", "through maps", "def f(x):\n", MEMO, test,
                                    Status.PASSED, LIMITS)


def test_a_tasks_decimal_templates_do_not_reach_the_next_task(pool: SandboxPool) -> None:
    """``decimal.Context()`` copies ``DefaultContext``: a task's tests that changed it
    reached every later task's tests and candidates (a forty-ninth red team)."""
    leaving = identity_task("t/settings-template",
                            "import decimal\n\ndef check(candidate):\n    decimal.DefaultContext.prec = 5\n"
                            "    decimal.ExtendedContext.prec = 3\n    assert candidate(1) == 1\n")
    then = Task("t/settings-template-then", "import decimal\n\ndef f(x):\n    pass\n", "f",
                "import decimal\nfrom decimal import Decimal\n\ndef check(candidate):\n"
                "    assert candidate(3) == Decimal(1) / Decimal(3)\n"
                "    assert decimal.ExtendedContext.prec == 9\n", "    return x\n")
    answer = "from decimal import Decimal\n\ndef f(x):\n    return Decimal(1) / Decimal(x)\n"
    assert_the_next_task_starts_clean(pool, leaving, then, then_answer=answer)


def test_calls_back_and_forth_past_the_crossings_bound_are_the_candidates_recursion_error(pool: SandboxPool) -> None:
    """4,000 levels run in plain Python; here each crossing spends C stack in both
    processes, and the test server died of it (the harness's ``error``). Past
    ``functions.MAX_CROSSINGS`` it is ``RecursionError``, as at a recursion limit."""
    assert_refused_as_the_candidates_failure(pool, "t/settings-deep", "4,000 deep", "def f(x):\n", MEMO,
                                             _through_the_decorator(4000), LIMITS)


IN_A_THREAD = ("import sys, threading\n\ndef check(candidate):\n    sys.setrecursionlimit(100000)\n    @candidate\n"
               "    def total(n):\n        if n == 0:\n            return 0\n        out = []\n        def k(v):\n"
               "            out.append(total(v))\n            return 0\n        " + MAPS + "\n"
               "        return n + out[0]\n"
               "    got = []\n    thread = threading.Thread(target=lambda: got.append(total(DEPTH)))\n"
               "    thread.start()\n    thread.join()\n    assert got == [DEPTH * (DEPTH + 1) // 2]\n")


def test_calls_back_and_forth_in_a_thread_of_the_tests_are_bounded_by_its_stack(pool: SandboxPool) -> None:
    """A thread's stack stays 8 MB: 1,600 levels through five ``map``s killed the test
    server (a fiftieth red team). Past ``functions.THREAD_CROSSINGS``, RecursionError."""
    test = IN_A_THREAD.replace("DEPTH", "1600")
    assert_refused_as_the_candidates_failure(pool, "t/settings-thread", "in a thread", "def f(x):\n", MEMO, test,
                                             LIMITS)


def test_a_wrong_answers_endless_recursion_in_a_thread_of_the_tests_is_its_failure(pool: SandboxPool) -> None:
    """Plain Python crashes on it (a failure); here it was the harness's ``error``."""
    endless = "def f(x):\n    def wrapper(n):\n        return x(n + 1) if n > 5 else x(n)\n    return wrapper\n"
    task = identity_task("t/settings-thread-endless", IN_A_THREAD.replace("DEPTH", "50"))
    [report] = pool.run(task, [Candidate(task.task_id, "endless", endless)])
    assert report.status is Status.FAILED, report.detail


def test_a_tasks_decimal_template_flags_do_not_reach_the_next_task(pool: SandboxPool) -> None:
    leaving = identity_task("t/settings-flags",
                            "import decimal\nfrom decimal import Decimal\n\ndef check(candidate):\n"
                            "    decimal.DefaultContext.divide(Decimal(1), Decimal(3))\n    assert candidate(1) == 1\n")
    then = identity_task("t/settings-flags-then",
                         "import decimal\n\ndef check(candidate):\n    assert candidate(1) == 1\n"
                         "    assert not decimal.getcontext().flags[decimal.Inexact]\n")
    assert_the_next_task_starts_clean(pool, leaving, then)


NEAR_THE_LIMIT = ("def check(candidate):\n    read = READ\n    def at(depth, n):\n"
                  "        return at(depth, n + 1) if n < depth else read()\n"
                  "    for depth in range(850, 1000):\n        try:\n            at(depth, 0)\n"
                  "        except RecursionError:\n            pass\n")


READS = [
    ("an attribute of the candidate's function", "    def g(v):\n        g.calls += 1\n        return v\n"
     "    g.calls = 0\n    return g\n", "(lambda g: lambda: g.calls)(candidate(0))"),
    ("the next item of the candidate's iterator", "    return (i for i in range(100000))\n",
     "(lambda it: lambda: next(it))(candidate(0))"),
]


@pytest.mark.parametrize("what, body, read", READS, ids=[case[0] for case in READS])
def test_reads_a_few_frames_below_the_tests_limit_leave_the_channel_room(pool: SandboxPool, what: str, body: str,
                                                                         read: str) -> None:
    """An ordinary call there had room for the channel's frames; these had none: the
    harness's ``error`` and a right answer's ``bad reply`` (a fifty-first red team)."""
    assert_agrees_with_plain_python(pool, "t/settings-near", what, "def f(x):\n", body,
                                    NEAR_THE_LIMIT.replace("READ", read), Status.PASSED, LIMITS)


def test_a_tasks_patched_threading_leaves_the_main_threads_bound(pool: SandboxPool) -> None:
    """Tests that patched ``threading.main_thread`` at the main thread's first crossing
    gave it the other threads' bound, 250, for every later task (a fifty-first red team)."""
    leaving = identity_task("t/settings-patched",
                            "from unittest import mock\n\ndef check(candidate):\n"
                            "    with mock.patch('threading.main_thread', lambda: None):\n"
                            "        assert candidate(lambda v: v)(1) == 1\n")
    then = identity_task("t/settings-patched-then",
                         "def check(candidate):\n    @candidate\n    def total(n):\n"
                         "        return 0 if n == 0 else n + total(n - 1)\n    assert total(300) == 45150\n")
    passes_through = "def f(x):\n    return lambda v: x(v)\n"
    with SandboxPool(workers=1, limits=LIMITS) as fresh:  # the first crossing of the server's main thread
        assert_the_next_task_starts_clean(fresh, leaving, then, leaving_answer=passes_through,
                                          then_answer="def f(x):\n" + MEMO)
