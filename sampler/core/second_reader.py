"""A second reader for tasks without tests: the strong model's own answer as a veto.

Agreement among the cheap model's samples cannot see a misreading they all share,
and with a one-line task and a single example they often do: on 56 MBPP-style tasks
without tests, 11 of the 44 picks called solved were wrong, in 7 of them every cheap
sample agreeing on the same wrong reading. A different, stronger model reads the
task independently. So once a task's cheap pick is made, the strong tier is asked
once for its greedy answer to the bare task (the same request an escalation starts
with), and a call stands only if that answer agrees with the pick on every input the
pick was grouped on (the examples, edge cases made from them, generated inputs, the
model's written tests: ``verifiers.agreement.agree``). An answer that fails the
examples or the static checks agrees with nothing. The pick is still made among the
cheap samples; one the reader disagrees with is a guess, and the guess kept is the
reader's answer when it fits the examples, or, once the strong model has drawn more
answers at temperature (``EscalationConfig.reader_samples``), the first of the largest
group among those that fit (``vetoed_guess``). A pick agreement alone
would not call (no majority, one example and none of the model's tests passed) is
read too, only to choose the guess: where the two part, the reader's answer is the
guess. Replayed on HumanEval's fresh run, the picks right went from 122 to 128 of
164; on the held-out sets y and z, fresh, from 19 to 24 and 24 to 29 of 40 each
(docs/SOLVING.md). Such a pick is never called on the readers' word: letting the
readers call it added 9 calls on y and z, 2 of them wrong.

Measured (docs/SOLVING.md): replayed on those 56 tasks, the calls went from 39 (6
wrong) to 29 (1 wrong). Fresh runs with the defaults: all 164 HumanEval tasks without
tests, 104 picks would have been called with 15 wrong; the reader vetoed 31 (11 wrong,
20 right), leaving 80 calls with 4 wrong (95.0%); 40 held-out MBPP-style tasks, 17
calls with 3 wrong (82.4%): its price is recall, and a misreading both models share,
or one the inputs never reach, still passes.

A careful reader follows a greedy reader that agreed (``EscalationConfig.careful_reader``):
the same model, greedy again, but first asked to list the requirements and edge cases
the task's words state, then to write the function (strong sample 1). Where the
greedy answer shares the cheap samples' reading of the one example, a reading made
after spelling out "repeated values count once" or "may be negative" can differ. The
pick is called solved only if it agrees too; if not, the pick stays the guess (the
cheap group and the greedy reader back it). A pick both back is then tried on the calls
of tests the strong model writes (``sampler.core.reader_tests``); the loop asks for
each reading in turn (``sampler.core.reading``).

A task no cheap candidate fits escalates as before; its strong answers are then the
pool itself, and no reader is asked (the pick is already the strong model's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence

from sampler.core.escalation import CAREFUL_READER_INDEX, READER_SAMPLES_INDEX
from sampler.core.selection import agreement_pick, choose, pick_pool, pool_behaviours
from sampler.storage.records import CHEAP, READER_AGREES, READER_DISAGREES, STRONG, SampleRecord
from tasks.types import Task
from verifiers import agreement
from verifiers.outputs import Behaviour, Collector
from verifiers.types import Candidate


def split_reader(samples: Sequence[SampleRecord]) -> tuple[list[SampleRecord], SampleRecord | None]:
    """The samples a task's pick is made among, and its second reader's answer if drawn.
    With a cheap sample in the pick's pool, the pick is among the cheap samples and a
    strong sample 0 is the reader; else every sample is in the pool (an escalation)."""
    pool, readers = split_readers(samples)
    return pool, readers.get(0)


def split_readers(samples: Sequence[SampleRecord]) -> tuple[list[SampleRecord], dict[int, SampleRecord]]:
    """``split_reader`` with every reader drawn, by strong sample index: 0 the greedy
    reader, ``CAREFUL_READER_INDEX`` the careful one. Strong samples past that index are
    an escalation's (a task whose cheap pool holds only disputed answers), whose sample
    1 is no careful reading."""
    cheap = [s for s in samples if s.tier == CHEAP]
    if not pick_pool(cheap):
        return list(samples), {}
    strong = {s.sample_index: s for s in samples if s.tier == STRONG}
    wanted = (0, CAREFUL_READER_INDEX) if max(strong, default=0) <= CAREFUL_READER_INDEX else (0,)
    return cheap, {index: strong[index] for index in wanted if index in strong}


def reader_agrees(task: Task, pick: SampleRecord, reader: SampleRecord,
                  known: MutableMapping[str, Behaviour], collector: Collector) -> bool:
    """Whether the reader's answer returns what the pick returns on every input. Its
    behaviour is collected now when the pool did not hold it (it failed a check the
    pick passed: it then disagrees on the examples, or has no outputs at all)."""
    if not reader.passed and not reader.passed_tests_only:
        return False
    if reader.candidate_id not in known:
        [found] = collector.behaviours(task, [Candidate(task.task_id, reader.candidate_id, reader.solution)])
        known[reader.candidate_id] = found
    mine = known.get(pick.candidate_id)
    return mine is not None and agreement.agree(mine, known[reader.candidate_id])


def pick_with_reader(task: Task, samples: list[SampleRecord], known: MutableMapping[str, Behaviour],
                     collector: Collector
                     ) -> tuple[SampleRecord | None, agreement.Pick | None, dict[int, SampleRecord]]:
    """A task without tests: its pick, the pick by agreement (when it was one) and its
    readers' answers drawn so far (``split_readers``); the pick among the samples
    ``split_readers`` leaves in the pool."""
    pool, readers = split_readers(samples)
    chosen = choose(pool)
    if chosen is None:
        return None, None, readers
    agreed = agreement_pick(task, pool_behaviours(task, pool, known, collector), collector)
    if agreed is not None:
        chosen = next(s for s in pool if s.candidate_id == agreed.candidate_id)
    return chosen, agreed, readers


def readings(task: Task, pick: SampleRecord, readers: Mapping[int, SampleRecord],
             known: MutableMapping[str, Behaviour], collector: Collector) -> tuple[str, str]:
    """What the greedy reader and the careful one said of the pick (``READER_AGREES``,
    ``READER_DISAGREES``, or empty when not drawn). The careful reader is asked only
    after the greedy one agreed; the pick stands only if every reader drawn agrees."""
    said = {index: (READER_AGREES if reader_agrees(task, pick, reader, known, collector) else READER_DISAGREES)
            for index, reader in readers.items()}
    return said.get(0, ""), said.get(CAREFUL_READER_INDEX, "")


def vetoed_guess(task: Task, pick: SampleRecord, answers: Sequence[SampleRecord],
                 known: MutableMapping[str, Behaviour], collector: Collector) -> SampleRecord:
    """The guess kept for a task whose reader disagreed with the cheap pick: among the
    strong model's ``answers`` to the bare task (its greedy reader's, then the samples
    drawn after it, ``EscalationConfig.reader_samples``) that pass the task's examples,
    the first of the largest group by agreement (the greedy answer's group among
    equals); the pick when none does. Where the greedy reader and the pick part and both
    fit the examples, the stronger model's reading was the right one more often: on the
    56 MBPP-style tasks the rule was read off, 6 of 8 times against 4 of 8 for the pick;
    on 40 more, 9 of 10 against 4 of 10. Too close to call either solved."""
    fitting = sorted((a for a in answers if a.passed), key=lambda a: a.sample_index)
    if len(fitting) <= 1:
        return fitting[0] if fitting else pick
    behaviours = pool_behaviours(task, fitting, known, collector)
    lead = agreement.leader(agreement.group(behaviours))
    if lead is None:  # no outputs to compare (a task with no inputs): the greedy order
        return fitting[0]
    return next(a for a in fitting if a.candidate_id == lead.members[0])


def reader_answers(samples: Iterable[SampleRecord]) -> list[SampleRecord]:
    """A task's strong answers to the bare task that judge its guess (``vetoed_guess``):
    its greedy reader's and the samples drawn after that reader disagreed."""
    return sorted((s for s in samples if s.tier == STRONG
                   and (s.sample_index == 0 or s.sample_index >= READER_SAMPLES_INDEX)),
                  key=lambda s: s.sample_index)
