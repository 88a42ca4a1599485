"""Tests a model wrote: parsed as literals only, collected like a candidate, and weighed by dual agreement."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from sampler.core.test_writing import TEST_PREFILL, request_for_tests, writing_prompt_id, parse_answer
from tasks.model_tests import ModelTest, expectation_source, parse_model_tests
from tasks.types import Task
from verifiers.agreement import dual_pick, dual_settled, model_tests_passed, pick
from verifiers.outputs import Behaviour, Kind, Output, OutputCollector, OutputsConfig
from verifiers.sandbox import SandboxPool
from verifiers.types import Candidate

ANSWER = """```python
assert add(2, 3) == 5, "small"
assert add(-1, 1) == 0
assert add(2, 3) == 6
assert add(x, 1) == 2
assert add(1, 2) != 4
assert add(1, 2) == sum([1, 2])
assert add(1, b=2) == 3
assert add(1e999, 1) == 1e999
assert mul(2, 3) == 6
assert add([1], [2]) == [1, 2]
assert add(10,
"""


def test_only_literal_calls_of_the_entry_point_compared_with_eq_are_kept() -> None:
    tests = parse_model_tests(ANSWER, "add")
    # The first answer for an input wins (the later (2, 3) == 6 is dropped); names,
    # keywords, other comparisons, computed expectations, inf, other functions and a
    # cut-off line are not tests.
    assert [(t.call, t.expected) for t in tests] == [((2, 3), 5), ((-1, 1), 0), (([1], [2]), [1, 2])]
    assert tests[0].line == "assert add(2, 3) == 5, 'small'"
    assert len(parse_model_tests("\n".join(f"assert add({i}, 0) == {i}" for i in range(40)), "add", limit=5)) == 5
    assert parse_model_tests("", "add") == () and parse_model_tests("assert add(1) == 1", "sub") == ()


def test_the_expectations_are_a_function_of_literals() -> None:
    tests = (ModelTest((2, 3), 5, ""), ModelTest(([1], "a"), {"k": (1.5, None)}, ""))
    namespace: dict[str, object] = {}
    exec(expectation_source("add", tests), namespace)  # our own code, built from literals
    add = namespace["add"]
    assert add(2, 3) == 5 and add([1], "a") == {"k": (1.5, None)}  # type: ignore[operator]
    with pytest.raises(KeyError):
        add(9, 9)  # type: ignore[operator]


def test_the_expectations_are_found_whatever_the_hash_seed_of_the_process_running_them() -> None:
    """The table was keyed by ``repr(args)`` written here and looked up by one written in
    the sandbox: a set's repr follows each process's string hash seed, so a test whose
    argument is a set of strings lost its expected value at random (a thirty-third red
    team: 8 of 8 runs for four words)."""
    words = ["apple", "pear", "fig", "kiwi", "plum", "lime"]
    tests = parse_model_tests(f"assert count({set(words)!r}, {{'b': {{1, 2}}, 'a': None}}) == 6\n", "count")
    source = expectation_source("count", tests)
    for seed in ("1", "2", "3"):
        run = subprocess.run([sys.executable, "-c", source + f"print(count(set({words!r}), {{'a': None, 'b': {{2, 1}}}}))"],
                             env={"PYTHONHASHSEED": seed}, capture_output=True, text=True, timeout=30)
        assert run.stdout.strip() == "6", run.stderr


def test_the_request_is_greedy_and_its_answer_starts_as_a_test() -> None:
    task = Task("T/add", 'def add(a: int, b: int) -> int:\n    """Sum."""\n', "add", "", test_origin="none")
    request = request_for_tests(task, seed=0, prefill=True)
    assert request.temperature == 0.0 and request.completions == 1
    assert request.prefill == TEST_PREFILL.format(entry="add") and request.messages is not None
    assert "def add(a: int, b: int)" in request.messages[0].content
    assert request_for_tests(task, seed=0, prefill=False).prefill == ""
    assert parse_answer(task, request.prefill + "1, 2) == 3\nassert add(0, 0) == 0\n")[0].call == (1, 2)
    assert len(writing_prompt_id()) == 12


def value(tree: object) -> Output:
    return Output(Kind.VALUE, tree)


def test_dual_agreement_weighs_groups_by_the_tests_they_pass() -> None:
    # Inputs 0-1 generated, 2-4 the model's tests. "wrong" and "wrong2" make the same
    # mistake; "right" alone passes the model's three tests.
    expected = Behaviour("expected", (Output(Kind.RAISED, "KeyError"),) * 2 + (value(1), value(2), value(3)))
    right = Behaviour("right", (value(0), value(5), value(1), value(2), value(3)))
    wrong = Behaviour("wrong", (value(0), value(6), value(1), value(0), value(0)))
    wrong2 = Behaviour("wrong2", wrong.outputs)
    positions = [2, 3, 4]
    assert model_tests_passed(right, expected, positions) == 3 and model_tests_passed(wrong, expected, positions) == 1
    plain = pick([wrong, right, wrong2])
    assert plain is not None and plain.candidate_id == "wrong"  # size alone: the repeated mistake
    chosen = dual_pick([wrong, right, wrong2], expected, positions)
    # 1 x (1 + 3) = 4 against 2 x (1 + 1) = 4: a tie goes to the group formed first...
    assert chosen is not None and chosen.candidate_id == "wrong"
    # ... and one more test the mistake fails tips it.
    more = Behaviour("expected", expected.outputs + (value(4),))
    right2 = Behaviour("right", right.outputs + (value(4),))
    wrong3, wrong4 = (Behaviour(n, wrong.outputs + (value(0),)) for n in ("wrong", "wrong2"))
    chosen = dual_pick([wrong3, right2, wrong4], more, positions + [5])
    assert chosen is not None and chosen.candidate_id == "right" and (chosen.tests, chosen.tests_passed) == (4, 4)
    assert chosen.group == 1 and chosen.candidates == 3


def test_a_test_no_candidate_passes_changes_nothing() -> None:
    expected = Behaviour("expected", (value(99),))
    a, b, c = (Behaviour(n, (value(v),)) for n, v in (("a", 1), ("b", 2), ("c", 2)))
    chosen = dual_pick([a, b, c], expected, [0])
    assert chosen is not None and chosen.candidate_id == "b" and chosen.tests == 1 and chosen.tests_passed == 0
    assert dual_pick([], expected, [0]) is None


@pytest.fixture(scope="module")
def collector() -> Iterator[OutputCollector]:
    with SandboxPool(workers=1) as pool, OutputCollector(pool=pool, config=OutputsConfig(inputs=4)) as c:
        yield c


def test_model_inputs_are_collected_after_the_tasks_own(collector: OutputCollector) -> None:
    prompt = 'def add(a: int, b: int) -> int:\n    """Sum.\n    >>> add(1, 1)\n    2\n    """\n'
    task = Task("T/add", prompt, "add", "", test_origin="none")
    tests = parse_model_tests("assert add(1, 1) == 2\nassert add(20, 22) == 42\nassert add(2, 2) == 5\n", "add")
    extra = [t.call for t in tests]
    calls = collector.inputs(task, extra).calls
    assert calls[0] == (1, 1) and calls[-2:] == ((20, 22), (2, 2))  # (1, 1) is an example already
    assert collector.inputs(task).calls == calls[:-2]
    where = {repr(c): i for i, c in enumerate(calls)}
    positions = [where[repr(t.call)] for t in tests]
    [expected] = collector.behaviours(task, [Candidate(task.task_id, "e", expectation_source("add", tests))], extra)
    right = Candidate(task.task_id, "right", prompt + "    return a + b\n")
    off = Candidate(task.task_id, "off", prompt + "    return a + b + (a > 10)\n")
    found = collector.behaviours(task, [right, off], extra)
    assert [model_tests_passed(b, expected, positions) for b in found] == [2, 1]
    chosen = dual_pick(found, expected, positions)
    assert chosen is not None and chosen.candidate_id == "right" and (chosen.tests, chosen.tests_passed) == (3, 2)


def test_sampling_stops_only_when_no_group_could_outscore_the_leader() -> None:
    expected = Behaviour("expected", (value(1), value(2), value(3)))
    wrong = [Behaviour(n, (value(0), value(0), value(0))) for n in ("w1", "w2")]
    right = [Behaviour(n, (value(1), value(2), value(3))) for n in ("r1", "r2")]
    # Two agree on a mistake; one sample more, passing all three tests, would score 4 > 2.
    assert not dual_settled(wrong, expected, [0, 1, 2], remaining=1)
    assert dual_settled(wrong, expected, [0, 1, 2], remaining=0)
    # Two agree and pass every test (2 x 4 = 8): neither the mistake with a sample more
    # (3 x 1) nor a new group (1 x 4) can reach it.
    assert dual_settled(right + wrong[:1], expected, [0, 1, 2], remaining=1)
    assert not dual_settled(right[:1], expected, [0, 1, 2], remaining=0)  # one alone never settles
