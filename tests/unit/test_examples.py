"""Tasks without tests: the prompt's own examples become the test, and results say so."""

import json
from pathlib import Path

from sampler.backends.replay import ReplayBackend
from sampler.config import SampleConfig
from sampler.core.api import solve
from tasks.examples import assert_examples, doctest_examples, example_count, examples_test, inline_examples
from tasks.schema import load_tasks, task_to_dict
from tasks.types import Task
from tests.unit.fakes import MarkerVerifier, fenced
from verifiers.types import Candidate, Status
from verifiers.unit_tests import UnitTestVerifier

DOCTEST_PROMPT = '''from typing import List


def below(xs: List[int], t: int) -> bool:
    """Whether every number is below t.
    >>> below([1, 2, 4, 10], 100)
    True
    >>> below([1, 20, 4, 10], 5)  # one is not
    False
    >>> below([1], x)
    True
    >>> below([], 1)
    Traceback (most recent call last):
    ValueError: empty
    >>> mean_of([1.0, 2.0])
    1.5
    """
'''
INLINE_PROMPT = '''def half(x: float) -> float:
    """Half of x.
    half(3) == 1.5
    half(10) ➞ 5.0
    half(a) => 2
    half(-2) -> -1.0
    """
'''
MBPP_PROMPT = '"""\nWrite a function to add two numbers.\nassert add(2, 3) == 5\nassert add(0, 0) == 0  # zero\n"""\n'


def test_doctest_lines_with_literal_outputs_calling_the_function_become_examples() -> None:
    # The comment goes; a placeholder name, an exception and another function's call are skipped.
    assert doctest_examples(DOCTEST_PROMPT, "below") == [
        ("below([1, 2, 4, 10], 100)", "True"), ("below([1, 20, 4, 10], 5)", "False")]


def test_inline_and_assert_examples() -> None:
    assert inline_examples(INLINE_PROMPT, "half") == [
        ("half(3)", "1.5"), ("half(10)", "5.0"), ("half(-2)", "-1.0")]
    assert assert_examples(MBPP_PROMPT, "add") == ["assert add(2, 3) == 5", "assert add(0, 0) == 0"]
    assert examples_test('def f(x):\n    """Does things."""\n', "f") == ""
    assert (example_count(DOCTEST_PROMPT, "below"), example_count(INLINE_PROMPT, "half"),
            example_count(MBPP_PROMPT, "add"), example_count(MBPP_PROMPT + MBPP_PROMPT, "add")) == (2, 3, 2, 2)


def _checks(prompt: str, entry_point: str, answer: str) -> bool:
    namespace: dict[str, object] = {}
    exec(prompt + answer, namespace)  # noqa: S102 - our own test code
    exec(examples_test(prompt, entry_point), namespace)  # noqa: S102
    try:
        namespace["check"](namespace[entry_point])  # type: ignore[operator]
    except AssertionError:
        return False
    return True


def test_a_printed_example_compares_what_print_shows() -> None:
    """``>>> print(f(x))`` shows str() of the value, and print returns None: compared whole,
    every right answer failed, and an example showing None passed anything (red team)."""
    prompt = ('def greet(name: str) -> str:\n    """Greets.\n    >>> print(greet("Ann"))\n    Hello, Ann!\n'
              '    >>> print(greet("Bo"))\n    Hello,\n    Bo!\n    """\n')
    assert doctest_examples(prompt, "greet") == [("_bestofn_printed(greet('Ann'), 'Hello, Ann!')", "True")]  # one line only
    assert _checks(prompt, "greet", "    return f'Hello, {name}!'\n")
    assert not _checks(prompt, "greet", "    return f'Hi, {name}!'\n")
    nothing = 'def f(x: int) -> int:\n    """Doc.\n    >>> print(f(2))\n    None\n    """\n'
    assert not _checks(nothing, "f", "    return 4\n")
    # The line as shown, less the example's indentation (stripped, '   ab' was 'ab': a
    # second red team); a float within the tolerance, as an example without print.
    padded = 'def pad(w: str, n: int) -> str:\n    """Doc.\n    >>> print(pad("ab", 5))\n       ab\n    """\n'
    assert _checks(padded, "pad", "    return w.rjust(n)\n") and not _checks(padded, "pad", "    return w\n")
    mean = 'def mean(xs: list) -> float:\n    """Doc.\n    >>> print(mean([0.1, 0.2, 0.3]))\n    0.2\n    """\n'
    assert _checks(mean, "mean", "    return sum(xs) / len(xs)\n")
    assert not _checks(mean, "mean", "    return 0.3\n")


def test_what_an_example_cannot_state_is_no_example_and_never_breaks_the_test() -> None:
    """A third red team: a comment after the value swallowed the assert's parenthesis (the
    test did not compile and the task was refused); print with ``end=``, ``sep=`` or
    ``*args`` was compared as print's None; a printed ``...`` elides; tabs expand as in doctest."""
    commented = 'def f(x: int) -> int:\n    """Doc.\n    f(2) \u279e 4  # two times two\n    >>> f(3)\n    6  # six\n    """\n'
    assert inline_examples(commented, "f") == [("f(2)", "4")] and doctest_examples(commented, "f") == [("f(3)", "6")]
    assert _checks(commented, "f", "    return 2 * x\n") and not _checks(commented, "f", "    return x\n")
    for shown in ('print(f(1), end="")\n    2', "print(*f(1))\n    2", 'print(f(1), f(2), sep=",")\n    2,4',
                  "print(f(1))\n    [1, 2, ...]"):
        prompt = f'def f(x: int) -> int:\n    """Doc.\n    >>> {shown}\n    """\n'
        assert doctest_examples(prompt, "f") == [], shown
    tabbed = 'def f(s: str) -> str:\n\t"""Doc.\n\t>>> print(f("ab"))\n        ab\n\t"""\n'
    assert _checks(tabbed, "f", "\treturn s\n") and not _checks(tabbed, "f", "\treturn ' ' + s\n")
    deep = "[" * 200 + "]" * 200  # the parser takes 200 levels alone, not inside the assert
    nested = f'def f(x: int) -> list:\n    """Doc.\n    >>> f(1)\n    {deep}\n    >>> f(2)\n    2\n    """\n'
    assert doctest_examples(nested, "f")[0] == ("f(1)", deep)  # a literal, alone
    assert examples_test(nested, "f").count("assert _bestofn_same") == 1  # not one that compiles in the test


def test_an_elided_output_is_no_example() -> None:
    """``[0, 1, 1, 2, 3, 5, ...]`` elides the rest; read as Python's ``...`` no answer
    equalled it, so the task could never be solved (red team)."""
    prompt = 'def fib(n: int) -> list:\n    """Doc.\n    >>> fib(20)\n    [0, 1, 1, 2, 3, 5, ...]\n    >>> fib(2)\n    [0, 1]\n    """\n'
    assert doctest_examples(prompt, "fib") == [("fib(2)", "[0, 1]")]
    assert inline_examples('def f(n):\n    """D.\n    f(3) ==> [1, ...]\n    """\n', "f") == []


def test_one_value_in_parentheses_may_be_a_tuple_of_one() -> None:
    """HumanEval/148 writes ``bf("Earth", "Mercury") ==> ("Venus")`` for a tuple of one: read as
    a string, every right answer failed (red team). Either reading passes; others do not."""
    prompt = 'def bf(a, b):\n    """Doc.\n    bf("Earth", "Mercury") ==> ("Venus")\n    """\n'
    assert _checks(prompt, "bf", "    return ('Venus',)\n") and _checks(prompt, "bf", "    return 'Venus'\n")
    assert not _checks(prompt, "bf", "    return ('Venus', 'Mars')\n") and not _checks(prompt, "bf", "    return ()\n")


def test_the_examples_test_runs_in_the_sandbox(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in [
        {"task_id": "T/below", "prompt": DOCTEST_PROMPT, "entry_point": "below"},
        {"task_id": "T/half", "prompt": INLINE_PROMPT, "entry_point": "half"},
        {"task_id": "T/none", "prompt": 'def f(x):\n    """Does things."""\n', "entry_point": "f"},
    ]))
    below, half, none = load_tasks(path)
    assert (below.test_origin, half.test_origin, none.test_origin) == ("examples", "examples", "none")
    assert none.test == "" and "test" not in task_to_dict(below)
    with UnitTestVerifier(workers=1) as verifier:
        right, wrong = verifier.verify(below, [
            Candidate(below.task_id, "r", DOCTEST_PROMPT + "    return all(x < t for x in xs)\n"),
            Candidate(below.task_id, "w", DOCTEST_PROMPT + "    return True\n")])
        assert right.status is Status.PASSED and wrong.status is Status.FAILED
        assert "below([1, 20, 4, 10], 5)" in wrong.detail
        # Floats within 1e-6: 1.5000000001 is 1.5.
        [close] = verifier.verify(half, [Candidate(half.task_id, "c", INLINE_PROMPT + "    return x / 2 + 1e-10\n")])
        assert close.status is Status.PASSED, close.detail


def test_results_say_what_a_pick_rests_on(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in [
        {"task_id": "T/given", "prompt": "def f0(x: int) -> int:\n", "entry_point": "f0",
         "test": "def check(candidate):\n    assert candidate(1) == 1\n"},
        {"task_id": "T/below", "prompt": DOCTEST_PROMPT, "entry_point": "below"},
        {"task_id": "T/none", "prompt": 'def f(x):\n    """Does things."""\n', "entry_point": "f"},
    ]))
    answers = {"T/given": [fenced("def f0(x: int) -> int:\n    return x  # correct\n")],
               "T/below": [fenced("def below(xs, t):\n    return True  # correct\n")],
               "T/none": [fenced("def f(x):\n    return x  # wrong\n")]}
    report = solve(load_tasks(path), out=tmp_path / "run", backend=ReplayBackend(answers),
                   verifier=MarkerVerifier(), sample=SampleConfig(n=1))
    by_id = {r.task_id: r for r in report.results}
    assert [by_id[t].selection for t in ("T/given", "T/below", "T/none")] == ["tests", "examples", "checks"]
    assert report.summary.tasks_by_selection == {"tests": 1, "examples": 1, "checks": 1}
    assert "with tests: 1/1; without tests: 0/1 picked on syntax and types only (no examples), " \
           "1/1 picked on the prompt's examples" in "\n".join(report.summary.lines())


def test_examples_deep_or_many_are_read_safely_and_in_linear_time() -> None:
    """An example 900 operators deep parsed and then overflowed ast.unparse (a
    traceback); 100,000 doctest lines took seconds per thousand (red team)."""
    import time

    import inspect
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 300)  # ast.unparse fails at this depth, wherever this runs
    try:
        for line in ("f(" + "-" * 900 + "1) == 2", "f(1" + "+1" * 900 + ") ➞ 2", "assert f(" + "-" * 900 + "1) == 2"):
            prompt = f'def f(x):\n    """Doc.\n    {line}\n    """\n'
            assert inline_examples(prompt, "f") == [] and assert_examples(prompt, "f") == []
    finally:
        sys.setrecursionlimit(limit)
    assert len(doctest_examples('def f(x):\n    """Doc.\n' + "    >>> f(1)\n    2\n" * 1000 + '    """\n', "f")) == 1000
    many = 'def f(x):\n    """Doc.\n' + "    >>> x\n" * 100_000 + '    """\n'
    start = time.monotonic()
    assert doctest_examples(many, "f") == []
    assert time.monotonic() - start < 5  # 0.6 s here; each line copying the rest took minutes


LIST_PROMPT = '''class ListNode:
    def __init__(self, val=0, next=None):
        self.val = val
        self.next = next


def length(head):
    """Number of nodes in the linked list.
    >>> length(ListNode(1, ListNode(2)))
    2
    >>> length(Unknown(1))
    1
    >>> length(None)
    0
    """
'''


def test_an_example_may_build_the_prompts_own_objects() -> None:
    """What the prompt defines is loaded where the examples run, and its objects cross to
    the candidate: the example is kept (before, only ``length(None)`` was, and an answer
    wrong on every list passed). A name the prompt does not define is still a placeholder."""
    assert doctest_examples(LIST_PROMPT, "length") == [
        ("length(ListNode(1, ListNode(2)))", "2"), ("length(None)", "0")]
    task = load_tasks_from_rows([{"task_id": "T/length", "prompt": LIST_PROMPT, "entry_point": "length"}])
    with UnitTestVerifier(workers=1) as verifier:
        right, wrong = verifier.verify(task, [
            Candidate(task.task_id, "r", LIST_PROMPT + "    n = 0\n    while head:\n        n, head = n + 1, head.next\n"
                      "    return n\n"),
            Candidate(task.task_id, "w", LIST_PROMPT + "    return 1 if head else 0\n")])
    assert right.status is Status.PASSED, right.detail
    assert wrong.status is Status.FAILED and "ListNode(1, ListNode(2))" in wrong.detail


def load_tasks_from_rows(rows: list[dict[str, str]]) -> Task:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        (task,) = load_tasks(path)
    return task


def test_an_example_calling_what_the_prompt_leaves_to_the_candidate_is_no_example() -> None:
    """A fifteenth red team: ``f(square(3))`` ran the prompt's empty ``square`` where the
    tests run, and every right answer failed on ``None + 1``; plain Python runs the
    candidate's. A helper the prompt writes in full is the prompt's, and kept."""
    stub = ('def square(x):\n    """Return x squared."""\n\nclass Stack:\n    def push(self, x):\n        ...\n\n'
            'def double(x):\n    return 2 * x\n\n'
            'def f(x):\n    """Square plus one.\n    >>> f(square(3))\n    10\n    >>> f(len(Stack().items))\n    1\n'
            '    >>> f(double(2))\n    5\n    """\n')
    assert doctest_examples(stub, "f") == [("f(double(2))", "5")]
