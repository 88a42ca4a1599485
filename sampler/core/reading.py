"""Asking the strong tier to read a task without tests before its pick is called: the
best-of-N loop's readers (``sampler.core.loop.BestOfN`` inherits it).

In order, each only once the one before agreed with the pick: the strong model's greedy
answer to the bare task (``sampler.core.second_reader``), its careful answer (for a pick
resting on fewer than ``verifiers.agreement.PINNING_EXAMPLES`` of the prompt's
examples), then its tests of the task, whose calls the pick and the greedy answer must
agree on too (``sampler.core.reader_tests``). Each request waits its turn like an escalation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sampler.backends.base import Generation, GenerationRequest
from sampler.core.escalation import (
    CAREFUL_READER_INDEX,
    READER_SAMPLES_INDEX,
    careful_reader_request,
    reader_request,
    reader_samples_request,
)
from sampler.core.loop_state import LoopState
from sampler.core.reader_tests import READER_TESTS, agrees_on_tests, tests_request
from sampler.core.second_reader import reader_agrees, reader_answers, readings, vetoed_guess
from sampler.core.selection import called_solved
from sampler.core.task_run import TaskRun, request_prefix
from sampler.core.test_writing import parse_answer
from sampler.core.written_tests import answer_text, append_written, read_written_records
from sampler.storage.records import READER_AGREES, READER_DISAGREES, STRONG, SampleRecord
from tasks.examples import example_count
from tasks.types import Task
from verifiers import agreement

GREEDY_READING, CAREFUL_READING, TESTS_READING, SAMPLED_READING = 1, 2, 3, 4
"""``TaskRun.reading``: the last reader asked (the sampled reading only after the greedy
reader disagreed, so never with the careful reader or the tests)."""


@dataclass(frozen=True)
class Said:
    """What each reader said of a pick (``READER_AGREES``, ``READER_DISAGREES``, or empty
    when not asked), as ``results.jsonl`` records it."""

    greedy: str = ""
    careful: str = ""
    tests: str = ""


def _examples(task: Task, agreed: agreement.Pick | None) -> int:
    """The prompt's examples a pick rests on: those among its inputs for a pick by
    agreement, else (a lone candidate that passed them) the prompt's count."""
    return agreed.examples if agreed is not None else example_count(task.prompt, task.entry_point)


class Reading(LoopState):
    """The loop's readers, over the state ``BestOfN`` keeps."""

    def _ask_reader(self, run: TaskRun) -> bool:
        """Ask the strong tier for the next reading of a task without tests: the greedy
        answer for any cheap pick (for a pick that cannot be called solved it only chooses
        the guess), then, for a pick that would be called, each next reading while every
        reading so far agreed with it; False when none is wanted (then the task is done)."""
        escalation = self.config.escalation
        if self.strong is None or self.strong is self.cheap or escalation is None \
                or not escalation.second_reader:
            return False
        chosen, agreed, readers = self._pick(run, list(run.samples.values()))
        if chosen is None:
            return False
        if not readers:
            # Asked for an uncalled pick too: there the greedy answer chooses the guess
            # (``_guess``), and no other reader follows it.
            if run.reading or run.strong_rounds or run.tier_samples(STRONG):
                return False
            run.reading = GREEDY_READING
        elif self._wants_reader_samples(run, chosen, readers):
            run.reading = SAMPLED_READING
        elif not called_solved(run.task, agreed):
            return False
        else:
            assert self.outputs is not None  # readers are asked only for tasks picked by agreement
            if 0 not in readers or not reader_agrees(run.task, chosen, readers[0], run.behaviours, self.outputs):
                return False
            if escalation.careful_reader and run.reading < CAREFUL_READING and CAREFUL_READER_INDEX not in readers \
                    and _examples(run.task, agreed) < agreement.PINNING_EXAMPLES:
                run.reading = CAREFUL_READING
            elif escalation.reader_tests and run.reading < TESTS_READING and run.reader_tests is None \
                    and (CAREFUL_READER_INDEX not in readers or reader_agrees(
                        run.task, chosen, readers[CAREFUL_READER_INDEX], run.behaviours, self.outputs)):
                run.reading = TESTS_READING
            else:
                return False
        if not self._defer_escalation(run):
            self._escalate(run)
        return True

    def _wants_reader_samples(self, run: TaskRun, chosen: SampleRecord, readers: Mapping[int, SampleRecord]) -> bool:
        """Whether to draw the strong model's samples at temperature for the guess: its
        greedy reader disagreed with the pick and none were drawn yet (a resumed task
        finds them on disk)."""
        escalation = self.config.escalation
        assert escalation is not None and self.outputs is not None
        return escalation.reader_samples > 0 and run.reading < SAMPLED_READING and 0 in readers \
            and not any(s.sample_index >= READER_SAMPLES_INDEX for s in run.tier_samples(STRONG)) \
            and not reader_agrees(run.task, chosen, readers[0], run.behaviours, self.outputs)

    def _reader_request(self, run: TaskRun) -> GenerationRequest:
        """The request for ``run.reading``, the reading asked now."""
        assert self.config.escalation is not None
        if run.reading == TESTS_READING:
            return tests_request(run.task, seed=self.config.sample.seed, prefill=self.config.strong_prefill)
        if run.reading == SAMPLED_READING:
            return reader_samples_request(run.task, self.config.sample, self.config.escalation,
                                          request_prefix(run.task.task_id, STRONG), prefill=self.config.strong_prefill)
        ask = reader_request if run.reading == GREEDY_READING else careful_reader_request
        return ask(run.task, self.config.sample, self.config.escalation,
                   request_prefix(run.task.task_id, STRONG), prefill=self.config.strong_prefill)

    def _tests_arrived(self, run: TaskRun, generation: Generation) -> None:
        """The strong model's tests for a task its readers back: kept on disk, then parsed.
        (The loop counted the request's prompt tokens; its answer's are counted here.)"""
        assert self.strong is not None
        tokens = sum(c.tokens for c in generation.completions)
        run.tokens_out[STRONG] = run.tokens_out.get(STRONG, 0) + tokens
        text = answer_text(generation)
        append_written(self.store.dir / READER_TESTS, self.strong.model, {run.task.task_id: text},
                       {run.task.task_id: (generation.prompt_tokens, tokens)})
        run.reader_tests = parse_answer(run.task, text)

    def _reader_tests_on_disk(self) -> dict[str, dict[str, Any]]:
        """The strong model's tests an earlier run was given, by task (none when not wanted)."""
        escalation = self.config.escalation
        if self.strong is None or escalation is None or not escalation.reader_tests:
            return {}
        return read_written_records(self.store.dir / READER_TESTS, self.strong.model)

    def _restore_reader_tests(self, run: TaskRun, answer: Mapping[str, Any]) -> None:
        """A resumed task's strong-model tests, and the tokens they cost."""
        run.reader_tests = parse_answer(run.task, str(answer["text"]))
        for counts, key in ((run.tokens_in, "tokens_in"), (run.tokens_out, "tokens_out")):
            if type(answer.get(key)) is int:
                counts[STRONG] = counts.get(STRONG, 0) + answer[key]

    def _guess(self, run: TaskRun, chosen: SampleRecord, readers: Mapping[int, SampleRecord]
               ) -> tuple[None, str, Said]:
        """A pick too weakly supported to call solved: a guess, which the greedy reader's
        answer replaces where it disagrees and fits the examples (``vetoed_guess``)."""
        if 0 not in readers:
            return None, chosen.solution, Said()
        assert self.outputs is not None  # readers are asked only for tasks picked by agreement
        if reader_agrees(run.task, chosen, readers[0], run.behaviours, self.outputs):
            return None, chosen.solution, Said(READER_AGREES)
        return None, self._vetoed_guess(run, chosen).solution, Said(READER_DISAGREES)

    def _judge(self, run: TaskRun, chosen: SampleRecord, readers: Mapping[int, SampleRecord]
               ) -> tuple[SampleRecord | None, str | None, Said] | None:
        """A pick with the evidence to be called solved, judged by its readers: the pick
        (None when a reader parts from it), the guess kept instead, and what each said;
        None when the sandbox broke on the strong model's tests (nothing decided)."""
        assert self.outputs is not None  # readers are asked only for tasks picked by agreement
        greedy, careful = readings(run.task, chosen, readers, run.behaviours, self.outputs)
        if greedy == READER_DISAGREES:
            return None, self._vetoed_guess(run, chosen).solution, Said(greedy)
        if careful == READER_DISAGREES:
            # The greedy reader backs the pick, the careful one does not: too close to
            # call, and the pick stays the guess.
            return None, chosen.solution, Said(greedy, careful)
        if not run.reader_tests:
            return chosen, None, Said(greedy, careful)
        agrees = agrees_on_tests(run.task, chosen, readers[0], run.reader_tests, self.outputs)
        if agrees is None:
            return None
        if agrees:
            return chosen, None, Said(greedy, careful, READER_AGREES)
        # On a case the task states, which only the strong model's tests reached, its
        # greedy answer parts from the pick: as with the greedy reader's own veto.
        return None, self._vetoed_guess(run, chosen).solution, Said(greedy, careful, READER_DISAGREES)

    def _vetoed_guess(self, run: TaskRun, chosen: SampleRecord) -> SampleRecord:
        """The guess for a pick a reader parted from (``vetoed_guess``)."""
        assert self.outputs is not None  # readers are asked only for tasks picked by agreement
        return vetoed_guess(run.task, chosen, reader_answers(run.samples.values()), run.behaviours, self.outputs)
