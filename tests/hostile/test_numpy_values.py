"""numpy's scalars crossing the channel, and numpy's state in the test server: each case
runs on one slot and in this process as plain Python, and the two verdicts must agree.

numpy is the one package besides the standard library in the sandbox. Its scalars first
crossed as the plain Python numbers they hold: a wrong answer's ``np.bool_`` then passed
``is True``, its ``np.uint8(255) + 1`` no longer wrapped, and a right answer's
``np.float32(0.1)`` no longer equalled ``0.1`` as numpy compares; and the test server
kept numpy's random state and error settings from one job to the next (a thirty-seventh
red team). They now cross as themselves, and each job starts from numpy's defaults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Candidate, Status

from plain_python import assert_agrees_with_plain_python, assert_the_next_task_starts_clean, identity_task

pytest.importorskip("numpy")

LIMITS = SandboxLimits(wall_seconds=3)
NP = "import numpy as np\n\ndef f(x):\n"
RAISES_ON_DIVISION = ("def check(candidate):\n    try:\n        candidate(1.0) / 0\n"
                      "    except ZeroDivisionError:\n        return\n    assert False, 'no ZeroDivisionError'\n")
CASES = [
    # (what, body, test, plain Python's verdict)
    ("np.sum is the int it holds", "    return np.sum(np.arange(x + 1))\n",
     "def check(candidate):\n    assert candidate(3) == 6\n    assert candidate(0) == 0\n", Status.PASSED),
    ("np.float32(0.1) == 0.1 as numpy compares", "    return np.float32(x)\n",
     "def check(candidate):\n    assert candidate(0.1) == 0.1\n", Status.PASSED),
    ("a complex of numpy's", "    return np.complex128(x) * 2\n",
     "def check(candidate):\n    assert candidate(1 + 2j) == 2 + 4j\n", Status.PASSED),
    ("~np.True_ is np.False_", "    return np.bool_(x)\n",
     "def check(candidate):\n    assert (~candidate(True)) == False\n", Status.PASSED),
    ("np.uint8 wraps", "    return np.uint8(x)\n",
     "def check(candidate):\n    assert candidate(255) + 1 == 0\n", Status.PASSED),
    ("np.float64 divides by zero into inf", "    return np.float64(x)\n",
     "def check(candidate):\n    assert candidate(1.0) / 0 == float('inf')\n", Status.PASSED),
    ("numpy's keys and values in a dict", "    return {np.int64(x): [np.bool_(True), np.float32(0.5)]}\n",
     "def check(candidate):\n    assert candidate(2) == {2: [True, 0.5]}\n", Status.PASSED),
    ("the tests' numpy scalar reaches the candidate as itself", "    return x.item() + 1\n",
     "import numpy as np\n\ndef check(candidate):\n    assert candidate(np.int64(3)) == 4\n"
     "    assert candidate(np.True_) == 2\n", Status.PASSED),
    ("np.bool_ is not True", "    return np.bool_(x % 2 == 0)\n",
     "def check(candidate):\n    assert candidate(2) is True\n", Status.FAILED),
    ("np.int64 is no int", "    return np.int64(x)\n",
     "def check(candidate):\n    assert isinstance(candidate(1), int)\n", Status.FAILED),
    ("np.uint8 does not reach 256", "    return np.uint8(x)\n",
     "def check(candidate):\n    assert candidate(255) + 1 == 256\n", Status.FAILED),
    ("np.float64 raises no ZeroDivisionError", "    return np.float64(x)\n", RAISES_ON_DIVISION, Status.FAILED),
    ("np.float32 keeps its precision", "    return np.float32(x)\n",
     "def check(candidate):\n    assert candidate(1.0) + 1e-8 > 1.0\n", Status.FAILED),
]


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1, limits=LIMITS) as p:
        yield p


@pytest.mark.parametrize("what, body, test, plain", CASES, ids=[case[0] for case in CASES])
def test_numpy_values_are_judged_as_plain_python_judges_them(pool: SandboxPool, what: str, body: str, test: str,
                                                            plain: Status) -> None:
    assert_agrees_with_plain_python(pool, "t/numpy", what, NP, body, test, plain, LIMITS)


def test_every_job_draws_numpys_random_inputs_alike(pool: SandboxPool) -> None:
    """An answer wrong on odd inputs, run twelve times on tests drawing with numpy's
    legacy generator: one verdict (they were 10 failed and 2 passed)."""
    task = Task("t/np-random", "def f(x):\n    pass\n", "f",
                "import numpy as np\n\ndef check(candidate):\n"
                "    for _ in range(3):\n        x = int(np.random.randint(0, 100))\n"
                "        assert candidate(x) == 2 * x\n",
                "    return 2 * x\n")
    wrong_on_odd = "def f(x):\n    return 2 * x if x % 2 == 0 else 0\n"
    verdicts = pool.run(task, [Candidate(task.task_id, f"c{i}", wrong_on_odd) for i in range(12)])
    assert len({v.status for v in verdicts}) == 1, [v.status.value for v in verdicts]


def test_a_tasks_numpy_error_settings_do_not_reach_the_next_task(pool: SandboxPool) -> None:
    strict = identity_task("t/np-strict",
                           "import numpy as np\n\ndef check(candidate):\n    np.seterr(all='raise')\n"
                           "    assert candidate(1) == 1\n")
    divides = identity_task("t/np-divides",
                            "import numpy as np\n\ndef check(candidate):\n"
                            "    assert np.float64(candidate(1)) / 0 == np.inf\n")
    assert_the_next_task_starts_clean(pool, strict, divides)


DEEP_TESTS = ("def check(candidate):\n    def probe(n):\n        try:\n            return probe(n + 1)\n"
              "        except RecursionError:\n            return n\n    top = probe(0)\n"
              "    def deep(n):\n        if n >= top - 230:\n            return candidate(0)\n"
              "        return deep(n + 1)\n    deep(0)\n")


def test_numpy_imported_deep_in_the_tests_recursion_leaves_the_test_server_whole() -> None:
    """The test server imports numpy when a reply first holds a numpy value. Read 230
    frames below the tests' recursion limit, the import was cut off halfway, and numpy
    could not be imported again: every later job of the slot was the harness's ``error``
    (a thirty-eighth red team). It now gets room of its own."""
    nested = ("import numpy as np\n\ndef f(x):\n    v = np.int64(1)\n    for _ in range(85):\n        v = [v]\n"
              "    return v\n")
    deep = identity_task("t/np-deep", DEEP_TESTS)
    later = identity_task("t/np-later", "def check(candidate):\n    assert candidate(4) == 4\n")
    with SandboxPool(workers=1, limits=LIMITS) as fresh:  # a test server that has not loaded numpy
        [first] = fresh.run(deep, [Candidate(deep.task_id, "nested", nested)])
        assert first.status is not Status.ERROR, first.detail
        right = "import numpy as np\n\ndef f(x):\n    return np.int64(x)\n"
        [then] = fresh.run(later, [Candidate(later.task_id, "right", right)])
    assert then.status is Status.PASSED, then.detail


NAN_CASES = [
    ("the tests' numpy NaN comes back as itself", "    return list(x)\n",
     "import numpy as np\n\ndef check(candidate):\n    y = np.float64('nan')\n    assert y in candidate([y])\n"),
    ("a numpy NaN key finds its value", "    return dict(x)\n",
     "import numpy as np\n\ndef check(candidate):\n    y = np.float32('nan')\n    assert candidate({y: 1})[y] == 1\n"),
]


@pytest.mark.parametrize("what, body, test", NAN_CASES, ids=[case[0] for case in NAN_CASES])
def test_a_numpy_nan_keeps_its_identity(pool: SandboxPool, what: str, body: str, test: str) -> None:
    """The tests' own, as a float's NaN does (a NaN the candidate returns twice arrives as
    two, a float's too: docs/LIMITS.md)."""
    assert_agrees_with_plain_python(pool, "t/np-nan", what, NP, body, test, Status.PASSED, LIMITS)


def test_a_tasks_changes_to_numpy_do_not_reach_the_next_task(pool: SandboxPool) -> None:
    """A task's tests that replace ``np.sum`` and set numpy 1's print options: the next
    task's right answer saw both (a thirty-eighth red team)."""
    meddles = identity_task("t/np-meddles",
                            "import numpy as np\n\ndef check(candidate):\n    np.sum = lambda *a, **k: 42\n"
                            "    np.set_printoptions(legacy='1.25')\n    assert candidate(1) == 1\n")
    plain = Task("t/np-plain", "import numpy as np\n\ndef f(x):\n    pass\n", "f",
                 "def check(candidate):\n    assert candidate([1, 1]) == 2\n"
                 "    assert repr(np.float64(0.5)) == 'np.float64(0.5)'\n", "    return int(np.sum(x))\n")
    summing = "import numpy as np\n\ndef f(x):\n    return int(np.sum(x))\n"
    assert_the_next_task_starts_clean(pool, meddles, plain, then_answer=summing)


KEPT_AND_YIELDED = [
    ("a numpy NaN kept across calls is the tests' own", "    return KEPT[0] if x is None else KEPT.append(x) or 0\n",
     "import numpy as np\n\ndef check(candidate):\n    y = np.float64('nan')\n    candidate(y)\n"
     "    assert candidate(None) is y\n"),
    ("a numpy NaN yielded is the tests' own", "    yield from x\n",
     "import numpy as np\n\ndef check(candidate):\n    y = np.float64('nan')\n"
     "    assert list(candidate([y, y]))[0] is y\n"),
]


@pytest.mark.parametrize("what, body, test", KEPT_AND_YIELDED, ids=[case[0] for case in KEPT_AND_YIELDED])
def test_a_numpy_nan_keeps_its_identity_across_calls_and_batches(pool: SandboxPool, what: str, body: str,
                                                                 test: str) -> None:
    """Identity held within one message, not in what a later call carries or a batch
    reads (a thirty-ninth red team): a float's NaN was carried, a numpy one not."""
    assert_agrees_with_plain_python(pool, "t/np-nan-kept", what, "import numpy as np\n\nKEPT = []\n\ndef f(x):\n",
                                    body, test, Status.PASSED, LIMITS)


def test_a_tasks_warnings_filters_do_not_reach_the_next_task(pool: SandboxPool) -> None:
    """A task's tests that make warnings errors: numpy's divide warning was the next
    task's failure, blamed on its right answer (a thirty-ninth red team)."""
    strict = identity_task("t/warn-strict",
                           "import warnings\n\ndef check(candidate):\n    warnings.simplefilter('error')\n"
                           "    assert candidate(1) == 1\n")
    divides = identity_task("t/warn-divides",
                            "import numpy as np\n\ndef check(candidate):\n"
                            "    assert np.float64(candidate(1.0)) / 0 == np.inf\n")
    assert_the_next_task_starts_clean(pool, strict, divides)
