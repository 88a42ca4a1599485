"""Inputs the strong model proposes, run by a pick its readers back, before it is called.

The readers (``sampler.core.second_reader``) compare their answers with the pick on the
pick's inputs: the examples, edge cases made from them, inputs generated from the
signature and the cheap model's tests. Where the task's words state a case its one
example does not show ("which may be negative", "is all uppercase"), none of those may
reach it, and a reader that reads the sentence right still agrees with a pick that
does not. So a pick both readers back is not called solved yet: the strong model is
asked once, greedily, for tests of the task (the prompt the cheap model writes tests
with, ``sampler.core.test_writing``), and the calls in them are run by the pick and by
the greedy reader's answer. The call stands only if the two agree on every one of
them. Only the calls' arguments are used: the expected values the model wrote are not
trusted (its answer is the judge, and it agreed with the pick everywhere else).

Only the greedy reader judges on these inputs, not the careful one: on the calls
measured, the careful answer, wrong more often than the greedy one on HumanEval, was
the only one to part from a right pick there (docs/SOLVING.md).

The answers are appended to ``READER_TESTS`` in the run directory as they arrive, so a
rerun reads them back instead of asking again.
"""

from __future__ import annotations

from collections.abc import Sequence

from sampler.backends.base import GenerationRequest
from sampler.core.test_writing import request_for_tests
from sampler.storage.records import SampleRecord
from tasks.model_tests import ModelTest
from tasks.types import Task
from verifiers import agreement
from verifiers.outputs import Collector, carried_tests
from verifiers.types import Candidate

READER_TESTS = "reader_tests.jsonl"
"""The strong model's tests for the tasks it was asked about, one JSON line each, in the
form of ``sampler.core.written_tests.WRITTEN_TESTS``."""


def tests_request_id(task_id: str) -> str:
    """The id of the request for a task's tests, apart from its samples' (a replay script
    answers it as ``TASK|reader-tests``)."""
    return f"{task_id}|reader-tests"


def tests_request(task: Task, *, seed: int, prefill: bool) -> GenerationRequest:
    """The one greedy request for ``task``'s tests from the strong model."""
    return request_for_tests(task, seed=seed, prefill=prefill, request_id=tests_request_id(task.task_id))


def agrees_on_tests(task: Task, pick: SampleRecord, reader: SampleRecord, tests: Sequence[ModelTest],
                    collector: Collector) -> bool | None:
    """Whether the reader's answer returns what the pick returns on the tests' calls that
    are not among the task's inputs already (on those the two agreed); no such call:
    nothing to part on. None when the sandbox broke: nothing is decided, and the task is
    left for a rerun, as when a reader's own verdict is an infrastructure error."""
    known = {repr(call) for call in collector.inputs(task).calls}
    calls = list({repr(t.call): t.call for t in carried_tests(tests) if repr(t.call) not in known}.values())
    if not calls:
        return True
    mine, theirs = collector.behaviours_on(
        task, [Candidate(task.task_id, pick.candidate_id, pick.solution),
               Candidate(task.task_id, reader.candidate_id, reader.solution)], calls)
    if mine.error or theirs.error:
        return None
    return agreement.agree(mine, theirs)
