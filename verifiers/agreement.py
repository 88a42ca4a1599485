"""Agreement between candidates: for a task without tests, the answer most candidates give.

Candidates that behave alike on many inputs are likely right together: independent
samples rarely make the same mistake on every input, while right answers agree by
being right. So each candidate that survived the cheaper checks is run on the
task's inputs in the sandbox (``verifiers.outputs``: the prompt's example calls,
then inputs generated from the signature), and candidates are grouped by what
they returned; the pick is a member of the best-supported group.

The grouping rule (``group``), kept simple enough to state: candidates are taken
in the order given (the loop gives cheap before strong, then by sample index); each
joins the first group whose *first member* it agrees with on every input, else it
starts a new group. Two outputs agree (``same_output``) when they are of the same
kind and, for values, equal as plain data with exact types (ints, strings, bools,
None, and containers of them: a tuple is not a list, ``True`` is not ``1``), floats
within a relative tolerance of 1e-6 (absolute 1e-9 near zero; NaN agrees with NaN);
set members and dict keys are put in the order of their exact text, then compared in
that order as values are (so floats among them agree within the tolerance only where
they sort alike). Any exception agrees with any exception (a generator's that ended
its items too, by that it raised): the
type a candidate raises on an input the task does not cover (``IndexError`` from
``xs[0]``, ``ValueError`` from ``max([])``) is incidental, the fact that it has no
answer there is not. Timeouts agree with timeouts, crashes with crashes. Nothing a
candidate returns is run or trusted: it is compared as data, and only for equality.

The pick (``pick``): the largest group; a tie goes to the group formed first (so
the earliest candidate in the order wins, as elsewhere in bestofn), and within the
group its first member. Which candidates to group is the caller's rule; measured
on a replay (``benchmarks/select_without_tests.py``, docs/SOLVING.md), ``solve``
groups the candidates that pass the prompt's examples (every one that passed the
static checks, for a task with no examples), since a candidate that gets the task's
own examples wrong is wrong whatever others agree with it.

When to stop drawing (``settled``): once the leading group has at least two
members and more than any other group could reach with every sample still to draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from verifiers.outputs import Behaviour, Kind, Output

REL_TOL = 1e-6
ABS_TOL = 1e-9
LEAST_AGREEING = 2
"""A group needs this many members before sampling can stop early on its lead."""


def same_tree(a: Any, b: Any) -> bool:
    """Two tagged value trees (``verifiers.outputs``) agree: exact types, floats within tolerance."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if type(a) is list:
        return len(a) == len(b) and all(same_tree(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(same_tree(a[k], b[k]) for k in a)
    return bool(a == b)


def same_output(a: Output, b: Output) -> bool:
    if a.kind is not b.kind:
        return False
    return same_tree(a.value, b.value) if a.kind is Kind.VALUE else True


def agree(a: Behaviour, b: Behaviour) -> bool:
    """Same outputs on every input (and both have outputs)."""
    return bool(a.outputs) and len(a.outputs) == len(b.outputs) \
        and all(same_output(x, y) for x, y in zip(a.outputs, b.outputs))


@dataclass(frozen=True)
class Group:
    """Candidates that agree with the group's first member on every input."""

    members: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.members)


def group(behaviours: Sequence[Behaviour]) -> tuple[Group, ...]:
    """The groups, in the order they were formed. Behaviours without outputs (a broken
    sandbox, a task with no inputs) are left out: there is nothing to compare."""
    firsts: list[Behaviour] = []
    members: list[list[str]] = []
    for behaviour in behaviours:
        if behaviour.error or not behaviour.outputs:
            continue
        for i, first in enumerate(firsts):
            if agree(first, behaviour):
                members[i].append(behaviour.candidate_id)
                break
        else:
            firsts.append(behaviour)
            members.append([behaviour.candidate_id])
    return tuple(Group(tuple(m)) for m in members)


def leader(groups: Sequence[Group]) -> Group | None:
    """The largest group, the one formed first among equals."""
    best: Group | None = None
    for g in groups:
        if best is None or g.size > best.size:
            best = g
    return best


@dataclass(frozen=True)
class Pick:
    """The chosen candidate and the evidence for it."""

    candidate_id: str
    group: int
    """Members of its group (itself included)."""
    candidates: int
    """Candidates grouped."""
    groups: int
    """Distinct behaviours among them."""
    inputs: int
    """Inputs every grouped candidate ran on."""
    examples: int = 0
    """Of those, the prompt's own example calls."""
    tests: int = 0
    """Model-written tests with an expected value (``dual_pick``)."""
    tests_passed: int = 0
    """Of those, the ones its group's outputs match."""
    answered: int = 0
    """Inputs on which it returned a value (not an exception, a timeout or a crash)."""

    @property
    def share(self) -> float:
        return self.group / self.candidates


def pick(behaviours: Sequence[Behaviour], examples: int = 0) -> Pick | None:
    """The first member of the leading group, or None when nothing could be grouped."""
    groups = group(behaviours)
    best = leader(groups)
    if best is None:
        return None
    first = next(b for b in behaviours if b.candidate_id == best.members[0])
    return Pick(best.members[0], best.size, sum(g.size for g in groups), len(groups), len(first.outputs), examples,
                answered=_answered(first))


def _answered(behaviour: Behaviour) -> int:
    return sum(1 for o in behaviour.outputs if o.kind is Kind.VALUE)


def model_tests_passed(behaviour: Behaviour, expected: Behaviour, positions: Sequence[int]) -> int:
    """How many model-written tests ``behaviour`` passes: inputs (at ``positions``) where
    the test expects a value and the candidate returned the same one."""
    return sum(1 for p in positions
               if p < len(behaviour.outputs) and p < len(expected.outputs)
               and expected.outputs[p].kind is Kind.VALUE and same_output(behaviour.outputs[p], expected.outputs[p]))


def _usable_tests(expected: Behaviour, positions: Sequence[int]) -> int:
    return sum(1 for p in positions if p < len(expected.outputs) and expected.outputs[p].kind is Kind.VALUE)


def _dual_scores(behaviours: Sequence[Behaviour], expected: Behaviour,
                 positions: Sequence[int]) -> tuple[tuple[Group, ...], list[int], list[int], int] | None:
    """The groups, the tests each passes, each one's score, and the leader's index
    (the best score, the group formed first among equals); None with nothing to group."""
    groups = group(behaviours)
    if not groups:
        return None
    by_id = {b.candidate_id: b for b in behaviours}
    passed = [model_tests_passed(by_id[g.members[0]], expected, positions) for g in groups]
    scores = [g.size * (1 + p) for g, p in zip(groups, passed)]
    lead = max(range(len(groups)), key=lambda i: (scores[i], -i))
    return groups, passed, scores, lead


def dual_pick(behaviours: Sequence[Behaviour], expected: Behaviour, positions: Sequence[int],
              examples: int = 0) -> Pick | None:
    """The pick by dual agreement (CodeT's rule): each group scores its size times one
    more than the model-written tests it passes; the best score wins, the group formed
    first among equals. ``expected``: the tests' expected outputs, collected like a
    candidate's (``tasks.model_tests.expectation_source``); ``positions``: where the
    tests' inputs sit among the inputs every behaviour ran on.

    The tests are evidence, not truth: one passed only by a small group lifts it a
    little, one the largest group passes lifts it most, and a test no candidate
    passes (a wrong expectation, common from a small model) changes nothing. With no
    usable test this is ``pick``."""
    scored = _dual_scores(behaviours, expected, positions)
    if scored is None:
        return None
    groups, passed, _scores, best = scored
    first = next(b for b in behaviours if b.candidate_id == groups[best].members[0])
    return Pick(first.candidate_id, groups[best].size, sum(g.size for g in groups), len(groups),
                len(first.outputs), examples, _usable_tests(expected, positions), passed[best], _answered(first))


PINNING_EXAMPLES = 2
"""How many of the prompt's examples pin a task's reading down: one example fixes one
point of the function. Three decisions rest on it, each measured (docs/SOLVING.md):
- a pick by agreement resting on fewer, on a task the model wrote tests for, must also
  pass one of those tests to be called (``corroborated``). On the held-out MBPP-style
  runs of sets n, o and p (one example each), the picks called solved that passed none
  of the model's tests (0 of 7, 0 of 4, 0 of 7) were all wrong, and every right call
  passed at least one. Held out, on set q, it withheld one pick (wrong: it divides by
  an empty list's length) and the run called 5 with 1 wrong. Letting a pick every
  candidate agreed on go on to the readers instead (no test then tells candidates
  apart; on sets q, r and s such picks were right 5 times in 6) was tried and measured
  held out, on set t: 3 more calls, 1 of them wrong (8 calls, 2 wrong, against 5 and 1),
  so the rule stays as it is;
- a lone candidate (no other agrees with it) is called on passing the examples only
  when there are at least this many (``sampler.core.selection.called_solved``): on the
  fresh runs without tests, lone candidates passing a single example were right 7 times
  in 15 (HumanEval 4 of 6, MBPP-style 3 of 9), those passing two or more 22 times in 25;
- the careful reader is asked only for picks resting on fewer (``sampler.core.reading``):
  on the full HumanEval run without tests, all 13 of its vetoes of picks resting on two
  or more were of right ones, against 6 right and 1 wrong on one example or none."""


def corroborated(chosen: Pick, *, examples_passed: bool = False) -> bool:
    """Whether a pick by agreement on a task without tests has the evidence to call the
    task solved: a strict majority of the candidates grouped agree with it; when the
    task states no examples for it to pass (``examples_passed`` False), it also passes
    at least one test the model wrote and returns a value on every input; and when it
    passed examples, it returns a value on at least half the inputs beyond them, and if
    it rests on fewer than ``PINNING_EXAMPLES`` of them, it passes at least one test the
    model wrote, if the model wrote any it could use.

    Each part was measured (``benchmarks/select_without_tests.py``, docs/SOLVING.md):
    without examples, agreement alone was wrong on 40% of HumanEval's picks; candidates
    that agree by raising agree on nothing; a model's expected value that a majority
    reproduces is evidence from outside the candidates; and with one example per task
    (MBPP's style) a wrong answer that fits it was often what a minority settled on,
    and a majority that no model test backs was often wrong too.
    Picks left uncalled stay guesses (``TaskResult.guess``)."""
    if 2 * chosen.group <= chosen.candidates:
        return False
    if examples_passed:
        # Values on at least half the inputs past the examples: a lookup table of the
        # examples that raises everywhere else agreed with another such by raising (red
        # team). No called pick of the HumanEval and MBPP-style runs on record answered less.
        beyond = chosen.inputs - chosen.examples
        if 2 * (chosen.answered - chosen.examples) < beyond:
            return False
        return chosen.examples >= PINNING_EXAMPLES or chosen.tests == 0 or chosen.tests_passed >= 1
    return chosen.tests_passed >= 1 and chosen.inputs > 0 and chosen.answered == chosen.inputs


def settled(groups: Sequence[Group], remaining: int) -> bool:
    """Whether drawing the ``remaining`` samples could no longer change the leader.

    True when the leading group has at least ``LEAST_AGREEING`` members and more
    than the runner-up (or a group not yet seen) would have if every remaining
    sample joined it: strictly more, so not even a tie is left to break.
    """
    sizes = sorted((g.size for g in groups), reverse=True)
    if not sizes or sizes[0] < LEAST_AGREEING:
        return False
    runner_up = sizes[1] if len(sizes) > 1 else 0
    return sizes[0] > runner_up + remaining


def dual_settled(behaviours: Sequence[Behaviour], expected: Behaviour, positions: Sequence[int],
                 remaining: int) -> bool:
    """``settled`` for ``dual_pick``: the leader (at least ``LEAST_AGREEING`` members)
    scores more than any other group could with every remaining sample joining it, and
    more than a group not yet seen could: ``remaining`` members passing every test."""
    scored = _dual_scores(behaviours, expected, positions)
    if scored is None:
        return False
    groups, passed, scores, lead = scored
    if groups[lead].size < LEAST_AGREEING:
        return False
    bounds = [(g.size + remaining) * (1 + p) for i, (g, p) in enumerate(zip(groups, passed)) if i != lead]
    bounds.append(remaining * (1 + _usable_tests(expected, positions)))
    return scores[lead] > max(bounds)
