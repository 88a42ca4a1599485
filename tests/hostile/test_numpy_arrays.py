"""numpy's arrays crossing the channel: each case runs on one slot and in this process as
plain Python, and the two verdicts must agree.

Before, no array crossed: where the tests passed one, every candidate, right or wrong,
was the harness's ``error``, and a right answer returning one failed. An array now
crosses as its data, numbered as a list is: what the candidate does to the tests' array
in place reaches it, the very array comes back where the candidate returns it, and one
the candidate keeps between calls or yields again and again stays one array."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Candidate, Status

from plain_python import assert_agrees_with_plain_python, assert_the_next_task_starts_clean

pytest.importorskip("numpy")

LIMITS = SandboxLimits(wall_seconds=5)
NP = "import numpy as np\n\ndef f(a, b=None):\n"
CHECK = "import numpy as np\n\ndef check(candidate):\n"
STRIDED = "import numpy as np\nfrom numpy.lib.stride_tricks import as_strided\n\ndef check(candidate):\n"
CASES = [
    # (what, body, test, plain Python's verdict)
    ("an array returned", "    return a * 2\n",
     CHECK + "    a = np.arange(6).reshape(2, 3)\n    r = candidate(a)\n    assert isinstance(r, np.ndarray)\n"
     "    assert np.array_equal(r, a * 2) and r.dtype == a.dtype and r.shape == (2, 3)\n", Status.PASSED),
    ("a wrong array returned", "    return a * 3\n",
     CHECK + "    assert np.array_equal(candidate(np.arange(3)), [0, 2, 4])\n", Status.FAILED),
    ("a list where an array is due", "    return list(a * 2)\n",
     CHECK + "    assert candidate(np.arange(3)).shape == (3,)\n", Status.FAILED),
    ("a sort in place reaches the tests' array", "    a.sort()\n",
     CHECK + "    a = np.array([3.0, 1.0, 2.0])\n    candidate(a)\n    assert a.tolist() == [1.0, 2.0, 3.0]\n",
     Status.PASSED),
    ("a sort of a copy does not", "    a = np.sort(a)\n",
     CHECK + "    a = np.array([3, 1, 2])\n    candidate(a)\n    assert a.tolist() == [1, 2, 3]\n", Status.FAILED),
    ("a change the task forbids is seen", "    a[0] = 0\n    return int(a.sum())\n",
     CHECK + "    a = np.array([5, 1])\n    assert candidate(a) == 1\n    assert a[0] == 5\n", Status.FAILED),
    ("the tests' array comes back as itself", "    return a\n",
     CHECK + "    a = np.zeros(3)\n    assert candidate(a) is a\n", Status.PASSED),
    ("a row of the tests' array, filled in place", "    a[:] = 7\n",
     CHECK + "    b = np.zeros((3, 3))\n    candidate(b[:, 0])\n"
     "    assert b[:, 0].tolist() == [7, 7, 7] and b[:, 1].tolist() == [0, 0, 0]\n", Status.PASSED),
    ("a read-only array stays read-only", "    a[0] = 1\n",
     CHECK + "    a = np.zeros(2)\n    a.flags.writeable = False\n    try:\n        candidate(a)\n"
     "    except ValueError:\n        return\n    assert False, 'written'\n", Status.PASSED),
    ("an array kept between calls is the tests' one",
     "    if f.kept is None:\n        f.kept = a\n        return 0\n    f.kept[0] += 1\n    return int(f.kept[0])\n",
     CHECK + "    a = np.zeros(2, dtype=int)\n    candidate(a)\n    a[0] = 10\n    assert candidate(None) == 11\n"
     "    assert a[0] == 11\n", Status.PASSED),
    ("one global array returned twice is one", "    f.kept[0] = a\n    return f.kept\n",
     CHECK + "    x = candidate(1)\n    y = candidate(2)\n    assert x is y and x[0] == 2\n", Status.PASSED),
    ("a generator's one array, read as it goes and whole",
     "    b = np.zeros(2, dtype=int)\n    for i in range(a):\n        b[0] = i\n        yield b\n",
     CHECK + "    assert [int(x[0]) for x in candidate(5)] == [0, 1, 2, 3, 4]\n    xs = list(candidate(3))\n"
     "    assert xs[0] is xs[2] and xs[0][0] == 2\n", Status.PASSED),
    ("arrays of text and of booleans", "    return np.char.upper(a), a == 'ab'\n",
     CHECK + "    up, same = candidate(np.array(['ab', 'c']))\n    assert up.tolist() == ['AB', 'C']\n"
     "    assert same.tolist() == [True, False]\n", Status.PASSED),
    ("a 0-d array and a transposed one", "    return np.array(5), a.T\n",
     CHECK + "    b = np.arange(6).reshape(2, 3)\n    z, t = candidate(b)\n    assert z.shape == () and z == 5\n"
     "    assert np.array_equal(t, b.T)\n", Status.PASSED),
    ("an array given another shape in place", "    a.shape = (3, 2)\n",
     CHECK + "    b = np.zeros((2, 3))\n    candidate(b)\n    assert b.shape == (3, 2)\n", Status.PASSED),
    ("a kept view of the tests' array follows it (wrong: no copy kept)",
     "    if a is not None:\n        f.kept = a\n    return float(f.kept.sum())\n",
     CHECK + "    data = np.ones((2, 3))\n    candidate(data[0])\n    assert candidate(None) == 3.0\n"
     "    data[0, 0] = 100\n    assert candidate(None) == 3.0\n", Status.FAILED),
    ("a kept view of the tests' array follows it (right: watching it)",
     "    if a is not None:\n        f.kept = a\n    return float(f.kept.sum())\n",
     CHECK + "    data = np.ones((2, 3))\n    candidate(data[0])\n    assert candidate(None) == 3.0\n"
     "    data[0, 0] = 100\n    assert candidate(None) == 102.0\n", Status.PASSED),
    ("a write through a kept view reaches the tests' array",
     "    if a is not None:\n        f.kept = a\n        return\n    f.kept /= f.kept.sum()\n",
     CHECK + "    data = np.ones((2, 2))\n    candidate(data[:, 0])\n    candidate(None)\n"
     "    assert data.tolist() == [[0.5, 1.0], [0.5, 1.0]]\n", Status.PASSED),
    ("the tests resize an array the candidate keeps",  # were "its arguments could not be made" (a forty-first red team)
     "    if a is not None:\n        f.kept = a\n    return 0\n",
     CHECK + "    b = np.zeros(3)\n    candidate(b)\n    b.resize(4, refcheck=False)\n    b.dtype = np.int32\n"
     "    assert candidate(None) == 0\n", Status.PASSED),
    ("shapes of many axes and of long empty ones", "    return a\n",
     CHECK + "    assert candidate(np.zeros((0, 20_000_000))).shape == (0, 20_000_000)\n"
     "    assert candidate(np.zeros((1,) * 33)).ndim == 33\n", Status.PASSED),
    ("a wrong answer writing into a sliding window of the tests'", "    a[0, 1] = 99\n    return float(a.sum())\n",
     STRIDED + "    base = np.arange(5.0)\n    candidate(as_strided(base, (3, 3), (8, 8)))\n"
     "    assert (base == np.arange(5.0)).all()\n", Status.FAILED),
    ("a right answer writing into a sliding window of the tests'", "    a[0, 1] = 99\n",
     STRIDED + "    base = np.arange(5.0)\n    candidate(as_strided(base, (3, 3), (8, 8)))\n    assert base[1] == 99\n",
     Status.PASSED),
    ("a wrong answer writing into the tests' broadcast array", "    a.flags.writeable = True\n    a[0, 0] = 7\n",
     STRIDED + "    base = np.arange(3.0)\n    candidate(np.broadcast_to(base, (2, 3)))\n    assert base[0] == 0\n",
     Status.FAILED),
    ("a 0-d array written in place", "    a[...] = 3\n",
     CHECK + "    z = np.array(1.0)\n    candidate(z)\n    assert z == 3\n", Status.PASSED),
    ("a list kept beside an array the tests give another dtype",
     "    if a is not None:\n        f.kept = [a, b]\n        return\n    f.kept[1].append(9)\n",
     CHECK + "    arr = np.zeros(3)\n    xs = []\n    candidate(arr, xs)\n    arr.dtype = np.int64\n    candidate(None)\n"
     "    assert xs == [9]\n", Status.PASSED),
    ("a wrong answer writing through two views of one array", "    b[0] = 0\n    a[3] = 99\n",
     CHECK + "    base = np.arange(6.0)\n    candidate(base, base[2:5])\n    assert base[2] == 0\n"
     "    assert base[3] == 3\n", Status.FAILED),
    ("a right answer writing through two views of one array", "    a[3] = 99\n    b[0] = 77\n",
     CHECK + "    base = np.arange(6.0)\n    candidate(base, base[2:5])\n    assert base[3] == 99 and base[2] == 77\n",
     Status.PASSED),
    ("arrays in a list", "    return [float(x.sum()) for x in a]\n",
     CHECK + "    assert candidate([np.ones(3), np.ones(2)]) == [3.0, 2.0]\n", Status.PASSED),
]


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1, limits=LIMITS) as p:
        yield p


@pytest.mark.parametrize("what, body, test, plain", CASES, ids=[case[0] for case in CASES])
def test_numpy_arrays_are_judged_as_plain_python_judges_them(pool: SandboxPool, what: str, body: str, test: str,
                                                             plain: Status) -> None:
    kept = ("\nf.kept = None\n" if "f.kept is None" in body else
            "\nf.kept = [np.zeros(2)]\n" if "f.kept" in body else "")
    assert_agrees_with_plain_python(pool, "t/numpy-arrays", what, NP, body + kept, test, plain, LIMITS)


def test_an_array_of_objects_the_tests_pass_is_the_harness_error(pool: SandboxPool) -> None:
    """Objects do not cross (their code would): no candidate is blamed for the tests' array."""
    task = Task("t/np-objects", "def f(a):\n    pass\n", "f",
                CHECK + "    assert candidate(np.array([1, 'x'], dtype=object)) == 2\n")
    [verdict] = pool.run(task, [Candidate(task.task_id, "c", "def f(a):\n    return len(a)\n")])
    assert verdict.status is Status.ERROR and "dtype object" in verdict.detail, verdict.detail


@pytest.mark.parametrize("returned", ["np.zeros(2_000_000)", "np.array([1, 'x'], dtype=object)"])
def test_an_array_that_cannot_cross_is_the_candidates_failure(pool: SandboxPool, returned: str) -> None:
    """Larger than a reply carries, or of objects: the candidate's ``failed`` (docs/LIMITS.md)."""
    task = Task("t/np-uncrossed", "def f(a):\n    pass\n", "f", CHECK + "    candidate(1)\n")
    answer = f"import numpy as np\n\ndef f(a):\n    return {returned}\n"
    [verdict] = pool.run(task, [Candidate(task.task_id, "c", answer)])
    assert verdict.status is Status.FAILED, verdict.detail


def test_the_tests_broadcasting_a_wrong_answers_array_meet_a_memory_limit(pool: SandboxPool) -> None:
    """A 2 MB answer the tests' ``==`` broadcast to 9 GB: the tests' ``MemoryError``, at
    once, where it took the test server's memory past a gigabyte at 500 columns (a
    forty-first red team); the next job runs as ever."""
    task = Task("t/np-broadcast", "def f(a):\n    pass\n", "f",
                CHECK + "    assert (candidate(1) == np.arange(5000)).all()\n")
    answer = "import numpy as np\n\ndef f(a):\n    return np.zeros((2_000_000, 1), bool)\n"
    [verdict] = pool.run(task, [Candidate(task.task_id, "c", answer)])
    assert verdict.status is Status.FAILED and "MemoryError" in verdict.detail, verdict.detail
    after = Task("t/np-after", "def f(a):\n    pass\n", "f", CHECK + "    assert candidate(np.arange(3)).sum() == 6\n")
    [then] = pool.run(after, [Candidate(after.task_id, "c", "def f(a):\n    return a * 2\n")])
    assert then.status is Status.PASSED, then.detail


def test_a_large_array_in_a_failure_note_is_shown_short(pool: SandboxPool) -> None:
    """numpy prints 2**22 items on axes of 2 whole: the note took seconds, a wrong answer's
    ``failed`` became a ``timeout`` (a forty-first red team)."""
    task = Task("t/np-note", "def f(a):\n    pass\n", "f", CHECK + "    assert candidate(1) is None\n")
    answer = "import numpy as np\n\ndef f(a):\n    return np.zeros((2,) * 22, np.int8)\n"
    [verdict] = pool.run(task, [Candidate(task.task_id, "c", answer)])
    assert verdict.status is Status.FAILED and "4194304 items of int8" in verdict.detail, verdict.detail


def _no_room(mib: int) -> str:
    """Tests that take the test server's address space up to ``mib`` MiB of its limit
    (untouched: no memory of the machine's is used)."""
    return (f"    reserve = np.empty({mib} << 20, np.uint8)\n    pads, size = [], 1 << 32\n"
            "    while size >= 1 << 16:\n        try:\n            pads.append(np.empty(size, np.uint8))\n"
            "        except MemoryError:\n            size //= 2\n    del reserve\n")


RAISES = "    try:\n        candidate(-1)\n    except Exception:\n        pass\n    else:\n        raise AssertionError('no exception')\n"


@pytest.mark.parametrize("how", ["a call", "a call made back from the tests' function"])
def test_the_tests_out_of_memory_reading_a_reply_is_the_candidates_memory(pool: SandboxPool, how: str) -> None:
    """The tests leave the test server almost no memory and expect the call to raise; a
    wrong answer returns 8 MB instead. Reading its reply raised our ``MemoryError`` into
    the tests, which caught it: a forged pass (a forty-second red team; made back from a
    function of the tests' the candidate called, a forty-third)."""
    if how == "a call":
        test = CHECK + _no_room(3) + RAISES
    else:
        test = CHECK + "    def g(n):\n" + textwrap.indent(_no_room(40) + RAISES, "    ") + "        return 'raised'\n" \
            + "    assert candidate(g) == 'raised'\n"
    task = Task("t/np-no-room", "def f(n):\n    pass\n", "f", test)
    wrong = ("def f(n):\n    if callable(n):\n        return n(-1)\n"
             "    return [float(i) + 0.5 for i in range(900_000)]\n")
    right = "def f(n):\n    if callable(n):\n        return n(-1)\n    raise ValueError(n)\n"
    verdicts = pool.run(task, [Candidate(task.task_id, "wrong", wrong), Candidate(task.task_id, "right", right)])
    assert [v.status for v in verdicts] == [Status.MEMORY, Status.PASSED], [v.detail for v in verdicts]


def test_what_a_jobs_tests_hold_is_let_go_when_the_job_ends(pool: SandboxPool) -> None:
    """Tests holding 1.2 GB of address space at module level: their namespace, a cycle
    through their functions, outlived each job, and the fifth job's tests failed to load
    (the harness's ``error``; a forty-third red team)."""
    task = Task("t/np-held", "def f(x):\n    pass\n", "f",
                "import numpy as np\nBIG = np.empty(1_200_000_000, np.uint8)\n\ndef check(candidate):\n"
                "    assert candidate(1) == 1\n")
    verdicts = [pool.run(task, [Candidate(task.task_id, "c", "def f(x):\n    return x\n")])[0] for _ in range(5)]
    assert [v.status for v in verdicts] == [Status.PASSED] * 5, [v.detail for v in verdicts]


def test_a_raised_exception_the_tests_catch_lets_go_of_their_frame(pool: SandboxPool) -> None:
    """The candidate's exception, raised into the tests from a name of our frame, held
    that frame and with it the tests' frames and their 3 GB of locals until the
    collector ran: the next job could not have its own 3.5 GB (a forty-third red team)."""
    catching = Task("t/np-catch", "def f(n):\n    pass\n", "f",
                    CHECK + "    pads = np.empty(3_000_000_000, np.uint8)\n    try:\n        candidate(-1)\n"
                    "    except ValueError:\n        pass\n")
    later = Task("t/np-later", "def f(n):\n    pass\n", "f",
                 CHECK + "    room = np.empty(3_500_000_000, np.uint8)\n    assert candidate(1) == 1\n")
    assert_the_next_task_starts_clean(pool, catching, later, leaving_answer="def f(n):\n    raise ValueError(n)\n")


ROOMY = Task("t/np-roomy", "def f(x):\n    pass\n", "f",
             "import decimal, sys\nimport numpy as np\nROOM = np.empty(3_500_000_000, np.uint8)\n\n"
             "def check(candidate):\n    assert print.__name__ == 'print'\n"
             "    assert str(decimal.Decimal(1) / 7) == '0.1428571428571428571428571429'\n"
             "    assert len(str(10 ** 1000)) == 1001 and sys.stdout is sys.__stdout__\n    assert candidate(3) == 3\n")
"""A job that needs 3.5 GB of the test server's 4 GiB (untouched), and the builtins."""
ANNOTATED = "from typing import Optional\n\nclass Node:\n    pass\n\ndef f(x: Optional[Node]) -> int:\n"
LEAVING = {
    "the candidate keeps a view of the tests' 3 GB": (
        CHECK + "    big = np.empty(3 << 30, np.uint8)\n    assert candidate(big[:4]) == 4\n    assert candidate(5) == 5\n",
        "K = []\n\ndef f(x):\n    K.append(x)\n    return len(x) if hasattr(x, '__len__') else x\n"),
    "the tests keep the exception they caught": (
        CHECK + "    big = np.empty(3 << 30, np.uint8)\n    try:\n        candidate(-1)\n"
        "    except ValueError as e:\n        err = e\n",
        "def f(x):\n    raise ValueError(x)\n"),
    "the tests' print is their own": (
        "import builtins\nseen = []\n\ndef check(candidate):\n    builtins.print = lambda *a: seen.append(a)\n"
        "    assert candidate(1) == 1\n",
        "def f(x):\n    return x\n"),
    "the tests make the collector keep all garbage": (
        CHECK + "    import gc\n    gc.set_debug(gc.DEBUG_SAVEALL)\n    ring = [np.empty(3 << 30, np.uint8)]\n"
        "    ring.append(ring)\n    assert candidate(1) == 1\n",
        "def f(x):\n    return x\n"),
    "the tests leave a tracer of theirs set": (
        "import sys\ncalls = []\n\ndef check(candidate):\n    sys.settrace(lambda *a: calls.append(a) and None)\n"
        "    assert candidate(1) == 1\n",
        "def f(x):\n    return x\n"),
    "the tests free large blocks below what they keep": (
        CHECK + "    np.empty(1 << 23, np.uint8)\n    held = [np.empty(4 << 20, np.uint8) for _ in range(300)]\n"
        "    import fractions, re\n    re.compile('pinned' + str(len(held)))\n    assert candidate(1) == 1\n",
        "def f(x):\n    return x\n"),
    "the tests set the decimal context, the int text limit and stdout": (
        "import decimal, io, sys\n\ndef check(candidate):\n    decimal.getcontext().prec = 3\n"
        "    sys.set_int_max_str_digits(640)\n    sys.stdout = io.StringIO()\n    assert candidate(1) == 1\n",
        "def f(x):\n    return x\n"),
    "the tests keep data on a class the prompt names in an annotation": (
        CHECK + "    Node.table = np.empty(3 << 30, np.uint8)\n    assert candidate(Node()) == 1\n",
        ANNOTATED + "    return 1\n"),
}


@pytest.mark.parametrize("leaving", list(LEAVING))
def test_what_a_job_leaves_does_not_reach_the_next(pool: SandboxPool, leaving: str) -> None:
    """A job's memory outlived it through cycles until the collector ran (the proxy and
    what it kept, the tests' frame and the exception it keeps), and under the test
    server's limit failed the next job's tests, or was its harness ``error``; a patched
    ``builtins.print`` reached the next task's tests (the forty-fourth red team); so did
    the collector's settings, a tracer (the server went down) and a class typing's
    caches kept (the forty-sixth)."""
    test, answer = LEAVING[leaving]
    prompt = ANNOTATED + "    pass\n" if "annotation" in leaving else "def f(x):\n    pass\n"
    task = Task("t/np-leaving", prompt, "f", test)
    assert_the_next_task_starts_clean(pool, task, ROOMY, leaving_answer=answer)


def test_the_tests_out_of_memory_sending_back_the_candidates_value_is_no_pass(pool: SandboxPool) -> None:
    """A wrong answer's 8 MB reply that the tests send back to it, with the test server
    near its limit (a forty-fourth red team): the harness's ``error`` (where our sending
    meets ``MemoryError``: docs/LIMITS.md) or the candidate's own, never a pass."""
    task = Task("t/np-send-back", "def f(x):\n    pass\n", "f",
                CHECK + "    r = candidate(1)\n" + _no_room(20) + "    assert candidate(r) == 3\n")
    wrong = ("def f(x):\n    if type(x) is list:\n        return len(x)\n"
             "    return [float(i) + 0.5 for i in range(900_000)]\n")
    [verdict] = pool.run(task, [Candidate(task.task_id, "c", wrong)])
    assert verdict.status is not Status.PASSED, verdict.detail


def test_a_prompt_class_named_in_an_annotation_keeps_no_job_alive(pool: SandboxPool) -> None:
    """``Optional[Node]`` puts the job's ``Node`` into typing's cache, and through its
    methods the tests' namespace with their 1.2 GB: the fourth job failed to load (a
    forty-fifth red team)."""
    prompt = ("from typing import Optional\n\nclass Node:\n    def __init__(self, v, nxt=None):\n"
              "        self.v = v\n        self.next = nxt\n\ndef f(n: Optional[Node]) -> int:\n")
    task = Task("t/np-annotated", prompt, "f",
                "import numpy as np\nTABLE = np.empty(1_200_000_000, np.uint8)\n\ndef check(candidate):\n"
                "    assert candidate(Node(1, Node(2))) == 3\n")
    answer = prompt + "    return n.v + n.next.v\n"
    verdicts = [pool.run(task, [Candidate(task.task_id, "c", answer)])[0] for _ in range(6)]
    assert [v.status for v in verdicts] == [Status.PASSED] * 6, [v.detail for v in verdicts]


def test_a_slow_finalizer_of_what_the_job_made_does_not_decide_its_verdict(pool: SandboxPool) -> None:
    """The prompt's ``Node.__del__`` sleeps on a ring of one; a right answer returns one.
    Collected after the job, outside its deadline, it ran on past it: a ``timeout`` (a
    forty-fifth red team). Plain Python records the verdict before it runs."""
    prompt = ("import time\n\nclass Node:\n    def __init__(self, v):\n        self.v = v\n        self.next = None\n\n"
              "    def __del__(self):\n        if self.next is self:\n            time.sleep(8)\n\ndef f(n):\n")
    task = Task("t/np-finalizer", prompt, "f", "def check(candidate):\n    assert candidate(Node(7)).v == 7\n")
    ring = prompt + "    m = Node(n.v)\n    m.next = m\n    return m\n"
    started = time.monotonic()
    [verdict] = pool.run(task, [Candidate(task.task_id, "c", ring)])
    assert verdict.status is Status.PASSED and time.monotonic() - started < 3, verdict.detail


def test_a_tasks_builtins_do_not_reach_our_code_for_the_next_task(pool: SandboxPool) -> None:
    """A task's tests that set ``builtins.compile`` made the next task fail to load (a
    forty-fifth red team)."""
    patching = Task("t/np-compile", "def f(x):\n    pass\n", "f",
                    "import builtins\nbuiltins.compile = lambda *a, **k: None\n\ndef check(candidate):\n"
                    "    assert candidate(1) == 1\n")
    later = Task("t/np-compiled", "def f(x):\n    pass\n", "f", "def check(candidate):\n    assert candidate(2) == 2\n")
    assert_the_next_task_starts_clean(pool, patching, later)


CLEAN_NEXT = Task("t/np-clean-next", "def f(x):\n    pass\n", "f",
                  "import decimal\n\ndef check(candidate):\n    assert candidate(3) == 3\n    assert abs(-3) == 3\n"
                  "    assert str(decimal.Decimal(1) / 7) == '0.1428571428571428571428571429'\n")
"""A task whose tests need the builtins and the decimal context as a fresh interpreter has them."""


@pytest.mark.parametrize("tests", [
    "import builtins\n\ndef check(candidate):\n    builtins.abs = lambda x: 0\n    builtins.any = lambda it: False\n"
    "    assert candidate(1) == 1\n",
    "import builtins\n\ndef check(candidate):\n    assert candidate(1) == 1\n    builtins.len = lambda x: 0\n"
    "    assert candidate(2) == 5\n",
], ids=["builtins.any patched beside another", "builtins.len patched, then a failed assertion"])
def test_the_tests_builtins_are_put_back_whichever_they_patch(pool: SandboxPool, tests: str) -> None:
    """Our check of the builtins used the tests' ``any`` and found nothing changed, and
    our code after the tests ran on their ``len`` and took the server down (a
    forty-eighth red team)."""
    task = Task("t/np-patching", "def f(x):\n    pass\n", "f", tests)
    [first] = pool.run(task, [Candidate(task.task_id, "c", "def f(x):\n    return x\n")])
    [then] = pool.run(CLEAN_NEXT, [Candidate(CLEAN_NEXT.task_id, "c", "def f(x):\n    return x\n")])
    want = Status.FAILED if "== 5" in tests else Status.PASSED
    assert (first.status, then.status) == (want, Status.PASSED), (first.detail, then.detail)


def test_a_job_past_its_deadline_still_puts_the_interpreter_back() -> None:
    """Tests that swallow their deadline's alarms and then return a list whose freeing
    spans the next alarm: it was raised by the very call that held the alarm back for
    the cleanup, and nothing was put back for the next task (a forty-eighth red team)."""
    swallowing = Task("t/np-swallowing", "def f(x):\n    pass\n", "f",
                      "import builtins, decimal, time\n\ndef check(candidate):\n    assert candidate(1) == 1\n"
                      "    builtins.abs = lambda x: 0\n    decimal.getcontext().prec = 3\n"
                      "    big = [float(i) for i in range(12_000_000)]\n    caught = 0\n    while True:\n        try:\n"
                      "            while True:\n                time.sleep(10)\n        except BaseException:\n"
                      "            caught += 1\n            if caught >= 2:\n                return big\n")
    with SandboxPool(workers=1, limits=SandboxLimits(wall_seconds=2)) as fresh:
        [first] = fresh.run(swallowing, [Candidate(swallowing.task_id, "c", "def f(x):\n    return x\n")])
        [then] = fresh.run(CLEAN_NEXT, [Candidate(CLEAN_NEXT.task_id, "c", "def f(x):\n    return x\n")])
    assert (first.status, then.status) == (Status.TIMEOUT, Status.PASSED), (first.detail, then.detail)
