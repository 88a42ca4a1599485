"""The property verifier: differential testing against the task's reference solution.

Thin unit tests let wrong candidates through. This check generates many more
inputs from the entry point's signature (``verifiers.strategies``: annotations
read from the prompt's AST, domains bounded by the task's own examples,
hypothesis with a seed derived from the task id) and demands the candidate
agree with the reference on every input the reference accepts.

Nothing new runs in our process and the sandbox is unchanged: the inputs and
the reference program travel as literals inside a generated ``check(candidate)``,
which the ordinary test server runs against the candidate through the ordinary
plain-data channel. Per task, before any candidate:

1. *Probe* (one sandbox job, cached): the generated check runs the reference on
   every input in a private namespace (inputs it raises on, or takes over
   ``reference_call_seconds`` on, are discarded and counted), and calls the
   reference itself *as the candidate* in the candidate sandbox on the others;
   inputs whose result does not survive that round trip identically (values the
   channel cannot carry, a reference that depends on its process) are
   discarded too, and so are ties (``tie_like``: inputs where reordering a list
   changes the reference's answer, for a task none of whose examples depends on
   the order). Its wall time calibrates the limit, as ``Calibrator`` does
   for the unit tests (``FACTOR`` times, within ``FLOOR``..``CEILING``). It sends
   back the reference's answers on the usable inputs, and a probe that found any is
   kept on disk (``verifiers.probes``) for later runs over the same task.
2. *Check*: candidates run on the usable inputs (in one batch: ``map_calls``) and
   are compared with those answers, smallest first (by the length
   of their repr), each call on a deep copy of the arguments. Results must match
   with exact types, recursively (floats with ``math.isclose(rel_tol=1e-6,
   abs_tol=1e-9)``); a candidate that raises a builtin exception where the
   reference returns fails too. The first disagreement ends the check, so the
   counterexample in the verdict is the smallest disagreeing input generated
   (ordering is our shrinking: hypothesis' shrinker would need one sandbox job
   per step).

Statuses: FAILED with the counterexample (call, expected, got); TIMEOUT and
MEMORY as in the unit tests (then the input is not named: the channel ends
with the fault); ERROR for a broken sandbox. A task the check does not apply
to (no reference, no parameters, a type that is neither annotated nor shown by
an example, tests that accept several answers, no input the reference accepts)
gives PASSED with a ``not applicable`` detail: there is no evidence against
the candidate. ``applies(task)`` tells beforehand, without the sandbox.

How a failure here is used: the loop treats this check as advisory (sampler's
``records.ADVISORY_STAGES``): an answer that passes the task's own tests and
fails here is kept, marked ``disputed_by``, only when no sample passes
everything, because a generated input may still be one the task's words rule
out (``largest_prime_factor(2)`` for "assume n is not a prime").

Known gaps: explicit task-level properties (``Task`` has no field for them);
inputs outside the task's documented preconditions that the reference does not
reject and that the examples do not exclude can produce disagreements that
prove nothing (the domain heuristics limit, but cannot rule out, these);
a counterexample is not shrunk beyond picking the smallest generated one.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from tasks.errors import ConfigError
from tasks.program import reference_program
from tasks.types import Task
from verifiers import strategies
from verifiers.input_generation import generate_inputs
from verifiers.input_prefetch import InputPrefetcher
from verifiers.probes import Probe, probe_path, read_probe, write_probe
from verifiers.property_sources import (
    check_test_source,
    probe_answers,
    probe_report,
    probe_test_source,
    reference_fails,
)
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.stated_domain import Domain
from verifiers.shapes import Shape
from verifiers.stated_relations import Relation, fitted, task_relations
from verifiers.timeouts import CALIBRATION_WALL_SECONDS, CEILING_SECONDS, FACTOR, FLOOR_SECONDS, with_set_up_call
from verifiers.types import NOT_APPLICABLE, Candidate, Status, Verdict, truncate

VERSION = "11"  # 2: digit templates, balanced brackets, lower int bound, ties, typed sets; 3: time per input;
# 4: the probe's time budget; 5: inputs as read back from the disk cache (a set's order); 6: the budget counts
# the reference's own runs (half of it), the candidate's calls go in one batch; 7: the reference's
# answers from the probe; 8: a sorted list is one of the orders that find ties, inputs are drawn
# without hypothesis' local constants (GENERATION_VERSION 2) and keep the relations the task states;
# 9: a sorted order finds ties only where the examples were tried beyond turning them; 10: inputs made to
# keep the stated relations (cut, wrapped: all sizes drawn, not the smallest kept), no ties where the words order equals
# 11: dict keys compared with their types all the way down; arguments changed inside tuples, exactly

RELATED_DRAWS = 4
"""Draws per input wanted where the task states a relation between its arguments
(``verifiers.stated_relations``), and again if too few can be made to keep it: cut to
fit, many draws become the same input (HumanEval /120, /122, /152, /160: 100 draws gave
fewer than 100 inputs, 400 give them)."""
MAX_DRAWS = 2000
"""At most this many: 500 inputs wanted (``benchmarks/recheck_picks.py``) get 2,000
draws (with 500, /160 got 65 inputs: red team; now 180)."""

_COUNTER_RE = re.compile(r"bestofn-counterexample: (.*?)(?: at test line \d+: .*)?$", re.DOTALL)


@dataclass(frozen=True)
class PropertyConfig:
    """``examples``: inputs generated per task (fewer when the domain is small).
    ``salt``: varies the seed (0 is the documented default; the seed also
    depends on the task id). ``reference_call_seconds``: a reference call slower
    than this in the probe discards the input. ``probe_seconds``: about the most the
    probe may take: once the reference's runs in it (smallest input first, with its
    runs on reordered lists) have taken half of it, the inputs left are discarded, so
    a task whose reference is slow on large inputs (an O(n^3) count) is checked on the
    inputs that fit, and each candidate's check (the candidate on every usable input,
    against the reference's answers) takes about as long as the reference did on them,
    not seconds.
    """

    examples: int = 100
    salt: int = 0
    reference_call_seconds: float = 0.25
    probe_seconds: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.examples, bool) or not isinstance(self.examples, int):
            raise ConfigError(f"examples must be an int, got {self.examples!r}")
        if not 1 <= self.examples <= 500:
            raise ConfigError(f"examples must be in 1..500, got {self.examples!r}")
        if isinstance(self.salt, bool) or not isinstance(self.salt, int) or self.salt < 0:
            raise ConfigError(f"salt must be a non-negative int, got {self.salt!r}")
        if isinstance(self.reference_call_seconds, bool) or not isinstance(self.reference_call_seconds, (int, float)):
            raise ConfigError(f"reference_call_seconds must be a number, got {self.reference_call_seconds!r}")
        if not 0.01 <= self.reference_call_seconds <= 10:
            raise ConfigError(f"reference_call_seconds must be in [0.01, 10], got {self.reference_call_seconds!r}")
        if isinstance(self.probe_seconds, bool) or not isinstance(self.probe_seconds, (int, float)) \
                or not 0.1 <= self.probe_seconds <= 60:
            raise ConfigError(f"probe_seconds must be a number in [0.1, 60], got {self.probe_seconds!r}")


@dataclass(frozen=True)
class PropertyPlan:
    """A task's generated inputs (before the probe), or why the check does not apply."""

    task_id: str
    inputs: tuple[tuple[Any, ...], ...]
    reason: str = ""

    @property
    def applicable(self) -> bool:
        return not self.reason


def make_plan(task: Task, config: PropertyConfig) -> PropertyPlan:
    """A task's generated inputs, drawn from its text alone (or read from the disk cache)."""
    if reference_program(task) is None:
        return PropertyPlan(task.task_id, (), "the task has no reference solution")
    shapes = strategies.plan_inputs(task)
    if not shapes.applicable:
        return PropertyPlan(task.task_id, (), shapes.reason)
    seed = strategies.task_seed(task.task_id, config.salt)
    relations = task_relations(task, len(shapes.shapes))
    if not relations:
        inputs = generate_inputs(shapes.shapes, config.examples, seed)
    else:  # draws made to keep the relations the task states between its arguments; more if too few can
        draws = min(MAX_DRAWS, RELATED_DRAWS * config.examples)  # cut alike, many draws become one input
        while True:
            drawn = generate_inputs(shapes.shapes, draws, seed)
            inputs = related_inputs(relations, shapes.shapes, drawn, config.examples)
            if len(inputs) >= config.examples or draws >= MAX_DRAWS:
                break
            draws = min(MAX_DRAWS, RELATED_DRAWS * draws)
    if not inputs:
        return PropertyPlan(task.task_id, (), "no inputs could be generated")
    return PropertyPlan(task.task_id, tuple(inputs))


def related_inputs(relations: Sequence[Relation], shapes: Sequence[Shape], drawn: Sequence[tuple[Any, ...]],
                   count: int) -> list[tuple[Any, ...]]:
    """Up to ``count`` of ``drawn`` made to keep ``relations`` (``stated_relations.fitted``),
    smallest first, spread over all of them when there are more: the first ``count``
    would be the smallest only (HumanEval/120's lists had 2 to 4 items so: red team)."""
    unique: dict[str, tuple[Any, ...]] = {}
    for args in drawn:
        made = fitted(relations, shapes, args)
        if made is not None:
            unique.setdefault(repr(made), made)
    ordered = [args for _, args in sorted(unique.items(), key=lambda kv: (len(kv[0]), kv[0]))]
    if len(ordered) <= count:
        return ordered
    if count == 1:
        return ordered[:1]
    return [ordered[round(i * (len(ordered) - 1) / (count - 1))] for i in range(count)]


class PropertyVerifier:
    """``verify(task, candidates)`` -> one verdict per candidate, in order (name ``properties``).

    Uses the given pool (share the unit-test verifier's) or starts its own on
    first use and then owns and closes it.
    """

    name = "properties"

    def __init__(
        self,
        pool: SandboxPool | None = None,
        config: PropertyConfig | None = None,
        workers: int | None = None,
    ) -> None:
        self.config = config if config is not None else PropertyConfig()
        self._pool = pool
        self._owns_pool = pool is None
        self._workers = workers
        self._lock = threading.Lock()
        self._plans: dict[str, PropertyPlan] = {}
        self._probes: dict[str, Probe] = {}
        self._prefetcher = InputPrefetcher()

    @property
    def version(self) -> str:
        """Changes whenever the same candidate could get a different verdict (inputs, policy)."""
        import hypothesis

        return (f"{VERSION}:{self.config.examples}:{self.config.salt}:{self.config.probe_seconds:g}:"
                f"{hypothesis.__version__}")

    # ------------------------------------------------------------------ planning

    def plan(self, task: Task) -> PropertyPlan:
        """The task's inputs, generated in our process from its text alone (cached)."""
        key = task.digest()
        with self._lock:
            cached = self._plans.get(key)
        if cached is not None:
            return cached
        plan = self._make_plan(task)
        with self._lock:
            self._plans[key] = plan
        return plan

    def _make_plan(self, task: Task) -> PropertyPlan:
        return make_plan(task, self.config)

    def prefetch(self, tasks: Sequence[Task]) -> None:
        """Draw these tasks' inputs in a background process (``verifiers.input_prefetch``),
        when every task is known up front; the check reads them from the disk cache."""
        self._prefetcher.start(tasks, functools.partial(make_plan, config=self.config))

    def applies(self, task: Task) -> bool:
        """Whether the check can say anything about this task (decided without the sandbox)."""
        return self.plan(task).applicable

    # ------------------------------------------------------------------ sandbox

    def _ready(self) -> SandboxPool:
        with self._lock:
            if self._pool is None:
                self._pool = SandboxPool(workers=self._workers, verifier=self.name)
            return self._pool

    def probe(self, task: Task) -> Probe:
        """The reference's view of the inputs (one sandbox job per task, cached unless it broke)."""
        plan = self.plan(task)
        if not plan.applicable:
            return Probe((), reason=plan.reason)
        key = task.digest()
        with self._lock:
            cached = self._probes.get(key)
        if cached is not None:
            return cached
        path = probe_path(key, plan.inputs, self._probe_settings())
        result = read_probe(path, plan.inputs)
        if result is None:
            result = self._run_probe(task, plan)
            write_probe(path, plan.inputs, result)
        if not result.error:
            with self._lock:
                self._probes[key] = result
        return result

    def _probe_settings(self) -> str:
        """What besides the task and its inputs decides a probe (``verifiers.probes``)."""
        return repr((VERSION, self.config.reference_call_seconds, self.config.probe_seconds, PER_INPUT_SECONDS,
                     CALL_FLOOR_SECONDS, FACTOR, FLOOR_SECONDS, CEILING_SECONDS, CALIBRATION_WALL_SECONDS))

    def _run_probe(self, task: Task, plan: PropertyPlan) -> Probe:
        program = reference_program(task)
        assert program is not None
        pool = self._ready()
        probe_task = dataclasses.replace(
            task, test=probe_test_source(task, program, plan.inputs, self.config.reference_call_seconds,
                                         self.config.probe_seconds)
        )
        base = SandboxLimits(wall_seconds=CALIBRATION_WALL_SECONDS)
        report = pool.run_source(probe_task, program, base)
        if report.status is Status.ERROR:
            return Probe((), error=report.detail or "the sandbox failed while probing the reference")
        failing = reference_fails(report.returned) if report.status is Status.PASSED else ""
        if failing:
            return Probe((), reason=truncate(f"the reference fails the task's own tests ({failing})", 300))
        found = probe_report(report.returned) if report.status is Status.PASSED else None
        if found is None:
            why = f"{report.status.value}: {report.detail}" if report.detail else report.status.value
            return Probe((), reason=truncate(f"the reference does not survive its own property check ({why})", 300))
        raised, slow, unplain, unstable = (found[name] for name in ("raised", "slow", "unplain", "unstable"))
        usable_seconds = float(found["seconds"])
        bits = int(found["usable"], 16)
        sensitive = int(found["sensitive"], 16)
        # An input only sorting changes is a tie only where an example was tried in an
        # order no rotation or reversal gives, and kept its answer: a round table's
        # examples of three guests cannot show it, and a wrong answer that sorts the
        # guests first passed while such inputs were discarded (red team).
        if found["examples_beyond"]:
            sensitive |= int(found["sorted_sensitive"], 16)
        if not tie_like(found["examples"], found["examples_sensitive"]) or order_stated(task.prompt):
            sensitive = 0
        indexes = [i for i in range(len(plan.inputs)) if bits >> i & 1]
        answers = probe_answers(found["expected"], len(indexes))
        kept = [k for k, i in enumerate(indexes) if not sensitive >> i & 1]
        usable = tuple(plan.inputs[indexes[k]] for k in kept)
        expected = None if answers is None else tuple(answers[k] for k in kept)
        ties = bin(bits & sensitive).count("1")
        # Limit from the time the usable inputs took, as Calibrator does, and never less
        # than PER_INPUT_SECONDS per input: a correct answer slower than the reference
        # on every input (50 ms a call, over 100 inputs) is not a timeout.
        wall = min(CEILING_SECONDS, max(FLOOR_SECONDS, FACTOR * usable_seconds,
                                        PER_INPUT_SECONDS * len(usable)))
        # No re-run of a timeout (this check's timeout is a dispute, never a rejection, and a
        # re-run let a sleeping candidate hold a slot for twice the limit), and a limit per
        # call, so one that sleeps or spins on one input is stopped there, not at the wall.
        call = min(wall, max(CALL_FLOOR_SECONDS, FACTOR * usable_seconds))
        limits = SandboxLimits(wall_seconds=wall, rerun_timeouts=False, call_seconds=call)
        reason = "" if usable else "the reference accepts none of the generated inputs"
        return Probe(usable, raised, slow, unplain, unstable, limits, reason, ties=ties, expected=expected,
                     keeps_arguments=found.get("keeps") == 1)

    # ------------------------------------------------------------------ verifying

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        if not candidates:
            return []
        probe = self.probe(task)
        if probe.error:
            detail = truncate(f"infrastructure (probing the reference): {probe.error}")
            return [Verdict(c.task_id, c.candidate_id, self.name, Status.ERROR, detail) for c in candidates]
        if probe.reason:
            detail = truncate(f"{NOT_APPLICABLE} {probe.reason}")
            return [Verdict(c.task_id, c.candidate_id, self.name, Status.PASSED, detail) for c in candidates]
        program = reference_program(task)
        assert program is not None and probe.limits is not None
        # Changing an argument is a difference only where the task says to leave them be
        # and the reference does (``Domain.kept``).
        keeps = probe.keeps_arguments and Domain.stated(task.prompt).kept
        check_task = dataclasses.replace(task, test=check_test_source(task, program, probe.usable, probe.expected,
                                                                      keeps))
        verdicts = self._ready().run(check_task, candidates, with_set_up_call(probe.limits))
        summary = f"{len(probe.usable)} generated inputs agree with the reference"
        if probe.discarded:
            summary += f"; discarded: {_discards(probe)}"
        out = []
        for verdict in verdicts:
            detail = verdict.detail
            if verdict.status is Status.PASSED:
                detail = summary
            elif verdict.status is Status.FAILED:
                match = _COUNTER_RE.search(detail)
                if match is not None:
                    detail = "counterexample: " + match.group(1)
            out.append(dataclasses.replace(verdict, verifier=self.name, detail=truncate(detail)))
        return out

    def close(self) -> None:
        self._prefetcher.close()
        with self._lock:
            if self._owns_pool and self._pool is not None:
                self._pool.close()
            self._pool = None if self._owns_pool else self._pool

    def __enter__(self) -> PropertyVerifier:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


TIE_MIN_EXAMPLES = 2


PER_INPUT_SECONDS = 0.1
"""The least time the property check allows a candidate per generated input."""

CALL_FLOOR_SECONDS = 1.0
"""The least time one call of the property check may take: ten times what every generated
input together took the reference, and never less than this (a busy machine)."""


_ORDER_WORDS = re.compile(
    r"\b(?:(?:original|same|relative|input|given) order(?:ing)?|order (?:in which )?(?:they|it) "
    r"(?:appear|occur|came|come|had|have|were)|order of (?:their )?(?:appearance|occurrence)|"
    r"in the order (?:(?:they are|it is) )?given|stabl[ey] sort|sort is stable|stably|"
    r"first one (?:in case|if|when|that|found|encountered)|first (?:occurrence|of them)|"
    r"(?:appear|appears|occur|occurs) first|leftmost|rightmost|relative positions?|"
    r"(?:lowest|smallest) index|(?:closest|nearest) to the (?:start|beginning|front|end)|"
    r"index in (?:the )?original|(?:keep|keeps|keeping|preserve|preserves|preserving) (?:the |their |its )?"
    r"(?:original |relative )?order(?:ing)?)\b", re.IGNORECASE)
_ANY_ORDER = re.compile(r"\b(?:any|no particular|arbitrary) order\b|\border (?:does not|doesn't) matter\b",
                        re.IGNORECASE)


def order_stated(prompt: str) -> bool:
    """Whether the task's words say how equals are ordered or which of them wins ("keep
    the order they had in the input", "a stable sort", "the first one", "the leftmost"),
    by their places in the input (not "scheduled earlier", which orders by value: a
    second red team's right answers failed on ties it left open): then an input
    where reordering a list changes the answer is no tie, whatever the examples show (a
    stable sort whose examples hold no equal lengths dropped 39 of 100 inputs as ties, and
    an answer that broke ties alphabetically passed: red team)."""
    return _ORDER_WORDS.search(prompt) is not None and _ANY_ORDER.search(prompt) is None


def tie_like(examples: int, examples_sensitive: int) -> bool:
    """Whether generated inputs on which reordering a list changes the reference's
    answer are ties, to discard.

    ``examples``: the task's own example calls that have a list to reorder (and that
    the reference accepts); ``examples_sensitive``: how many of them change answer
    when it is reordered. When no example does (at least two tried), the task treats
    the list as a collection, and an input where order changes the answer is a tie
    its words leave open: ``find_closest_elements([2.0, 0.0, 0.0, 2.0])``, where
    (0.0, 0.0) is as close as the reference's (2.0, 2.0). When an example does,
    order is part of the task (``longest`` returns the first of equals, a filter
    keeps the order, ``monotonic``) and nothing is discarded. The share of
    sensitive generated inputs cannot tell these apart: on HumanEval it is 13% for
    closest-pair ties and 7-23% for filters that keep order.
    """
    return examples >= TIE_MIN_EXAMPLES and examples_sensitive == 0


def _discards(probe: Probe) -> str:
    parts = [
        (probe.raised, "the reference rejects (raises, or returns None for a non-Optional result)"),
        (probe.slow, "too slow for the reference"),
        (probe.unplain, "with a result that is not plain data"),
        (probe.unstable, "on which the reference disagrees with itself across processes"),
        (probe.ties, "ties (the reference's answer there depends on the order of a list it otherwise ignores)"),
    ]
    return ", ".join(f"{n} {why}" for n, why in parts if n)
