"""Agreement between candidates: outputs collected in the sandbox, grouping, the pick, when to stop."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tasks.examples import with_example_tests
from tasks.types import Task
from verifiers.agreement import Group, Pick, corroborated, group, leader, pick, same_output, same_tree, settled
from verifiers.edge_inputs import edge_calls
from verifiers.timeouts import FLOOR_SECONDS
from verifiers.outputs import (
    Behaviour,
    Kind,
    Output,
    OutputCollector,
    OutputsConfig,
    parse_report,
    task_inputs,
)
from verifiers.sandbox import JobReport, SandboxPool
from verifiers.stated_domain import Domain
from verifiers.types import Candidate, Status


def value(tree: object) -> Output:
    return Output(Kind.VALUE, tree)


def behaviour(cid: str, *outputs: Output) -> Behaviour:
    return Behaviour(cid, tuple(outputs))


# --------------------------------------------------------------------------- the rule, as data


def test_values_agree_as_plain_data_with_exact_types() -> None:
    assert same_tree({"l": [1, "a", None]}, {"l": [1, "a", None]})
    assert not same_tree(1, 1.0) and not same_tree(True, 1) and not same_tree({"l": [1]}, {"t": [1]})
    assert not same_tree({"l": [1, 2]}, {"l": [1, 2, 3]})
    assert same_tree({"d": [["\"k\"", 2.5]]}, {"d": [["\"k\"", 2.5]]})
    assert not same_tree({"d": [["\"k\"", 2.5]]}, {"d": [["\"j\"", 2.5]]})


def test_floats_agree_within_a_relative_tolerance() -> None:
    assert same_tree(1.0, 1.0 + 1e-9) and same_tree(1e6, 1e6 * (1 + 5e-7))
    assert not same_tree(1.0, 1.0001) and not same_tree(1e6, 1e6 * (1 + 2e-6))
    assert same_tree(0.0, 1e-10)  # the absolute floor near zero
    assert same_tree(math.nan, math.nan) and not same_tree(math.nan, 1.0)
    assert same_tree({"t": [1.0, 2.0]}, {"t": [1.0 + 1e-9, 2.0]})


def test_exceptions_timeouts_and_crashes_are_outputs_of_their_own_kind() -> None:
    raised_value, raised_index = Output(Kind.RAISED, "ValueError"), Output(Kind.RAISED, "IndexError")
    assert same_output(raised_value, raised_index)  # which exception is incidental
    assert same_output(Output(Kind.TIMEOUT), Output(Kind.TIMEOUT))
    assert not same_output(Output(Kind.TIMEOUT), Output(Kind.CRASHED))
    assert not same_output(raised_value, value(None)) and not same_output(Output(Kind.TIMEOUT), value(None))


def test_groups_form_in_order_around_their_first_member() -> None:
    a = behaviour("a", value(1), Output(Kind.RAISED, "ValueError"))
    b = behaviour("b", value(2), value(0))
    c = behaviour("c", value(1), Output(Kind.RAISED, "ZeroDivisionError"))
    d = behaviour("d", value(2), value(0))
    e = behaviour("e", value(1), Output(Kind.TIMEOUT))
    broken = Behaviour("x", error="infrastructure: the sandbox failed")
    empty = Behaviour("y")
    groups = group([a, broken, b, c, d, e, empty])
    assert groups == (Group(("a", "c")), Group(("b", "d")), Group(("e",)))


def test_the_pick_is_the_largest_group_and_ties_go_to_the_earliest() -> None:
    one, two = value(1), value(2)
    tie = [behaviour("s0", two), behaviour("s1", one), behaviour("s2", one), behaviour("s3", two)]
    chosen = pick(tie, examples=1)
    assert chosen is not None and chosen.candidate_id == "s0"  # 2 against 2: the group formed first
    assert (chosen.group, chosen.candidates, chosen.groups, chosen.inputs, chosen.examples) == (2, 4, 2, 1, 1)
    assert chosen.share == 0.5
    ahead = pick([behaviour("s0", two), behaviour("s1", one), behaviour("s2", one)])
    assert ahead is not None and ahead.candidate_id == "s1" and ahead.group == 2
    assert pick([Behaviour("s0", error="broken")]) is None and leader(()) is None


def test_a_pick_is_corroborated_by_a_majority_a_passed_test_and_values_everywhere() -> None:
    strong = Pick("c0", group=3, candidates=5, groups=2, inputs=8, tests=4, tests_passed=1, answered=8)
    assert corroborated(strong)
    # Each part is needed: a strict majority, a model test passed, a value on every input.
    assert not corroborated(Pick("c0", 2, 4, 2, 8, tests=4, tests_passed=1, answered=8))
    assert not corroborated(Pick("c0", 3, 5, 2, 8, tests=4, tests_passed=0, answered=8))
    assert not corroborated(Pick("c0", 3, 5, 2, 8, tests=4, tests_passed=1, answered=7))
    assert not corroborated(Pick("c0", 3, 5, 2, 0, tests=0, tests_passed=0, answered=0))
    # A task whose examples the candidates passed needs the majority, and values on at
    # least half the inputs beyond the examples: a lookup table of the two examples that
    # raises everywhere else agreed with another by raising (red team), agreeing on nothing.
    assert corroborated(Pick("c0", 3, 5, 2, 8, examples=2, answered=5), examples_passed=True)
    assert not corroborated(Pick("c0", 3, 5, 2, 8, examples=2, answered=4), examples_passed=True)
    assert not corroborated(Pick("c0", 3, 5, 2, 62, examples=2, answered=2), examples_passed=True)
    assert not corroborated(Pick("c0", 2, 4, 2, 8, answered=8), examples_passed=True)


def test_a_pick_on_one_example_needs_a_model_test_when_the_model_wrote_some() -> None:
    one_example = dict(group=4, candidates=5, groups=2, inputs=12, examples=1, answered=12)
    # The model's tests exist and the pick passes none of them: one example is not enough.
    assert not corroborated(Pick("c0", **one_example, tests=7, tests_passed=0), examples_passed=True)
    assert corroborated(Pick("c0", **one_example, tests=7, tests_passed=1), examples_passed=True)
    # No usable model test: the example and the majority decide, as before.
    assert corroborated(Pick("c0", **one_example, tests=0, tests_passed=0), examples_passed=True)
    # Even when every candidate agrees: letting such picks on to the readers added 3 calls,
    # 1 wrong, on held-out set t (docs/SOLVING.md), so they stay withheld.
    unanimous = {**one_example, "group": 5, "groups": 1}
    assert not corroborated(Pick("c0", **unanimous, tests=7, tests_passed=0), examples_passed=True)
    # Two examples pin the reading: the model's tests are not required.
    two = {**one_example, "examples": 2}
    assert corroborated(Pick("c0", **two, tests=7, tests_passed=0), examples_passed=True)
    # The majority is still needed whatever the tests say.
    assert not corroborated(Pick("c0", 2, 4, 2, 12, 1, tests=7, tests_passed=7, answered=12),
                            examples_passed=True)


def test_the_pick_counts_the_inputs_it_answered_with_a_value() -> None:
    chosen = pick([behaviour("a", value(1), Output(Kind.RAISED, "ValueError")),
                   behaviour("b", value(1), Output(Kind.RAISED, "ValueError"))])
    assert chosen is not None and (chosen.inputs, chosen.answered) == (2, 1)


@pytest.mark.parametrize(("sizes", "remaining", "done"), [
    ((), 3, False),  # nothing grouped yet
    ((1,), 0, False),  # a lone candidate is no agreement, even with no sample left
    ((2,), 1, True),  # 2 against at most 1 to come
    ((2,), 2, False),  # a new group could tie it
    ((2, 1), 0, True),
    ((2, 1), 1, False),  # the runner-up could tie
    ((3, 1), 1, True),
    ((3, 2), 0, True),
    ((3, 3), 0, False),  # a tie is not a lead
])
def test_settled_when_no_other_group_can_catch_up(sizes: tuple[int, ...], remaining: int, done: bool) -> None:
    groups = [Group(tuple(f"g{i}m{j}" for j in range(size))) for i, size in enumerate(sizes)]
    assert settled(groups, remaining) is done


def test_malformed_reports_are_refused_not_guessed() -> None:
    def report(text: str, status: Status = Status.PASSED) -> JobReport:
        return JobReport(status, "", 0.0, returned=text)

    assert parse_report(report('{"o":[["v",1],["x","KeyError"]],"stop":""}'), 2) == [
        value(1), Output(Kind.RAISED, "KeyError")]
    assert parse_report(report('{"o":[["v",1]],"stop":"t"}'), 3) == [value(1), Output(Kind.TIMEOUT)]
    assert parse_report(report('{"o":[],"stop":"c"}', Status.MEMORY), 3) == [Output(Kind.CRASHED)]
    # The job's wall passed in the third call, each call within its own limit: that call
    # has no output (the next job resumes there), rather than a timeout of its own.
    spent = JobReport(Status.TIMEOUT, "wall-clock limit exceeded", 0.0, returned='{"o":[["v",1],["v",2]],"stop":"c"}',
                      spent=True)
    assert parse_report(spent, 5) == [value(1), value(2)]
    # Nothing returned: the calls were never reached; every one takes the job's kind.
    assert parse_report(report("", Status.TIMEOUT), 2) == [Output(Kind.TIMEOUT)] * 2
    for bad in ('{"o":[["v",1]],"stop":""}', '{"o":[["q",1],["v",2]],"stop":""}', "[1]", "{",
                '{"o":[["v",1],["v",2],["v",3]],"stop":""}', '{"o":[],"stop":"e"}'):
        with pytest.raises(ValueError):
            parse_report(report(bad), 2)
    with pytest.raises(ValueError):
        parse_report(JobReport(Status.ERROR, "infrastructure: gone", 0.0), 2)


# --------------------------------------------------------------------------- in the sandbox

PROMPT = '''from typing import List


def total(xs: List[int]) -> float:
    """The sum of xs, as a float.
    >>> total([1, 2])
    3.0
    """
'''
TASK = Task("T/total", PROMPT, "total", "", test_origin="none")
BODIES = {
    "right": "    return float(sum(xs))\n",
    "close": "    return sum(xs) * (1 + 1e-9)\n",  # the same within the float tolerance
    "first": "    return xs[0] + 0.0\n",  # wrong
    "looping": "    if len(xs) > 2:\n        while True:\n            pass\n    return float(sum(xs))\n",
    "looping_too": "    while len(xs) > 2:\n        xs = xs + [0]\n    return float(sum(xs))\n",
    "exits": "    import os\n    if len(xs) > 2:\n        os._exit(3)\n    return float(sum(xs))\n",
    "own_error": "    class Nope(Exception):\n        pass\n    if len(xs) > 2:\n        raise Nope()\n"
                 "    return float(sum(xs))\n",
    "value_error": "    if len(xs) > 2:\n        raise ValueError('too long')\n    return float(sum(xs))\n",
}


@pytest.fixture(scope="module")
def collector() -> Iterator[OutputCollector]:
    config = OutputsConfig(inputs=6, per_call_seconds=0.3)
    with SandboxPool(workers=2) as pool, OutputCollector(pool=pool, config=config) as c:
        yield c


def test_inputs_are_the_examples_calls_then_their_edges_then_generated_ones() -> None:
    inputs = task_inputs(TASK, OutputsConfig(inputs=6))
    assert inputs.examples == 1 and inputs.calls[0] == ([1, 2],)
    edges = edge_calls([([1, 2],)])
    assert list(inputs.calls[1:1 + len(edges)]) == edges
    assert 3 + len(edges) <= len(inputs.calls) <= 7 + len(edges) and all(type(c[0]) is list for c in inputs.calls)
    assert task_inputs(TASK, OutputsConfig(inputs=6)) == inputs  # the same inputs every time
    untyped = Task("T/u", 'def f(x):\n    """No examples."""\n', "f", "", test_origin="none")
    assert task_inputs(untyped, OutputsConfig()).calls == ()


def test_a_task_without_a_def_gets_inputs_from_its_example_calls() -> None:
    # MBPP's style: a sentence and an assert; no signature to read types from.
    prompt = '"""\nWrite a function to sum the digits of a year.\nassert digit_sum(2024, "x") == 8\n"""\n'
    task = with_example_tests(Task("T/mbpp", prompt, "digit_sum", "", test_origin="none"))
    inputs = task_inputs(task, OutputsConfig(inputs=6))
    assert inputs.examples == 1 and inputs.calls[0] == (2024, "x")
    assert (2000, "x") in inputs.calls and (0, "x") in inputs.calls and (2024, "") in inputs.calls
    generated = inputs.calls[1 + len(edge_calls([(2024, "x")])):]
    assert generated and all(type(a) is int and type(b) is str for a, b in generated)
    nothing = with_example_tests(Task("T/none", '"""\nWrite a function.\n"""\n', "f", "", test_origin="none"))
    assert task_inputs(nothing, OutputsConfig()).calls == ()


def test_edge_calls_move_one_argument_to_an_edge_the_task_admits() -> None:
    calls = edge_calls([([3, 1], "Ab", 2024)])
    assert ([], "Ab", 2024) in calls and ([3, 1, 3], "Ab", 2024) in calls and ([3, 1, 0], "Ab", 2024) in calls
    assert ([3, 1, 3, 1], "Ab", 2024) in calls  # every item repeated: a duplicate inside a run
    assert ([3, 1], "", 2024) in calls and ([3, 1], "aB", 2024) in calls
    assert ([3, 1], "Ab", 2000) in calls and ([3, 1], "Ab", -2024) in calls
    assert all(sum(a != b for a, b in zip(c, ([3, 1], "Ab", 2024))) == 1 for c in calls)
    assert len(calls) == len({repr(c) for c in calls}) and ([3, 1], "Ab", 2024) not in calls
    assert len(edge_calls([([3, 1], "Ab", 2024)], limit=3, inner_limit=0)) == 3
    assert len(edge_calls([([3, 1], "Ab", 2024)], limit=3, inner_limit=2)) == 5
    # What the task says of its domain holds: no empty input for "non-empty", no zero
    # or negative number for "positive" (inside containers too).
    stated = edge_calls([([3, 1], 7)], Domain.stated("Given a non-empty list of positive integers and k"))
    assert stated and all(c[0] and all(x > 0 for x in c[0]) and c[1] > 0 for c in stated)
    assert Domain.stated("a non-negative n") == Domain(negative=False)
    assert Domain.stated("any integer") == Domain()
    assert edge_calls([({"a": 1, "b": 2},)], inner_limit=0)[-1] == ({"a": 1, "b": 1},)  # ties
    # Where the task's words make case matter: letters of both cases side by side.
    cased = Domain.stated("count the repeated letters, ignoring case")
    assert ("aAbBc",) in edge_calls([("aabbc",)], cased) and ("aAbBc",) not in edge_calls([("aabbc",)])
    assert (["FIG", "fig"],) in edge_calls([(["pear", "fig"],)], cased)


def test_edge_calls_take_numbers_below_zero_and_to_zero_and_put_non_letters_where_the_task_speaks_of_them() -> None:
    # Set aa's indices_of_maximum: a running maximum started at 0 agreed with the right
    # answer on every input like its positive example; "positive" still rules it out.
    assert ([-1, -3, -2, -3],) in edge_calls([([1, 3, 2, 3],)], Domain.stated("a list of integers"))
    assert ([-1.5, 2.0],) in edge_calls([([1.5, -2.0],)])
    assert not any(min(c[0], default=0) < 0 for c in edge_calls([([1, 3],)], Domain.stated("positive integers")))
    assert not any(c[0] and min(c[0]) < 0 for c in edge_calls([([1, 3],)], Domain.stated("non-negative integers")))
    # Set y's every_other_upper: counting positions instead of letters agreed with the
    # right answer on every string of letters alone.
    told = Domain.stated("every non-letter character is kept unchanged and does not affect the alternation")
    assert told.non_letters and Domain.stated("ignoring punctuation").non_letters
    assert not Domain.stated("a string of lowercase letters").non_letters
    assert ("he1llo",) in edge_calls([("hello",)], told) and ("he!llo",) in edge_calls([("hello",)], told)
    assert not any("1" in c[0] or "!" in c[0] for c in edge_calls([("hello",)]))
    assert ("1!",) not in edge_calls([("1!",)], told)  # no letters: nothing to put between
    # Words that promise there are none put none in (red team: right answers split there).
    for none in ("s holds only letters, no punctuation", "without special characters", "without any punctuation"):
        assert not Domain.stated(none).non_letters, none
    # Set ad's is_private_ipv4: checking the address and not the private ranges agreed
    # with the right answer on every input like "192.168.1.20"; a number moved to 0 and 1
    # reaches a public address, as an int's own edges do.
    assert ("1.168.1.20",) in edge_calls([("192.168.1.20",)]) and ("0.168.1.20",) in edge_calls([("192.168.1.20",)])
    # A string that is a whole number is held to the words as that number (red team).
    positive = edge_calls([("42",)], Domain.stated("s is a string representing a positive integer"))
    assert ("1",) in positive and ("0",) not in positive and ("0",) in edge_calls([("42",)])


def test_what_the_words_promise_of_numbers_holds_at_every_depth_and_of_emptiness_only_at_the_top() -> None:
    # "lists of positive integers": a negative two levels down is outside the task too
    # (a red team: [[-1, -2], [3]] was made from [[1, 2], [3]]), and so is one among a
    # dict's values or a tuple's items, or a string that is a whole number.
    positive = Domain.stated("a list of lists of positive integers")
    assert not positive.admits([[-1, 2], [3]]) and not positive.admits([[[0]]])
    assert not positive.admits({"a": -1}) and not positive.admits([("x", -2)]) and not positive.admits("0")
    assert positive.admits([[1, 2], [3]]) and positive.admits({"a": 1}) and positive.admits([["1", "x"]])
    # A string that is a whole number is held as that number only as a whole argument:
    # in "fractions given as strings ... with a positive denominator" (set v), "-2" in
    # a list is a fraction (a red team).
    assert Domain.stated("fractions as strings such as '-3/4', with a positive denominator").admits(["-2", "0"])
    assert Domain().admits([[-1, 0], {"k": -2}])
    assert not Domain.stated("non-negative amounts").admits({"rent": {"may": -5}})
    # "a non-empty list of strings": the list, not each string.
    assert Domain.stated("a non-empty list of strings").admits(["", "a"])
    assert not Domain.stated("a non-empty list of strings").admits([])
    made = edge_calls([([[1, 2], [3]],)], positive)
    assert made and not any(x <= 0 for c in made for inner in c[0] for x in inner)


def test_a_promise_the_prompts_own_example_breaks_does_not_hold_its_argument() -> None:
    # HumanEval/30: "Return only positive numbers in the list", shown [-1, 2, -4, 5, 6].
    # The word is about the answer, not the list: the list's edges keep their negatives.
    words = Domain.stated("Return only positive numbers in the list.")
    assert not words.admits([-1, 2]) and words.fitted([-1, 2, -4, 5, 6]).admits([-1, 2])
    made = edge_calls([([-1, 2, -4, 5, 6],)], words)
    assert ([6, 5, -4, 2, -1],) in made and ([1, -2, 4, -5, -6],) in made
    # Only the promise it breaks: a list with no zero and no repeat keeps those.
    assert not words.fitted([-1, 2]).admits([0, 2])
    assert Domain.stated("a non-empty list").fitted([]).admits([])
    assert not Domain.stated("a list of distinct integers").fitted([1, 2]).admits([1, 1])
    assert Domain.stated("a list of distinct integers").fitted([1, 2, 2]).admits([1, 1])
    # What one example's argument breaks frees every example's argument there (a red team).
    made = edge_calls([([1, 2],), ([-1, 3],)], Domain.stated("a list of positive integers"))
    assert ([2, 1],) in made and ([-1, -2],) in made
    # NaN is neither above nor below zero: no promise judges it, and a domain always
    # admits the values it was fitted to.
    for value in (float("nan"), [1, float("nan")], {float("nan"): 1}, [-1, [0]], "", []):
        assert Domain.stated("a non-empty list of positive numbers").fitted(value).admits(value), value
    # Another argument's example keeps the promise: its edges are still held to it.
    made = edge_calls([([-3, 4], 2)], Domain.stated("k is a positive integer"))
    assert ([-3, 4], 0) not in made and ([-3, 4], -2) not in made and ([3, -4], 2) in made


def test_edge_calls_reach_inside_an_argument_and_other_kinds_where_the_task_speaks_of_them() -> None:
    # A list of dicts: the first dict emptied, its value moved to the value's own edges.
    plain = edge_calls([([{"c": "red"}, {"c": "blue"}], "c")])
    assert ([{}, {"c": "blue"}], "c") in plain and ([{"c": ""}, {"c": "blue"}], "c") in plain
    assert not any(None in c or None in c[0] or {"c": None} in c[0] for c in plain)
    # "a value of None still counts": None inside the input, though no example shows one.
    told = Domain.stated("count how many dicts hold each value under a key (a value of None still counts)")
    assert told.none and not told.kinds and not Domain.stated("a count, or 0 if there are none").none
    assert ([{"c": None}, {"c": "blue"}], "c") in edge_calls([([{"c": "red"}, {"c": "blue"}], "c")], told)
    # "not a dict": a value of another kind where the examples nest dicts, two levels down.
    path = Domain.stated("the default when a value met along the path is not a dict")
    assert path.kinds and Domain.stated("a list of non-string items").kinds and not Domain.stated("a list").kinds
    nested = edge_calls([({"a": {"b": {"c": 5}}}, "a.b.c")], path)
    assert ({"a": "b"}, "a.b.c") in nested and ({"a": {"b": "c"}}, "a.b.c") in nested  # ``"b" in value`` holds
    assert ({"a": {"b": 1}}, "a.b.c") in nested and ({"a": {"b": {"c": 5}}}, 5) in nested
    assert len(nested) == len({repr(c) for c in nested})


def test_edge_calls_stay_linear_and_never_follow_the_hash_seed() -> None:
    # 4,000 arguments whose edges "positive" all rules out: each refused edge costs its
    # argument's size, not the call's (8 s here when each paid the whole call).
    positive = Domain.stated("sum lists of positive integers")
    start = time.perf_counter()
    assert edge_calls([tuple([1] for _ in range(4000))], positive, limit=0) == []
    assert time.perf_counter() - start < 2.0
    # A set's text lists its members in hash order: no input is made of it.
    kinds = Domain.stated("an item that is not a set is skipped")
    made = edge_calls([([{"red", "green", "blue"}, {"x"}],)], kinds)
    texts = [v for c in made for v in (c[0] if type(c[0]) is list else [c[0]]) if type(v) is str]
    assert made and not any("{" in v for v in texts)


def test_outputs_are_collected_in_the_sandbox_and_grouped(collector: OutputCollector) -> None:
    candidates = [Candidate(TASK.task_id, name, PROMPT + body) for name, body in BODIES.items()]
    found = {b.candidate_id: b for b in collector.behaviours(TASK, candidates)}
    calls = collector.inputs(TASK).calls
    long = [i for i, c in enumerate(calls) if len(c[0]) > 2]
    assert long and all(not b.error and len(b.outputs) == len(calls) for b in found.values())
    assert found["right"].outputs[0] == value(3.0)
    assert found["right"].jobs == 1
    # A call past the per-call limit is a timeout, and the next job resumes after it.
    assert [found["looping"].outputs[i].kind for i in long] == [Kind.TIMEOUT] * len(long)
    assert found["looping"].jobs > 1
    assert found["exits"].outputs[long[0]].kind is Kind.CRASHED
    # An exception class of the candidate's own is an exception like a builtin one, and
    # the batch goes on after it: one job for every input.
    assert found["own_error"].outputs[long[0]].kind is Kind.RAISED
    assert found["own_error"].jobs == 1
    groups = {frozenset(g.members) for g in group(list(found.values()))}
    assert frozenset({"right", "close"}) in groups
    assert frozenset({"looping", "looping_too"}) in groups  # both time out on the same inputs
    assert frozenset({"own_error", "value_error"}) in groups
    assert frozenset({"first"}) in groups and frozenset({"exits"}) in groups
    chosen = pick([found[name] for name in BODIES])
    assert chosen is not None and chosen.candidate_id == "right" and chosen.group == 2
    # A twin (the same text) runs once and gets the same outputs under its own id.
    twin = collector.behaviours(TASK, [candidates[0], Candidate(TASK.task_id, "twin", candidates[0].source)])
    assert [b.candidate_id for b in twin] == ["right", "twin"] and twin[0].outputs == twin[1].outputs


def test_stop_iteration_is_an_output_and_the_inputs_after_it_still_run(collector: OutputCollector) -> None:
    """StopIteration (and any class the channel does not raise again) ended the batch;
    after ``max_jobs`` of them every input left was filled with "raised", and a wrong
    ``next(...)`` that returned a value on some of those inputs agreed with a right one
    (red team: the wrong one was called solved)."""
    right = "    return next(float(x) for x in xs if x > 0)\n"
    wrong = "    return next(float(x) for x in xs if 0 < x < 5)\n"  # wrong where the first positive is >= 5
    candidates = [Candidate(TASK.task_id, name, PROMPT + body) for name, body in (("right", right), ("wrong", wrong))]
    calls = [([-1, -2],)] * 0 + [([-1],), ([-2],), ([-3],), ([-4],), ([-5],), ([0, 7],), ([9, 1],)]
    mine, theirs = collector.behaviours_on(TASK, candidates, calls)
    assert [o.kind for o in mine.outputs] == [Kind.RAISED] * 5 + [Kind.VALUE] * 2, mine
    assert mine.outputs[5:] == (value(7.0), value(9.0)) and mine.jobs == 1
    assert theirs.outputs[5:] == (Output(Kind.RAISED, "StopIteration"), value(1.0))
    assert len(group([mine, theirs])) == 2


def test_a_slow_answer_is_not_a_timeout_for_being_slow_in_sum(collector: OutputCollector) -> None:
    """A job killed at its wall-clock limit with every call within its own limit resumes
    at the input it was on: a right answer at a fifth of the per-call limit a call was
    given a timeout on whichever input the job's wall fell in, and split from its fast
    twin (red team)."""
    slow = "    import time\n    time.sleep(0.06)\n    return float(sum(xs))\n"
    calls = [([i, 1],) for i in range(80)]  # 80 x 0.06 s = 4.8 s; one job's wall is 3.6 + 1.6 = 5.2 s
    fast, tired = collector.behaviours_on(TASK, [Candidate(TASK.task_id, "fast", PROMPT + BODIES["right"]),
                                                 Candidate(TASK.task_id, "slow", PROMPT + slow)], calls * 2)
    assert tired.jobs > 1, "the job's wall did not pass: the test shows nothing"
    assert tired.outputs == fast.outputs and all(o.kind is Kind.VALUE for o in tired.outputs)


def test_values_of_the_standard_library_and_generators_are_told_apart(collector: OutputCollector) -> None:
    """A Decimal, a Fraction or a returned generator could not cross at all before; once
    they could, each must be an output by what it holds, never by its type alone (all
    Decimals the same output would group a wrong answer with a right one)."""
    bodies = {
        "decimal": "    from decimal import Decimal\n    return Decimal(sum(xs)) / 4\n",
        "decimal_wrong": "    from decimal import Decimal\n    return Decimal(sum(xs)) / 5\n",
        "fraction": "    from fractions import Fraction\n    return Fraction(sum(xs), 3)\n",
        "generator": "    return (float(x) for x in xs)\n",
        "generator_wrong": "    return (float(x) for x in reversed(xs))\n",
        "generator_too": "    return map(float, xs)\n",
        # A nineteenth red team's: str() of a Fraction past 4,300 digits raised, and every
        # such output was "unencodable", equal to every other; so was a generator that
        # raised on the way, and endless ones lost their whole batch.
        "huge": "    from fractions import Fraction\n    return Fraction(1, 3 ** 9100 + sum(xs))\n",
        "huge_wrong": "    from fractions import Fraction\n    return Fraction(7, 3 ** 9100 + sum(xs) + 1)\n",
        "raises": "    yield 1\n    raise ValueError('x')\n",
        "raises_later": "    yield 1\n    yield 2\n    raise ValueError('x')\n",
        # That it raised, not what (as for a call): a thirty-third red team's two alike
        # but for the exception were split.
        "raises_other": "    yield 1\n    raise IndexError('y')\n",
        "endless": "    n = 0\n    while True:\n        yield n\n        n += sum(xs)\n",
        "endless_wrong": "    n = 0\n    while True:\n        yield n\n        n += 1\n",
        # A twentieth red team's: cut where it was run, an endless one agreed with one that
        # raised a RuntimeError there.
        # (Zeros: 100,000 of them are cut at the count, before the size.)
        "cut_there": "    yield from [0] * 100_000\n    raise RuntimeError('here')\n",
        "endless_zeros": "    while True:\n        yield 0\n",
        "endless_from_0": "    n = 0\n    while True:\n        yield n\n        n += 1\n",
    }
    candidates = [Candidate(TASK.task_id, name, PROMPT + body) for name, body in bodies.items()]
    found = collector.behaviours_on(TASK, candidates, [([1, 2],), ([5, 6, 9],)])
    groups = {frozenset(g.members) for g in group(found)}
    assert groups == {frozenset({"decimal"}), frozenset({"decimal_wrong"}), frozenset({"fraction"}),
                      frozenset({"generator", "generator_too"}), frozenset({"generator_wrong"}),
                      frozenset({"huge"}), frozenset({"huge_wrong"}), frozenset({"raises", "raises_other"}),
                      frozenset({"raises_later"}),
                      frozenset({"endless"}), frozenset({"endless_wrong", "endless_from_0"}),
                      frozenset({"cut_there"}), frozenset({"endless_zeros"})}, groups
    assert all(not b.error and len(b.outputs) == 2 for b in found), found


def test_candidates_run_on_given_calls_alone(collector: OutputCollector) -> None:
    """``behaviours_on``: outputs on exactly the calls given (a model's tests' calls), in order."""
    right, first = (Candidate(TASK.task_id, name, PROMPT + BODIES[name]) for name in ("right", "first"))
    mine, theirs = collector.behaviours_on(TASK, [right, first], [([5, -5, 2],), ([],)])
    assert mine.outputs == (value(2.0), value(0.0)) and len(theirs.outputs) == 2 and not mine.error


def test_one_behaviour_is_one_group_whichever_slot_runs_it(collector: OutputCollector) -> None:
    """Each sandbox server had a string hash seed of its own, so a set of words iterated
    in another order in each slot: six copies of one answer were split 3/3 by which slot
    ran them (a thirty-third red team). Every server now has the same seed."""
    prompt = 'from typing import List\n\n\ndef uniq(words: List[str]) -> List[str]:\n    """The distinct words."""\n'
    task = Task("T/uniq", prompt, "uniq", "", test_origin="none")
    copies = [Candidate(task.task_id, f"c{i}", prompt + f"    return list(set(words))  # {i}\n") for i in range(6)]
    words = (["apple", "pear", "fig", "kiwi", "plum", "lime", "apple"],)
    for _ in range(2):
        found = collector.behaviours_on(task, copies, [words])
        assert [g.members for g in group(found)] == [tuple(c.candidate_id for c in copies)]


def _bodies_on(collector: OutputCollector, prompt: str, entry: str, bodies: dict[str, str],
               calls: list[tuple[Any, ...]]) -> list[Behaviour]:
    """Each body, after ``prompt``, a candidate of one task without tests, run on ``calls``."""
    task = Task(f"T/{entry}", prompt, entry, "", test_origin="none")
    return collector.behaviours_on(task, [Candidate(task.task_id, k, prompt + b) for k, b in bodies.items()], calls)


def test_enum_members_and_named_tuples_are_told_apart_by_what_they_are(collector: OutputCollector) -> None:
    """Both were the "?" of their class: every member of an enum agreed with every other,
    so a sign that is always NEG grouped with the right one (a thirty-third red team)."""
    prompt = ("from enum import Enum\nfrom typing import NamedTuple\n\n\nclass Sign(Enum):\n    NEG = -1\n    ZERO = 0\n"
              "    POS = 1\n\n\nclass Span(NamedTuple):\n    lo: int\n    hi: int\n\n\ndef classify(x: int) -> Sign:\n"
              '    """The sign of x."""\n')
    bodies = {"right": "    return Sign.POS if x > 0 else Sign.NEG if x < 0 else Sign.ZERO\n",
              "right_too": "    return [Sign.NEG, Sign.ZERO, Sign.POS][(x > 0) - (x < 0) + 1]\n",
              "wrong": "    return Sign.NEG\n",
              "span": "    return Span(x, x + 1)\n", "span_too": "    return Span(lo=x, hi=1 + x)\n",
              "span_wrong": "    return Span(0, 0)\n", "tuple": "    return (x, x + 1)\n"}
    found = _bodies_on(collector, prompt, "classify", bodies, [(5,), (-3,), (0,)])
    assert [g.members for g in group(found)] == [("right", "right_too"), ("wrong",), ("span", "span_too"),
                                                 ("span_wrong",), ("tuple",)]


def test_objects_of_the_prompts_classes_are_outputs_by_what_they_hold(collector: OutputCollector) -> None:
    """They could not cross in a generated check's batch: every candidate that returned
    one crashed on every input, a right one and a wrong one alike, and all agreed (a
    thirty-third red team). Now each crosses with its attributes, and is compared by its
    class's name and what it holds, objects numbered in the order met (a cycle, a list
    of 3,000 nodes)."""
    prompt = ("from dataclasses import dataclass\nfrom typing import List, Optional\n\n\n@dataclass\nclass Pt:\n"
              "    x: int\n    y: int\n\n\nclass Node:\n    def __init__(self, val, nxt=None):\n        self.val = val\n"
              "        self.nxt = nxt\n\n\ndef make(n: int) -> List[Pt]:\n    \"\"\"Points.\"\"\"\n")
    chain = "    h = None\n    for i in range(n * 1000):\n        h = Node({}, h)\n    return [Pt(n, -n), h]\n"
    bodies = {"right": "    return [Pt(n, -n)]\n", "right_too": "    return [Pt(x=n, y=-n)]\n",
              "wrong": "    return [Pt(0, 0)]\n", "tuple": "    return [(n, -n)]\n",
              "chain": chain.format("i"), "chain_too": chain.format("i + 0"), "chain_wrong": chain.format("i % 2999"),
              "loop": "    a = Node(n)\n    a.nxt = a\n    return [a]\n",
              "loop_of_two": "    a = Node(n)\n    a.nxt = Node(n, a)\n    return [a]\n"}
    found = _bodies_on(collector, prompt, "make", bodies, [(2,), (3,)])
    assert all(o.kind is Kind.VALUE for b in found for o in b.outputs), found
    assert [g.members for g in group(found)] == [("right", "right_too"), ("wrong",), ("tuple",), ("chain", "chain_too"),
                                                 ("chain_wrong",), ("loop",), ("loop_of_two",)]


def test_equal_values_holding_objects_agree_whatever_order_they_were_built_in(collector: OutputCollector) -> None:
    """Objects were numbered in the order a set iterates or a dict was built: a dict of
    employees built backwards, a set of frozen points built downwards, and copies of one
    answer returning a set of cells hashed by their address (new addresses every job)
    each stood alone, and two wrong answers alike outvoted four right ones (a
    thirty-fifth red team)."""
    prompt = ("from dataclasses import dataclass\nfrom typing import Dict, List, Set\n\n\n@dataclass\nclass Emp:\n"
              "    name: str\n    age: int\n\n\n@dataclass(frozen=True)\nclass Pt:\n    x: int\n\n\nclass Cell:\n"
              "    def __init__(self, r):\n        self.r = r\n\n\ndef make(n: int) -> list:\n    \"\"\"Things.\"\"\"\n")
    bodies = {"emps": "    return [{str(i): Emp(str(i), i) for i in range(n)}]\n",
              "emps_backwards": "    return [{str(i): Emp(str(i), i) for i in reversed(range(n))}]\n",
              "points": "    return [{Pt(i) for i in range(n)}]\n",
              "points_down": "    return [{Pt(i) for i in range(n - 1, -1, -1)}]\n",
              **{f"cells{i}": f"    return [{{Cell(i) for i in range(n)}}]  # {i}\n" for i in range(4)},
              "empty": "    return [set()]\n", "empty_too": "    return [set()]  # too\n"}
    found = _bodies_on(collector, prompt, "make", bodies, [(3,), (8,)])
    assert [g.members for g in group(found)] == [("emps", "emps_backwards"), ("points", "points_down"),
                                                 ("cells0", "cells1", "cells2", "cells3"), ("empty", "empty_too")]


def test_ordering_members_that_hold_objects_costs_what_they_hold(collector: OutputCollector) -> None:
    """A thirty-sixth red team's: numbered, then put in order and numbered again, every
    level of nested dicts doubled the work (20 levels with an object at the bottom were a
    timeout, and agreed with other timeouts); a node whose children are itself, shown
    whole at every depth, wrote one text of 635 MiB; and members that differ only in
    what they share with the rest of the value (``[c, {Box(c), Box(d)}]``) followed the
    addresses they got."""
    prompt = ("class Leaf:\n    def __init__(self, v):\n        self.v = v\n\n\nclass Box:\n    def __init__(self, leaf):\n"
              "        self.leaf = leaf\n\n\nclass Node:\n    def __init__(self, s, k):\n        self.s = s\n"
              "        self.kids = [self] * k\n\n\ndef make(n: int) -> list:\n    \"\"\"Things.\"\"\"\n")
    nested = "    d = {{'leaf': Leaf({})}}\n    for _ in range(n):\n        d = {{'next': d}}\n    return [d]\n"
    bodies = {"nested": nested.format(0), "nested_too": nested.format("0 + 0"), "nested_other": nested.format(1),
              "fan_out": "    return [{Node('é' * 200_000 + str(n), 12)}]\n",
              "shared": ("    c, d = Leaf(0), Leaf(0)\n    a, b = Box(c), Box(d)\n"
                         "    return [c, {a, b}, {a: 'shared', b: 'own'}]\n"),
              "shared_built_backwards": ("    c, d = Leaf(0), Leaf(0)\n    a, b = Box(c), Box(d)\n    m = {b: 'own'}\n"
                                         "    m[a] = 'shared'\n    return [c, {b, a}, m]\n")}
    started = time.monotonic()
    found = _bodies_on(collector, prompt, "make", bodies, [(20,), (60,)])
    assert all(o.kind is Kind.VALUE for b in found for o in b.outputs), found
    assert [g.members for g in group(found)] == [("nested", "nested_too"), ("nested_other",), ("fan_out",),
                                                 ("shared", "shared_built_backwards")]
    assert time.monotonic() - started < 10


def test_one_slow_set_up_call_a_job_is_no_timeout(collector: OutputCollector) -> None:
    """The sandbox lets one call a job take the set-up allowance (``with_set_up_call``);
    the collecting check's own alarm stopped it at the per-call limit, so a right answer
    that builds a table on first use was a timeout on every input, each new job paying
    the set-up again (a thirty-third red team)."""
    set_up = "_table = []\n\n\ndef _set_up():\n    import time\n    if not _table:\n        time.sleep(1.0)\n        _table.append(1)\n"
    fast = Candidate(TASK.task_id, "fast", PROMPT + BODIES["right"])
    slow = Candidate(TASK.task_id, "slow", set_up + PROMPT + "    _set_up()\n" + BODIES["right"])
    found = collector.behaviours_on(TASK, [fast, slow], [([1, 2],), ([3],), ([4, 5],)])
    assert [g.members for g in group(found)] == [("fast", "slow")], found


def test_oversized_outputs_are_compared_by_digest(collector: OutputCollector) -> None:
    big = "    return [float(x) for x in xs] * 1000\n"
    candidates = [Candidate(TASK.task_id, c, PROMPT + big) for c in ("a", "b")]
    candidates.append(Candidate(TASK.task_id, "c", PROMPT + "    return [float(x) for x in xs] * 999\n"))
    found = collector.behaviours(TASK, candidates)
    assert set(found[0].outputs[0].value) == {"h"}
    assert group(found) == (Group(("a", "b")), Group(("c",)))


def test_nested_sets_are_encoded_in_time_linear_in_their_size(collector: OutputCollector) -> None:
    """Set members were encoded as text, escaped again at every level up: 28 nested
    frozensets took the test server past 1 GiB and its job past the wall, with no alarm
    reaching it (red team). Same sets built in other orders still agree."""
    nested = ("    v = frozenset({'\"'})\n    for _ in range(28):\n        v = frozenset({v, len(xs)})\n"
              "    return {v: sorted(xs)}\n")
    reordered = ("    v = frozenset({'\"'})\n    for _ in range(28):\n        v = frozenset({len(xs), v})\n"
                 "    return dict([(v, sorted(xs))])\n")
    candidates = [Candidate(TASK.task_id, "nested", PROMPT + nested),
                  Candidate(TASK.task_id, "reordered", PROMPT + reordered)]
    started = time.monotonic()
    found = collector.behaviours(TASK, candidates)
    assert time.monotonic() - started < 5.0
    assert all(o.kind is Kind.VALUE and set(o.value) == {"d"} for b in found for o in b.outputs), found
    assert group(found) == (Group(("nested", "reordered")),)


def test_a_reply_slow_to_decode_is_that_inputs_timeout(collector: OutputCollector) -> None:
    """The batch's replies were read and decoded outside any alarm: a candidate whose
    answers took seconds each to decode held the slot for all of them, past every
    per-call limit (red team: 26 s for 12 inputs, 1 s each). Now each reply is read
    under the call's alarm, like the call itself."""
    slow = ("import struct, sys\n"
            "_cs = sys.modules['bestofn_runtime.candidate_calls']\n"
            "_BODY = ','.join(['{\"l\":[0]}'] * 700000)\n"
            "def _slow(fn, nonce, arguments, shared, carry=False):\n"
            "    b = ('{\"n\":\"%s\",\"r\":{\"l\":[%s]}}' % (nonce, _BODY)).encode()\n"
            "    return struct.pack('>I', len(b)) + b, []\n"
            "_cs._reply = _slow\n")
    started = time.monotonic()
    [found] = collector.behaviours(TASK, [Candidate(TASK.task_id, "slow", slow + PROMPT + BODIES["right"])])
    seconds = time.monotonic() - started
    assert not found.error
    assert found.outputs[0].kind is Kind.TIMEOUT, found.outputs[0]
    # 4 jobs (each resumes after a timeout), each reply but the first of a job stopped
    # at 0.3 s: bounded by the jobs, whatever the inputs. The first may take the job's
    # one set-up call (3 s), as the channel allows it: 13.4 s here (3.4 s when the
    # check stopped it at 0.3 s, which made a right answer's one-off set-up a timeout
    # on every input); before any alarm, 13.3 s, and more with every input.
    assert seconds < 4 * (FLOOR_SECONDS + 1.0), seconds


def test_only_calls_and_tests_the_channel_carries_are_used() -> None:
    from tasks.model_tests import parse_model_tests
    from verifiers.outputs import carried, carried_tests

    deep: Any = []
    for _ in range(101):
        deep = [deep]
    assert carried((1, "a", [2.5], {"k": (None,)}, 1j)) and not carried((deep,)) and not carried((print,))
    too_deep = "[" * 101 + "]" * 101
    tests = parse_model_tests(f"assert f(1) == 2\nassert f({too_deep}) == 2\nassert f(3) == {too_deep}\n", "f")
    assert len(tests) == 3  # each reads back as the literal it is
    assert [t.call for t in carried_tests(tests)] == [(1,)]
