"""Which verified sample answers a task: the first that passes, or, without tests, agreement.

With tests (the default rule, ``choose``): a sample that passed every check, cheap
before strong, then the lowest index; failing that, the same order among samples
that passed the task's own tests and failed only an advisory check (the result
says it is disputed).

Without tests (``Task.test_origin`` not ``given``): the pick is made among the same
samples (``pick_pool``), by agreement between them (``verifiers.agreement``): the
first member of the largest group of candidates that return the same outputs on
the task's inputs. The pick is called solved only when the evidence for it is
strong enough (``called_solved``); else it is a guess. For a task with examples those samples are the ones that pass
the examples, which was measured against grouping every sample that passed the
static checks (``benchmarks/select_without_tests.py``; docs/SOLVING.md): on 17
replayed HumanEval tasks with two samples or more, grouping every static survivor
picked 2 right answers in 17 picks, grouping those that pass the examples 10 in 14.
A candidate that gets the task's own examples wrong is wrong however many agree with
it, and wrong answers that agree with each other (the same mistake, drawn twice)
outvoted the right one. With fewer than two candidates to group, ``choose`` decides.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any

from sampler.core.written_tests import WrittenTestsCollector
from sampler.storage.records import CHEAP, SampleRecord
from tasks.examples import example_count
from tasks.types import Task
from verifiers import agreement
from verifiers.outputs import Behaviour, Collector
from verifiers.types import Candidate


def choose(samples: Sequence[SampleRecord]) -> SampleRecord | None:
    """The documented rule: a sample that passed every check, cheap before strong, then
    the lowest index; failing that, the same order among samples that passed the task's
    own tests and failed only an advisory check (the result says it is disputed)."""
    passing = [s for s in samples if s.passed]
    if passing:
        return min(passing, key=preference)
    fallback = [s for s in samples if s.passed_tests_only]
    return min(fallback, key=preference) if fallback else None


def preference(sample: SampleRecord) -> tuple[bool, int]:
    return sample.tier != CHEAP, sample.sample_index


def pick_pool(samples: Iterable[SampleRecord]) -> list[SampleRecord]:
    """The samples ``choose`` chooses among, best first: those that passed every check,
    or failing any, those disputed only by an advisory check."""
    ordered = sorted(samples, key=preference)
    return [s for s in ordered if s.passed] or [s for s in ordered if s.passed_tests_only]


def pool_behaviours(task: Task, samples: Iterable[SampleRecord], known: MutableMapping[str, Behaviour],
                    collector: Collector) -> list[Behaviour]:
    """The behaviours of ``pick_pool(samples)``, in its order; those not in ``known``
    (samples verified by an earlier run, on resume) are collected now and added to it."""
    pool = pick_pool(samples)
    missing = [Candidate(task.task_id, s.candidate_id, s.solution) for s in pool if s.candidate_id not in known]
    if missing:
        known.update((b.candidate_id, b) for b in collector.behaviours(task, missing))
    return [known[s.candidate_id] for s in pool]


def _written(task: Task, collector: Collector) -> tuple[Behaviour, list[int]] | None:
    """The model's tests for ``task`` (expected outputs, their inputs' positions), if it wrote any."""
    return collector.expected(task) if isinstance(collector, WrittenTestsCollector) else None


def agreement_wave(task: Task, behaviours: Sequence[Behaviour], collector: Collector, remaining: int,
                   wave: int) -> int:
    """How many more samples a passed task picked by agreement draws now: 0 once its
    leader is settled (by the written tests' scores too, when there are some) or no
    sample is left, else the next wave."""
    if remaining <= 0:
        return 0
    written = _written(task, collector)
    if written is None:
        done = agreement.settled(agreement.group(behaviours), remaining)
    else:
        done = agreement.dual_settled(behaviours, written[0], written[1], remaining)
    return 0 if done else min(wave, remaining)


def agreement_pick(task: Task, behaviours: Sequence[Behaviour], collector: Collector) -> agreement.Pick | None:
    """The pick by agreement, when two or more candidates could be grouped (else None:
    ``choose`` decides); by dual agreement when the model wrote tests for the task."""
    examples = collector.inputs(task).examples
    written = _written(task, collector)
    if written is None:
        chosen = agreement.pick(behaviours, examples)
    else:
        chosen = agreement.dual_pick(behaviours, written[0], written[1], examples)
    return chosen if chosen is not None and chosen.candidates >= 2 else None


def agreement_fields(chosen: agreement.Pick | None) -> dict[str, Any]:
    """``TaskResult``'s agreement counts for a pick by agreement (none otherwise)."""
    if chosen is None:
        return {}
    return {"agreement_group": chosen.group, "agreement_candidates": chosen.candidates,
            "agreement_share": round(chosen.share, 4), "agreement_groups": chosen.groups,
            "agreement_inputs": chosen.inputs, "agreement_examples": chosen.examples,
            "agreement_tests": chosen.tests, "agreement_tests_passed": chosen.tests_passed,
            "agreement_answered": chosen.answered}


def called_solved(task: Task, agreed: agreement.Pick | None) -> bool:
    """Whether a pick on ``task`` may be called solved. A task with tests: yes (its pick
    passed them). Without tests, a pick by agreement must be corroborated
    (``verifiers.agreement.corroborated``: a majority agree; without examples, also a
    model test passed and a value on every input; on fewer than two examples, a model
    test passed when the model wrote any it could use); a lone candidate must have passed
    at least ``agreement.PINNING_EXAMPLES`` examples; without examples, a pick not made by
    agreement never is. An uncalled pick is a guess (``TaskResult.guess``). Measured
    on fresh runs without tests, before the lone candidate's minimum: 91.5% of the
    picks called solved on HumanEval pass the real tests, 64% on MBPP-style tasks
    with one example each; with it, replayed on the same runs, 92.8% and 85%
    (docs/SOLVING.md)."""
    if task.test_origin == "given":
        return True
    if agreed is None:
        return task.test_origin == "examples" \
            and example_count(task.prompt, task.entry_point) >= agreement.PINNING_EXAMPLES
    return agreement.corroborated(agreed, examples_passed=task.test_origin == "examples")
