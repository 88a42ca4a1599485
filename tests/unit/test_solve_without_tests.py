"""solve on tasks that came without tests: draw past the first pass, stop once agreement is settled, pick by it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sampler.backends.replay import ReplayBackend
from sampler.config import BudgetConfig, EscalationConfig, SampleConfig
from sampler.core.api import solve
from sampler.core.selection import pool_behaviours
from sampler.core.written_tests import WRITTEN_TESTS, read_written, write_tests
from sampler.storage.records import SampleRecord, TaskResult, result_from_dict, to_json_dict
from sampler.terminal.report import write_report
from tasks.errors import TaskFormatError
from tasks.types import Task
from tests.unit.fakes import MarkerVerifier, fenced, make_task
from verifiers.outputs import Behaviour, Inputs, Kind, Output
from verifiers.types import Candidate, Status


class FakeCollector:
    """Outputs read off an ``out=X`` marker in the candidate (nothing runs)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.calls_run: list[list[tuple[Any, ...]]] = []

    def inputs(self, task: Task) -> Inputs:
        return Inputs(((1,), (2,)), examples=1)

    def behaviours(self, task: Task, candidates: Sequence[Candidate]) -> list[Behaviour]:
        out = []
        for c in candidates:
            self.seen.append(c.candidate_id)
            label = self._marker("out", c.source)
            assert label is not None, c.source
            out.append(Behaviour(c.candidate_id, (Output(Kind.VALUE, label), Output(Kind.VALUE, 0))))
        return out

    def behaviours_on(self, task: Task, candidates: Sequence[Candidate],
                      calls: Sequence[tuple[Any, ...]]) -> list[Behaviour]:
        """On other calls, a candidate returns its ``tests=Y`` marker where it has one, else its ``out``."""
        self.calls_run.append(list(calls))
        return [Behaviour(c.candidate_id, tuple(Output(Kind.VALUE, self._marker("tests", c.source)
                                                       or self._marker("out", c.source)) for _ in calls))
                for c in candidates]

    @staticmethod
    def _marker(name: str, source: str) -> str | None:
        match = re.search(name + r"=(\w+)", source)
        return match.group(1) if match else None


def untested(i: int) -> Task:
    task = make_task(i)
    return Task(task.task_id, task.prompt, task.entry_point, "", test_origin="examples")


def answers(task_id: str, labels: Sequence[str]) -> dict[str, list[str]]:
    """One passing answer per label (the marker verifier passes them all), in sample order."""
    return {task_id: [fenced(f"def f0(x: int) -> int:\n    return x  # correct out={label}\n")
                      for label in labels]}


def run(tmp_path: Path, task: Task, labels: Sequence[str], n: int, collector: FakeCollector | None = None,
        agreement: bool = True) -> tuple[TaskResult, ReplayBackend]:
    backend = ReplayBackend(answers(task.task_id, labels))
    report = solve([task], out=tmp_path, backend=backend, verifier=MarkerVerifier(),
                   sample=SampleConfig(n=n), budget=BudgetConfig(wave=1), outputs=collector or FakeCollector(),
                   agreement=agreement)
    [result] = report.results
    return result, backend


def test_an_untested_task_draws_until_the_leader_cannot_be_caught(tmp_path: Path) -> None:
    # A, B, B, B: after four, B has 3 against 1 with one sample left: settled.
    result, backend = run(tmp_path, untested(0), ["A", "B", "B", "B", "A"], n=5)
    assert result.samples_drawn == 4 and len(backend.requests_seen) == 4
    assert result.selection == "agreement" and result.candidate_id == "s1"  # B's first member
    assert (result.agreement_group, result.agreement_candidates, result.agreement_groups) == (3, 4, 2)
    assert result.agreement_share == 0.75 and result.agreement_inputs == 2 and result.agreement_examples == 1
    assert result.stop_reason == "agreement: 3 of 4 agree"
    assert result.solution is not None and "out=B" in result.solution


def test_unanimous_candidates_stop_as_soon_as_the_rest_cannot_outvote_them(tmp_path: Path) -> None:
    result, _ = run(tmp_path, untested(0), ["A"] * 6, n=6)
    # Two agree with four samples left could still lose; four against two left cannot.
    assert result.samples_drawn == 4 and result.candidate_id == "s0" and result.agreement_group == 4


def test_when_samples_run_out_the_largest_group_wins_and_ties_go_to_the_earliest(tmp_path: Path) -> None:
    result, _ = run(tmp_path / "tie", untested(0), ["A", "B", "B", "A"], n=4)
    assert result.samples_drawn == 4 and result.stop_reason == "samples spent: 2 of 4 agree"
    assert (result.agreement_group, result.agreement_candidates) == (2, 4)
    # The pick is s0's group; a tie is no majority, so it is a guess, not a solution.
    assert not result.solved and result.guess is not None and "out=A" in result.guess


def with_examples(count: int) -> Task:
    """A task without tests whose prompt states ``count`` doctest examples of ``f0``."""
    doctests = "".join(f"    >>> f0({k})\n    {k}\n" for k in range(count))
    prompt = f'def f0(x: int) -> int:\n    """Return x.\n{doctests}    """\n'
    return Task("T/0", prompt, "f0", "", test_origin="examples")


def test_one_candidate_is_no_agreement_and_is_called_solved_on_two_examples_not_one(tmp_path: Path) -> None:
    result, _ = run(tmp_path / "two", with_examples(2), ["A"], n=1)
    assert result.solved and result.selection == "examples" and result.agreement_group == 0
    # One example fixes one point of the function: a lone candidate that fits it is a guess.
    result, _ = run(tmp_path / "one", with_examples(1), ["A"], n=1)
    assert not result.solved and result.guess is not None and result.agreement_group == 0


def test_tasks_with_tests_still_stop_at_their_first_pass(tmp_path: Path) -> None:
    collector = FakeCollector()
    result, backend = run(tmp_path / "t", make_task(0), ["A", "B", "B", "B"], n=4, collector=collector)
    assert result.samples_drawn == 1 and result.candidate_id == "s0" and result.selection == "tests"
    assert result.stop_reason == "passed" and result.agreement_group == 0
    assert collector.seen == []  # nothing was run for agreement
    # Agreement off: a task without tests is picked as one with tests.
    off, _ = run(tmp_path / "off", untested(0), ["A", "B", "B", "B"], n=4, collector=collector, agreement=False)
    assert off.samples_drawn == 1 and off.selection == "examples" and collector.seen == []


def test_samples_from_an_earlier_run_are_grouped_on_resume() -> None:
    known: dict[str, Behaviour] = {}
    collector = FakeCollector()
    samples = [SampleRecord("T/0", i, f"s{i}", "m", passed, Status.PASSED if passed else Status.FAILED, 1,
                            f"def f0(x):\n    return x  # out={label}\n")
               for i, (passed, label) in enumerate([(False, "A"), (True, "B"), (True, "C")])]
    found = pool_behaviours(untested(0), reversed(samples), known, collector)
    assert [b.candidate_id for b in found] == ["s1", "s2"] and collector.seen == ["s1", "s2"]
    pool_behaviours(untested(0), samples, known, collector)
    assert collector.seen == ["s1", "s2"]  # each is run once


def test_results_round_trip_with_the_agreement_counts_and_old_lines_still_load() -> None:
    result = TaskResult("T/0", True, "x", "m", 4, 10, 1.0, selection="agreement", agreement_group=3,
                        agreement_candidates=4, agreement_share=0.75, agreement_groups=2, agreement_inputs=51,
                        agreement_examples=2)
    assert result_from_dict(to_json_dict(result), "here") == result
    old = {"task_id": "T/0", "solved": True, "solution": "x", "model": "m", "samples_drawn": 1,
           "tokens_generated": 1, "seconds": 1.0, "selection": "examples"}
    loaded = result_from_dict(old, "old")
    assert loaded.agreement_group == 0 and loaded.agreement_share == 0.0
    for bad in ({**old, "selection": "agreement"}, {**old, "agreement_group": 2, "agreement_candidates": 2},
                {**old, "selection": "agreement", "agreement_group": 3, "agreement_candidates": 2}):
        with pytest.raises(TaskFormatError):
            result_from_dict(bad, "bad")


# --------------------------------------------------------------------------- the real sandbox

PROMPT = '''def double(x: int) -> int:
    """Twice x.
    >>> double(2)
    4
    """
'''


def test_a_replayed_solve_picks_by_agreement_in_the_sandbox(tmp_path: Path) -> None:
    # s0 passes the example and is wrong elsewhere: the first-pass pick. s1 and s2 agree.
    bodies = ["    return x * x\n", "    return 2 * x\n", "    return x + x\n"]
    task = Task("T/double", PROMPT, "double", "", test_origin="none")
    from tasks.examples import with_example_tests

    task = with_example_tests(task)
    assert task.test_origin == "examples"
    backend = ReplayBackend({task.task_id: [fenced(PROMPT + body) for body in bodies]})
    report = solve([task], out=tmp_path, backend=backend, verifiers=["syntax", "tests"],
                   sample=SampleConfig(n=3), budget=BudgetConfig(wave=1))
    [result] = report.results
    assert result.samples_drawn == 3 and result.selection == "agreement"
    assert result.candidate_id == "s1" and (result.agreement_group, result.agreement_candidates) == (2, 3)
    assert result.agreement_examples == 1 and result.agreement_inputs > 10
    lines = "\n".join(report.summary.lines())
    assert "1/1 picked on agreement between candidates" in lines
    assert "agreement picks: 1 of 1 by a majority of their candidates" in lines


ADD = 'def add(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add(1, 2)\n    3\n    >>> add(5, 7)\n    12\n    """\n'


@pytest.mark.parametrize("odd", ["assert add(" + "[" * 101 + "]" * 101 + ", 1) == 1",
                                 "assert add(1, 2) == " + "[" * 101 + "]" * 101])
def test_a_written_test_the_channel_cannot_carry_is_dropped_not_the_whole_agreement(tmp_path: Path, odd: str) -> None:
    # s0 is wrong but passes both examples; s1-s3 agree. One written test called with a
    # value the sandbox's channel cannot carry (a complex number then, a list 101 deep) failed
    # every candidate's batch: agreement had nothing to group and s0 was called solved (red team).
    task = Task("T/add", ADD, "add", "", test_origin="none")
    from tasks.examples import with_example_tests

    task = with_example_tests(task)
    bodies = ["    return abs(a) + abs(b)\n", "    return a + b\n", "    return b + a\n", "    s = a\n    s += b\n    return s\n"]
    written = f"```python\nassert add(2, 3) == 5\nassert add(0, 0) == 0\n{odd}\n```"
    backend = ReplayBackend({task.task_id: [fenced(ADD + body) for body in bodies], f"{task.task_id}|tests": [written]})
    report = solve([task], out=tmp_path, backend=backend, verifiers=["syntax", "tests"],
                   sample=SampleConfig(n=4), budget=BudgetConfig(wave=1))
    [result] = report.results
    assert result.selection == "agreement" and result.candidate_id == "s1", result
    assert (result.agreement_group, result.agreement_candidates) == (3, 4)
    assert (result.agreement_tests, result.agreement_tests_passed) == (2, 2)


PLAIN = 'def double(x: int) -> int:\n    """Twice x."""\n'
WRITTEN = "```python\nassert double(3) == 6\nassert double(5) == 10\nassert double(0) == 0\nassert double(1) == 5\n```"


def test_tests_the_model_wrote_outweigh_a_mistake_made_twice(tmp_path: Path) -> None:
    # No examples: s0 and s1 make the same mistake; s2 is right and passes the model's
    # three right tests (its fourth expects double(1) == 5: no one passes it).
    task = Task("T/double", PLAIN, "double", "", test_origin="none")
    bodies = ["    return x + 2\n", "    return 2 + x\n", "    return 2 * x\n"]
    script = {task.task_id: [fenced(PLAIN + body) for body in bodies], f"{task.task_id}|tests": [WRITTEN]}

    def solved(out: Path, written: bool) -> tuple[TaskResult, ReplayBackend]:
        backend = ReplayBackend(script)
        report = solve([task], out=out, backend=backend, verifiers=["syntax", "tests"],
                       sample=SampleConfig(n=3), budget=BudgetConfig(wave=1), written_tests=written)
        return report.results[0], backend

    # Neither pick is corroborated (no tests to pass; a group of 1 in 3): each is a guess.
    plain, backend = solved(tmp_path / "plain", False)
    assert plain.guess == PLAIN + bodies[0] and plain.agreement_tests == 0  # the larger group
    assert not plain.solved and plain.candidate_id is None
    assert not any(r.request_id.endswith("|tests") for r in backend.requests_seen)
    dual, backend = solved(tmp_path / "dual", True)
    assert dual.guess == PLAIN + bodies[2] and (dual.agreement_tests, dual.agreement_tests_passed) == (4, 3)
    assert (dual.agreement_group, dual.agreement_candidates) == (1, 3) and not dual.solved
    assert [r.request_id for r in backend.requests_seen if r.request_id.endswith("|tests")] == ["T/double|tests"]
    assert (tmp_path / "dual" / WRITTEN_TESTS).exists()


def test_a_task_without_examples_is_solved_only_on_corroborated_agreement(tmp_path: Path) -> None:
    # Two of three agree, return values everywhere and pass the model's right tests: solved.
    # All three agreeing, passing two tests but raising on every other input, is a guess.
    task = Task("T/double", PLAIN, "double", "", test_origin="none")

    def run(bodies: list[str], out: Path) -> TaskResult:
        script = {task.task_id: [fenced(PLAIN + body) for body in bodies], f"{task.task_id}|tests": [WRITTEN]}
        report = solve([task], out=out, backend=ReplayBackend(script), verifiers=["syntax", "tests"],
                       sample=SampleConfig(n=3), budget=BudgetConfig(wave=1))
        guessed = "1 task(s) without tests left unsolved" in "\n".join(report.summary.lines())
        assert guessed == (report.results[0].guess is not None)
        return report.results[0]

    right = run(["    return 2 * x\n", "    return x + x\n", "    return x + 2\n"], tmp_path / "right")
    assert right.solved and right.guess is None and right.candidate_id == "s0"
    assert (right.agreement_group, right.agreement_tests_passed) == (2, 3)
    assert right.agreement_answered == right.agreement_inputs > 0
    partial = "    if x in (0, 3):\n        return 2 * x\n    raise ValueError(x)\n"
    raising = run([partial] * 3, tmp_path / "raising")
    assert not raising.solved and raising.agreement_tests_passed == 2
    assert raising.agreement_group == raising.agreement_candidates == raising.samples_drawn >= 2
    assert 0 < raising.agreement_answered < raising.agreement_inputs and raising.guess == PLAIN + partial
    page = write_report(tmp_path / "raising").read_text()
    assert "Guess (unsolved)" in page and "raise ValueError(x)" in page  # the report shows the guess, escaped


ONE_EXAMPLE = 'def double(x: int) -> int:\n    """Twice x.\n\n    >>> double(2)\n    4\n    """\n'


def test_a_pick_on_one_example_is_called_only_if_it_passes_a_test_the_model_wrote(tmp_path: Path) -> None:
    # x + 2 fits the one example (double(2) == 4); all three samples agree on it, and it
    # passes none of the model's tests (double(3) == 6, ...): a guess. Twice x, agreed on
    # the same way, passes three of them: solved.
    task = Task("T/double", ONE_EXAMPLE, "double", "", test_origin="examples")

    def run(body: str, out: Path) -> TaskResult:
        script = {task.task_id: [fenced(ONE_EXAMPLE + body)] * 3, f"{task.task_id}|tests": [WRITTEN]}
        report = solve([task], out=out, backend=ReplayBackend(script), verifiers=["syntax", "tests"],
                       sample=SampleConfig(n=3), budget=BudgetConfig(wave=1))
        return report.results[0]

    wrong = run("    return x + 2\n", tmp_path / "wrong")
    assert wrong.selection == "agreement" and wrong.agreement_examples == 1
    assert wrong.agreement_group == wrong.agreement_candidates >= 2
    assert (wrong.agreement_tests, wrong.agreement_tests_passed) == (4, 0)
    assert not wrong.solved and wrong.guess == ONE_EXAMPLE + "    return x + 2\n"
    right = run("    return 2 * x\n", tmp_path / "right")
    assert (right.agreement_tests, right.agreement_tests_passed) == (4, 3)
    assert right.solved and right.guess is None


def test_written_tests_are_asked_once_and_kept_across_runs(tmp_path: Path) -> None:
    task = Task("T/double", PLAIN, "double", "", test_origin="none")
    backend = ReplayBackend({f"{task.task_id}|tests": [WRITTEN]})
    first = write_tests(backend, [task, make_task(1)], tmp_path / WRITTEN_TESTS, seed=0, prefill=False)
    assert list(first) == ["T/double"] and len(first["T/double"]) == 4  # a task with tests is not asked
    again = write_tests(backend, [task], tmp_path / WRITTEN_TESTS, seed=0, prefill=False)
    assert again == first and len(backend.requests_seen) == 1
    with (tmp_path / WRITTEN_TESTS).open("a") as f:
        f.write('{"task_id": "T/torn", "mod')  # a crash mid-line: that task is asked again
    assert read_written(tmp_path / WRITTEN_TESTS, backend.model) == {"T/double": WRITTEN}


def test_a_called_pick_stands_only_if_the_strong_tiers_own_answer_agrees(tmp_path: Path) -> None:
    """The second reader: the cheap samples agree (A, A, A: called), then the strong
    tier's greedy answer to the bare task is asked once; if it reads the task otherwise
    (B), the pick is a guess, and the reader's answer is that guess when it fits the
    examples (else the cheap pick stays the guess); if it agrees, the pick stands.
    A pick too weak to call is read too: the reader's answer is the guess where the two
    part, and where it backs the pick, the pick stays the guess (below). With the reader
    off nothing changes."""
    def solved_with(reader: str, out: Path, labels: Sequence[str] = ("A", "A", "A"),
                    second_reader: bool = True, examples: bool = True) -> tuple[TaskResult, ReplayBackend]:
        task = untested(0)
        if not examples:
            task = dataclasses.replace(task, test_origin="none")
        cheap = ReplayBackend(answers(task.task_id, labels))
        strong = ReplayBackend(answers(task.task_id, [reader]), model="strong")
        if reader == "failing":
            strong = ReplayBackend({task.task_id: [fenced("def f0(x: int) -> int:\n    return 0  # out=F\n")]},
                                   model="strong")
        report = solve([task], out=out, backend=cheap, strong_backend=strong, verifier=MarkerVerifier(),
                       sample=SampleConfig(n=3), budget=BudgetConfig(wave=1), outputs=FakeCollector(),
                       escalation=EscalationConfig(second_reader=second_reader))
        [result] = report.results
        return result, strong

    agrees, strong = solved_with("A", tmp_path / "agrees")
    assert agrees.solved and agrees.candidate_id == "s0" and agrees.second_reader == "agrees"
    # The careful reader follows (the script cycles: it answers A too), then the strong
    # model's tests (none usable here); their own tests are below.
    assert len(strong.requests_seen) == 3 and strong.requests_seen[0].temperature == 0.0
    assert not agrees.escalated and agrees.tokens_out.get("strong", 0) > 0
    vetoed, _ = solved_with("B", tmp_path / "vetoed")
    assert not vetoed.solved and vetoed.second_reader == "disagrees"
    assert vetoed.guess is not None and "out=B" in vetoed.guess  # the stronger reading, as a guess
    failing, _ = solved_with("failing", tmp_path / "failing")
    assert not failing.solved and failing.second_reader == "disagrees"
    assert failing.guess is not None and "out=A" in failing.guess  # it failed the examples: the pick stays
    # A pick too weak to call (no majority) asks the greedy reader too: where it reads
    # the task otherwise, its answer is the guess, and no other reader follows.
    tie, strong = solved_with("C", tmp_path / "tie", labels=("A", "B", "C"))
    assert not tie.solved and tie.second_reader == "disagrees" and tie.careful_reader == ""
    # (Its samples at temperature follow, here answering C again: below.)
    assert tie.guess is not None and "out=C" in tie.guess and [r.first_index for r in strong.requests_seen] == [0, 2]
    # On a task without examples such a pick is never called: a reader that backs it
    # leaves it the guess.
    bare, strong = solved_with("A", tmp_path / "bare", labels=("A", "B", "C"), examples=False)
    assert not bare.solved and bare.second_reader == "agrees" and bare.careful_reader == ""
    assert bare.guess is not None and "out=A" in bare.guess and len(strong.requests_seen) == 1
    off, strong = solved_with("B", tmp_path / "off", second_reader=False)
    assert off.solved and off.second_reader == "" and strong.requests_seen == []
    # A rerun reads the reader's answer back and decides the same without asking again.
    again, strong = solved_with("B", tmp_path / "vetoed")
    assert not again.solved and again.second_reader == "disagrees" and strong.requests_seen == []


def test_where_the_greedy_reader_disagrees_its_samples_at_temperature_choose_the_guess(tmp_path: Path) -> None:
    """After the greedy reader parts from the pick, the strong model is asked once more
    for ``reader_samples`` answers to the bare task at temperature (one request, strong
    samples 2 on); the guess is the first of the largest group among the strong answers
    that fit the examples, the greedy one's among equals, and the pick when none fits.
    The task is never called on them. A rerun asks nothing; a run interrupted after the
    greedy reader asks only for the samples."""
    task = untested(0)
    failing = fenced("def f0(x: int) -> int:\n    return 0  # out=F\n")

    def solved_with(strong_answers: Sequence[str], out: Path, samples: int = 3) -> tuple[TaskResult, ReplayBackend]:
        cheap = ReplayBackend(answers(task.task_id, ("A", "A", "A")))
        # Served by index: the greedy reader's is 0, the careful reader's 1 (not asked
        # here), the samples' 2 on.
        scripted = [failing if label == "F" else answers(task.task_id, [label])[task.task_id][0]
                    for label in [strong_answers[0], "F", *strong_answers[1:]]]
        strong = ReplayBackend({task.task_id: scripted}, model="strong")
        report = solve([task], out=out, backend=cheap, strong_backend=strong, verifier=MarkerVerifier(),
                       sample=SampleConfig(n=3), budget=BudgetConfig(wave=1), outputs=FakeCollector(),
                       escalation=EscalationConfig(reader_samples=samples))
        [result] = report.results
        return result, strong

    def guessed(result: TaskResult) -> str:
        assert not result.solved and result.second_reader == "disagrees" and result.guess is not None
        return re.findall(r"out=(\w)", result.guess)[0]

    backed, strong = solved_with(["B", "A", "A", "C"], tmp_path / "backed")
    assert guessed(backed) == "A" and backed.samples_drawn == 6  # two cheap settle it, then 1 + 3 strong
    greedy, sampled = strong.requests_seen
    assert (greedy.first_index, greedy.temperature) == (0, 0.0)
    assert (sampled.first_index, sampled.completions) == (2, 3) and sampled.temperature > 0
    assert guessed(solved_with(["B", "B", "C", "D"], tmp_path / "greedy")[0]) == "B"
    assert guessed(solved_with(["B", "C", "D", "A"], tmp_path / "ties")[0]) == "B"  # the greedy one's among equals
    assert guessed(solved_with(["F", "C", "C", "D"], tmp_path / "unfit")[0]) == "C"
    assert guessed(solved_with(["F", "F", "F", "F"], tmp_path / "none")[0]) == "A"  # the pick
    off, strong = solved_with(["B", "A", "A", "C"], tmp_path / "off", samples=0)
    assert guessed(off) == "B" and len(strong.requests_seen) == 1
    again, strong = solved_with(["B", "A", "A", "C"], tmp_path / "backed")
    assert guessed(again) == "A" and strong.requests_seen == []
    # "off" ended with the greedy reader's answer alone on disk: without its result line
    # it is a run interrupted there, and the rerun asks only for the samples.
    (tmp_path / "off" / "results.jsonl").write_text("")
    resumed, strong = solved_with(["B", "A", "A", "C"], tmp_path / "off")
    assert guessed(resumed) == "A" and [r.first_index for r in strong.requests_seen] == [2]


def test_the_readers_never_call_a_pick_agreement_alone_does_not_call(tmp_path: Path) -> None:
    """No majority (A, B, A, C), or a lone candidate on one example: the greedy reader is
    asked, and backs the pick, but the pick stays a guess and no other reader is asked.
    Letting every reader call such picks was measured on held-out sets and not adopted
    (docs/SOLVING.md)."""
    def solved_with(labels: Sequence[str], out: Path) -> tuple[TaskResult, ReplayBackend]:
        task = untested(0)
        cheap = ReplayBackend(answers(task.task_id, labels))
        strong = ReplayBackend(answers(task.task_id, ["A", "A"]), model="strong")
        report = solve([task], out=out, backend=cheap, strong_backend=strong, verifier=MarkerVerifier(),
                       sample=SampleConfig(n=len(labels)), budget=BudgetConfig(wave=1),
                       outputs=FakeCollector(), escalation=EscalationConfig())
        [result] = report.results
        return result, strong

    for labels in (("A", "B", "A", "C"), ("A",)):
        result, strong = solved_with(labels, tmp_path / "".join(labels))
        assert not result.solved and (result.second_reader, result.careful_reader) == ("agrees", "")
        assert result.guess is not None and "out=A" in result.guess
        assert [r.request_id for r in strong.requests_seen] == ["T/0|strong|0"]


def test_a_pick_the_greedy_reader_backs_stands_only_if_the_careful_reader_agrees_too(tmp_path: Path) -> None:
    """The careful reader: asked only after the greedy reader agreed with a called pick,
    with a prompt that has it list the task's stated requirements and edge cases first
    (greedy, strong sample 1). If its answer reads the task otherwise, the pick is a
    guess (the pick itself: two readings back it); a rerun decides the same without
    asking; a run interrupted after the greedy reader asks only the careful one."""
    task = untested(0)

    def solved_with(readers: Sequence[str], out: Path, careful: bool = True) -> tuple[TaskResult, ReplayBackend]:
        cheap = ReplayBackend(answers(task.task_id, ("A", "A", "A")))
        strong = ReplayBackend(answers(task.task_id, readers), model="strong")
        report = solve([task], out=out, backend=cheap, strong_backend=strong, verifier=MarkerVerifier(),
                       sample=SampleConfig(n=3), budget=BudgetConfig(wave=1), outputs=FakeCollector(),
                       escalation=EscalationConfig(careful_reader=careful))
        [result] = report.results
        return result, strong

    vetoed, strong = solved_with(["A", "B"], tmp_path / "vetoed")
    assert not vetoed.solved and (vetoed.second_reader, vetoed.careful_reader) == ("agrees", "disagrees")
    assert vetoed.guess is not None and "out=A" in vetoed.guess
    greedy, careful = strong.requests_seen
    assert (greedy.first_index, careful.first_index) == (0, 1) and careful.temperature == 0.0
    assert careful.messages is not None and "edge cases" in careful.messages[0].content
    backed, strong = solved_with(["A", "A"], tmp_path / "backed")
    assert backed.solved and (backed.second_reader, backed.careful_reader) == ("agrees", "agrees")
    # The greedy reader disagreeing settles it: no careful reading is asked (its samples
    # for the guess are: below).
    disputed, strong = solved_with(["B", "A"], tmp_path / "disputed")
    assert not disputed.solved and (disputed.second_reader, disputed.careful_reader) == ("disagrees", "")
    assert [r.first_index for r in strong.requests_seen] == [0, 2]
    off, strong = solved_with(["A", "B"], tmp_path / "off", careful=False)
    # Without it, the strong model's tests follow the greedy reader directly.
    assert off.solved and off.careful_reader == ""
    assert [r.request_id for r in strong.requests_seen] == [f"{task.task_id}|strong|0", f"{task.task_id}|reader-tests"]
    again, strong = solved_with(["A", "B"], tmp_path / "vetoed")
    assert not again.solved and again.careful_reader == "disagrees" and strong.requests_seen == []
    # "off" ended with the greedy reader's answer on disk; without its result line it is
    # a run interrupted there: the rerun asks the careful reader alone.
    (tmp_path / "off" / "results.jsonl").write_text("")
    resumed, strong = solved_with(["A", "B"], tmp_path / "off")
    assert not resumed.solved and resumed.careful_reader == "disagrees" and not resumed.escalated
    assert [r.first_index for r in strong.requests_seen] == [1]


def test_a_pick_its_readers_back_stands_only_if_the_greedy_reader_agrees_on_the_strong_models_tests(
        tmp_path: Path) -> None:
    """The strong model's tests: asked (greedy, once) only after both readers agreed with a
    called pick; the calls in them are run by the pick and the greedy reader's answer, and
    the pick stands only if the two agree there too (a case the task states that no other
    input reached). Tests with no usable call change nothing; the answer is kept on disk,
    so a rerun decides the same without asking, and a run interrupted before it asks it alone."""
    task = untested(0)
    tests_key = f"{task.task_id}|reader-tests"
    # (2,) is among the task's inputs already, where the readers agreed: it is not run again.
    written = "assert f0(-5) == -5\nassert f0(2) == 2\nassert f0(0) == 0\n"

    def solved_with(greedy: str, out: Path, tests: str = written, reader_tests: bool = True,
                    collector: FakeCollector | None = None) -> tuple[TaskResult, ReplayBackend]:
        cheap = ReplayBackend(answers(task.task_id, ("A", "A", "A")))
        script = {**answers(task.task_id, (greedy, "A")), tests_key: [tests]}
        strong = ReplayBackend(script, model="strong")
        report = solve([task], out=out, backend=cheap, strong_backend=strong, verifier=MarkerVerifier(),
                       sample=SampleConfig(n=3), budget=BudgetConfig(wave=1), outputs=collector or FakeCollector(),
                       escalation=EscalationConfig(reader_tests=reader_tests))
        if not report.results:
            raise Unfinished(report.outcome.incomplete)
        [result] = report.results
        return result, strong

    collector = FakeCollector()
    backed, strong = solved_with("A", tmp_path / "backed", collector=collector)
    assert backed.solved and (backed.second_reader, backed.careful_reader, backed.reader_tests) \
        == ("agrees", "agrees", "agrees")
    *_, asked = strong.requests_seen
    assert len(strong.requests_seen) == 3 and asked.request_id == tests_key and asked.temperature == 0.0
    assert collector.calls_run == [[(-5,), (0,)]]
    # The tests' tokens are the task's, and a rerun that reads them back counts them too.
    spent = backed.tokens_out["strong"]
    (tmp_path / "backed" / "results.jsonl").write_text("")
    rerun, strong = solved_with("A", tmp_path / "backed")
    assert rerun.tokens_out["strong"] == spent and strong.requests_seen == []
    # The greedy reader returns A on the task's inputs and B on the tests' calls: vetoed,
    # and its answer (which fits the examples) is the guess.
    vetoed, _ = solved_with("A tests=B", tmp_path / "vetoed")
    assert not vetoed.solved and (vetoed.second_reader, vetoed.careful_reader, vetoed.reader_tests) \
        == ("agrees", "agrees", "disagrees")
    assert vetoed.guess is not None and "tests=B" in vetoed.guess
    blank, _ = solved_with("A tests=B", tmp_path / "blank", tests="no tests here")
    assert blank.solved and blank.reader_tests == ""
    off, strong = solved_with("A tests=B", tmp_path / "off", reader_tests=False)
    assert off.solved and off.reader_tests == "" and len(strong.requests_seen) == 2
    again, strong = solved_with("A tests=B", tmp_path / "vetoed")
    assert not again.solved and again.reader_tests == "disagrees" and strong.requests_seen == []
    # "off" ended after both readers; without its result line it is a run interrupted
    # there: the rerun asks the strong model's tests alone.
    (tmp_path / "off" / "results.jsonl").write_text("")
    resumed, strong = solved_with("A tests=B", tmp_path / "off")
    assert not resumed.solved and resumed.reader_tests == "disagrees"
    assert [r.request_id for r in strong.requests_seen] == [tests_key]
    # Turned off, the answers on disk are not used either.
    (tmp_path / "off" / "results.jsonl").write_text("")
    ignored, _ = solved_with("A tests=B", tmp_path / "off", reader_tests=False)
    assert ignored.solved and ignored.reader_tests == ""
    # A sandbox that breaks running the tests' calls decides nothing: no result line,
    # the task left for a rerun (which then decides it).
    with pytest.raises(Unfinished):
        solved_with("A tests=B", tmp_path / "broken", collector=BrokenSandbox())
    after, _ = solved_with("A tests=B", tmp_path / "broken")
    assert not after.solved and after.reader_tests == "disagrees"


def test_a_pick_resting_on_two_examples_skips_the_careful_reader(tmp_path: Path) -> None:
    """Two of the prompt's examples pin the reading down: the greedy reader is asked, the
    careful one is not, and the strong model's tests follow the greedy reader directly."""
    class TwoExamples(FakeCollector):
        def inputs(self, task: Task) -> Inputs:
            return Inputs(((1,), (2,)), examples=2)

    task = untested(0)
    cheap = ReplayBackend(answers(task.task_id, ("A", "A", "A")))
    strong = ReplayBackend(answers(task.task_id, ("A", "B")), model="strong")
    [result] = solve([task], out=tmp_path, backend=cheap, strong_backend=strong, verifier=MarkerVerifier(),
                     sample=SampleConfig(n=3), budget=BudgetConfig(wave=1), outputs=TwoExamples()).results
    assert result.solved and (result.second_reader, result.careful_reader) == ("agrees", "")
    assert [r.request_id for r in strong.requests_seen] == [f"{task.task_id}|strong|0", f"{task.task_id}|reader-tests"]


class Unfinished(Exception):
    """A solve call that left its task without a result line."""


class BrokenSandbox(FakeCollector):
    """The sandbox breaks on the strong model's tests (as ``OutputCollector`` reports it)."""

    def behaviours_on(self, task: Task, candidates: Sequence[Candidate],
                      calls: Sequence[tuple[Any, ...]]) -> list[Behaviour]:
        return [Behaviour(c.candidate_id, error="infrastructure: OSError: pool died") for c in candidates]
