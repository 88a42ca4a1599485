"""What candidates return: each one run on shared inputs in the sandbox, its outputs collected.

For a task that came without tests, candidates are compared with one another
(``verifiers.agreement``), and that needs each one's behaviour as data. The
inputs come from the task's text alone, as the property check's do
(``verifiers.strategies``): the prompt's own example calls first (its doctests,
``f(x) == y`` lines and asserts, as ``tasks.examples`` turned them into the task's
``check``), then inputs generated from the entry point's signature, bounded by
those examples. No reference solution is needed and none is used.

How a candidate runs: a generated ``check(candidate)`` (trusted code of ours, in
the test server; the candidate stays in its own sandbox behind the plain-data
channel, as for any test) calls it on every input in order (in one batch: the
channel's ``map_calls``, each reply held to the per-call limit), each call on a copy
of the arguments, and *returns* what it saw as
JSON text, which the sandbox hands back (``JobReport.returned``). Each output is
one of four kinds (``Kind``): a value, an exception (any exception the candidate
raised, of its own class too; its name is kept for people, not compared), a timeout
(the call ran past ``per_call_seconds``) or a crash (the candidate's process ended:
memory, an exit). After a timeout or a crash the candidate's process is gone or out
of step, so the job ends there and a new job resumes at the next input; a job killed
at its own wall-clock or CPU limit, every call within its limit, resumes at the input
it was on instead (a slow right answer is not a timeout for being slow in sum). Up to
``max_jobs`` jobs a candidate; inputs still left then take the last stop's kind.

Values travel as tagged JSON trees that keep exact types (a tuple is not a list,
``True`` is not ``1``); a set's members and a dict's keys are sorted by their text.
Output is bounded: a value whose text is over ``value_chars`` is replaced by a
digest of that text (still compared exactly, no longer within a float tolerance),
and the whole report by the sandbox's ``RETURNED_LIMIT``.

Known gaps: what a candidate does to its arguments (an in-place sort) is not an
output; a candidate's behaviour on generated inputs outside what the task allows
is compared like any other (the task's words may leave it open).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol

from tasks.errors import ConfigError, InfrastructureError
from tasks.model_tests import ModelTest
from tasks.types import Task
from verifiers import strategies
from verifiers.channel import CodecError, encode
from verifiers.edge_inputs import edge_calls
from verifiers.harness.source import calls_literal, harness_source
from verifiers.input_generation import generate_inputs
from verifiers.sandbox import JobReport, SandboxLimits, SandboxPool
from verifiers.signatureless import example_arity, plan_from_examples
from verifiers.stated_domain import Domain
from verifiers.stated_relations import keeps, signature_relations
from verifiers.timeouts import set_up_seconds, with_set_up_call
from verifiers.types import Candidate, Status

VERSION = "6"  # 2: set members and dict keys as trees, not as text; 3: the calls in one batch; 4: replies under the per-call alarm; 5: one set-up call
# 6: made calls keep the relations between arguments the task states


class Kind(StrEnum):
    """What one call of a candidate came to."""

    VALUE = "value"
    RAISED = "raised"
    TIMEOUT = "timeout"
    CRASHED = "crashed"


@dataclass(frozen=True)
class Output:
    """One call's outcome. ``value``: the tagged JSON tree of a returned value (a
    ``{"h": digest}`` tree for one over the size cap), or the exception's name."""

    kind: Kind
    value: Any = None


@dataclass(frozen=True)
class Behaviour:
    """One candidate's outputs, one per input in order; ``error`` set when the sandbox
    broke (infrastructure: then there are no outputs, and nothing is held against it)."""

    candidate_id: str
    outputs: tuple[Output, ...] = ()
    error: str = ""
    jobs: int = 0
    """Sandbox jobs it took (one, plus one per timeout or crash resumed after)."""


@dataclass(frozen=True)
class OutputsConfig:
    """``inputs``: generated inputs per task (the examples' come on top).
    ``per_call_seconds``: a call slower than this is a timeout. ``max_jobs``:
    sandbox jobs per candidate. ``value_chars``: longer values are compared by digest.
    """

    inputs: int = 50
    per_call_seconds: float = 1.0
    max_jobs: int = 4
    value_chars: int = 2000
    salt: int = 0

    def __post_init__(self) -> None:
        for name, lo, hi in (("inputs", 0, 500), ("max_jobs", 1, 20), ("value_chars", 16, 100_000)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ConfigError(f"{name} must be an int in {lo}..{hi}, got {value!r}")
        if isinstance(self.per_call_seconds, bool) or not isinstance(self.per_call_seconds, (int, float)) \
                or not 0.01 <= self.per_call_seconds <= 30:
            raise ConfigError(f"per_call_seconds must be in [0.01, 30], got {self.per_call_seconds!r}")
        if isinstance(self.salt, bool) or not isinstance(self.salt, int) or self.salt < 0:
            raise ConfigError(f"salt must be a non-negative int, got {self.salt!r}")


@dataclass(frozen=True)
class Inputs:
    """A task's inputs: its examples' calls first, then generated ones; or why there are none."""

    calls: tuple[tuple[Any, ...], ...]
    examples: int = 0
    """How many of ``calls`` (the first ones) are the prompt's own example calls."""
    reason: str = ""


def task_inputs(task: Task, config: OutputsConfig) -> Inputs:
    """The calls every candidate of ``task`` is run on, from the task's text alone: its
    example calls, edge cases made from them (``verifiers.edge_inputs``), then inputs
    generated from the signature (or, without one, from the examples' values)."""
    node, why = strategies.signature_def(task)
    if node is not None:
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        arity = len(positional) - len(args.defaults)
        if arity == 0:
            return Inputs(((),), reason="")  # one call tells all a parameterless function does
        plan = strategies.plan_inputs(task, pinned=False)
    else:
        found = example_arity(task)
        if found is None:
            return Inputs((), reason=why)
        arity = found
        plan = plan_from_examples(task, arity)
    observed = strategies.observed_calls(task, arity)
    examples = [c for c in observed if strategies.is_plain(c) and carried(c)]
    generated: list[tuple[Any, ...]] = []
    if plan.applicable and config.inputs:
        seed = strategies.task_seed(task.task_id, config.salt)
        generated = generate_inputs(plan.shapes, config.inputs, seed)
    unique: dict[str, tuple[Any, ...]] = {}
    for call in examples:
        unique.setdefault(repr(call), call)
    count = len(unique)
    # Made calls that break a relation the task states between its arguments split right
    # answers that differ only there (``verifiers.stated_relations``).
    relations = signature_relations(task, node, arity, observed) if node is not None else ()
    for call in [*edge_calls(examples, Domain.stated(task.prompt)), *generated]:
        if keeps(relations, call):
            unique.setdefault(repr(call), call)
    if not unique:
        return Inputs((), reason=plan.reason or "no example calls and no generated inputs")
    return Inputs(tuple(unique.values()), examples=count)


def carried(call: tuple[Any, ...]) -> bool:
    """Whether the sandbox's channel can carry ``call``'s arguments (the test side encodes
    each call as this does). One call it cannot carry fails the whole batch it is in, for
    every candidate: a model's test calling with a complex number, or with a list 101
    deep, made every candidate's outputs an error, so agreement had nothing to group
    and a wrong sample that passed the examples was called solved (red team)."""
    try:
        encode(list(call))
    except (CodecError, RecursionError):
        return False
    return True


def carried_tests(tests: Sequence[ModelTest]) -> tuple[ModelTest, ...]:
    """The model's tests whose input and expected value both cross the channel."""
    return tuple(t for t in tests if carried(t.call) and carried((t.expected,)))


class Collector(Protocol):
    """What the loop needs to pick by agreement (``OutputCollector``; fakes in tests)."""

    def inputs(self, task: Task) -> Inputs: ...

    def behaviours(self, task: Task, candidates: Sequence[Candidate]) -> list[Behaviour]: ...

    def behaviours_on(self, task: Task, candidates: Sequence[Candidate],
                      calls: Sequence[tuple[Any, ...]]) -> list[Behaviour]:
        """Each candidate's outputs on ``calls`` alone, in order."""
        ...


class OutputCollector:
    """``behaviours(task, candidates)``: each candidate's outputs on ``inputs(task)``, in the sandbox.

    Uses the given pool (share the pipeline's) or starts its own on first use and
    then owns and closes it.
    """

    def __init__(self, pool: SandboxPool | None = None, config: OutputsConfig | None = None,
                 workers: int | None = None) -> None:
        self.config = config if config is not None else OutputsConfig()
        self._pool = pool
        self._owns_pool = pool is None
        self._workers = workers
        self._lock = threading.Lock()
        self._inputs: dict[str, Inputs] = {}

    def inputs(self, task: Task, extra_calls: Sequence[tuple[Any, ...]] = ()) -> Inputs:
        """``task``'s inputs, then ``extra_calls`` not among them (a model's tests' inputs)."""
        key = task.digest()
        with self._lock:
            cached = self._inputs.get(key)
        if cached is None:
            cached = task_inputs(task, self.config)
            with self._lock:
                self._inputs[key] = cached
        if not extra_calls:
            return cached
        unique = {repr(call): call for call in cached.calls}
        for call in extra_calls:
            if carried(call):
                unique.setdefault(repr(call), call)
        return dataclasses.replace(cached, calls=tuple(unique.values()), reason="")

    def _ready(self) -> SandboxPool:
        with self._lock:
            if self._pool is None:
                self._pool = SandboxPool(workers=self._workers, verifier="agreement")
            return self._pool

    def behaviours(self, task: Task, candidates: Sequence[Candidate],
                   extra_calls: Sequence[tuple[Any, ...]] = ()) -> list[Behaviour]:
        """One per candidate, in order, on ``inputs(task, extra_calls)``; no outputs (and no
        error) when the task has no inputs. Candidates with the same text run once (as
        the pipeline verifies them once)."""
        return self._run(task, candidates, self.inputs(task, extra_calls).calls)

    def behaviours_on(self, task: Task, candidates: Sequence[Candidate],
                      calls: Sequence[tuple[Any, ...]]) -> list[Behaviour]:
        return self._run(task, candidates, tuple(calls))

    def _run(self, task: Task, candidates: Sequence[Candidate],
             inputs: tuple[tuple[Any, ...], ...]) -> list[Behaviour]:
        if not candidates or not inputs:
            return [Behaviour(c.candidate_id) for c in candidates]
        firsts: dict[str, Candidate] = {}
        for cand in candidates:
            firsts.setdefault(cand.source, cand)
        if len(firsts) < len(candidates):
            ran = {b.candidate_id: b for b in self._run(task, list(firsts.values()), inputs)}
            return [dataclasses.replace(ran[firsts[c.source].candidate_id], candidate_id=c.candidate_id)
                    for c in candidates]
        done: dict[str, list[Output]] = {c.candidate_id: [] for c in candidates}
        errors: dict[str, str] = {}
        jobs = dict.fromkeys(done, 0)
        last_stop: dict[str, Kind] = {}
        try:
            for _ in range(self.config.max_jobs):
                open_ = [c for c in candidates if c.candidate_id not in errors
                         and len(done[c.candidate_id]) < len(inputs)]
                if not open_:
                    break
                by_start: dict[int, list[Candidate]] = {}
                for cand in open_:
                    by_start.setdefault(len(done[cand.candidate_id]), []).append(cand)
                for start, group in by_start.items():
                    rest = inputs[start:]
                    job_task = dataclasses.replace(task, test=collect_test_source(rest, self.config))
                    reports = self._ready().run_reports(job_task, group, self._limits(len(rest)))
                    for cand, report in zip(group, reports):
                        cid = cand.candidate_id
                        jobs[cid] += 1
                        try:
                            outputs = parse_report(report, len(rest))
                        except ValueError as exc:
                            errors[cid] = str(exc)
                            continue
                        done[cid].extend(outputs)
                        if len(outputs) < len(rest):
                            last_stop[cid] = outputs[-1].kind if outputs and not report.spent else Kind.TIMEOUT
        except InfrastructureError as exc:
            why = f"infrastructure: {type(exc).__name__}: {exc}"
            return [Behaviour(c.candidate_id, error=why, jobs=jobs[c.candidate_id]) for c in candidates]
        out = []
        for cand in candidates:
            cid = cand.candidate_id
            if cid in errors:
                out.append(Behaviour(cid, error=errors[cid], jobs=jobs[cid]))
                continue
            outputs = done[cid]
            # Jobs spent: what is left takes the kind the candidate last stopped with.
            outputs += [Output(last_stop.get(cid, Kind.CRASHED))] * (len(inputs) - len(outputs))
            out.append(Behaviour(cid, tuple(outputs), jobs=jobs[cid]))
        return out

    def _limits(self, calls: int) -> SandboxLimits:
        # Room for every call at a fair pace, and a few slow ones; a job past it is
        # killed and resumed after the input it was on (no re-run of the same job).
        wall = min(60.0, 3.0 + 2 * self.config.per_call_seconds + 0.02 * calls)
        # The calls go in one batch (``map_calls``): the channel holds each reply to the limit.
        # One call may take as long as a task's own tests are given at least: the one
        # that pays for one-off set-up (``timeouts.with_set_up_call``).
        return with_set_up_call(SandboxLimits(wall_seconds=wall, rerun_timeouts=False,
                                              call_seconds=min(wall, self.config.per_call_seconds)))

    def close(self) -> None:
        with self._lock:
            if self._owns_pool and self._pool is not None:
                self._pool.close()
            self._pool = None if self._owns_pool else self._pool

    def __enter__(self) -> OutputCollector:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _stop_kind(status: Status) -> Kind:
    return Kind.TIMEOUT if status is Status.TIMEOUT else Kind.CRASHED


def parse_report(report: JobReport, calls: int) -> list[Output]:
    """The outputs one job saw, for a prefix of its ``calls``: all of them, or up to and
    including the one it stopped at (a timeout, a crash, or an exception that ended the
    channel); the caller resumes after it. ValueError for a broken sandbox or a
    malformed report.

    A job that returned nothing never reached the calls (the candidate did not
    load, or the job's deadline passed first): every call gets the job's kind. A job
    whose time ran out (``JobReport.spent``) mid-call gives the answered calls only.
    """
    if report.status is Status.ERROR:
        raise ValueError(report.detail or "the sandbox failed")
    if not report.returned:
        return [Output(_stop_kind(report.status))] * calls
    try:
        data = json.loads(report.returned)
    except (ValueError, RecursionError):
        raise ValueError("malformed outputs report") from None
    if type(data) is not dict or type(data.get("o")) is not list or data.get("stop") not in _STOPS:
        raise ValueError("malformed outputs report")
    entries: list[Any] = data["o"]
    stop = data["stop"]
    outputs = []
    for entry in entries:
        if type(entry) is not list or len(entry) != 2 or entry[0] not in ("v", "h", "x"):
            raise ValueError("malformed output")
        tag, body = entry
        if tag == "v":
            outputs.append(Output(Kind.VALUE, body))
        elif tag == "h" and type(body) is str:
            outputs.append(Output(Kind.VALUE, {"h": body}))
        elif tag == "x" and type(body) is str:
            outputs.append(Output(Kind.RAISED, body[:80]))
        else:
            raise ValueError("malformed output")
    if stop == "t":
        outputs.append(Output(Kind.TIMEOUT))
    elif stop == "c" and not report.spent:
        outputs.append(Output(_stop_kind(report.status)))
    # Killed at the job's wall or CPU limit with no call past its own limit: the call it was
    # in gets no output, and the next job resumes there. Recorded as a timeout, it split a
    # right answer at 0.15 s a call from a fast twin (red team).
    if len(outputs) > calls or (not stop and len(outputs) != calls) or (stop == "e" and not outputs):
        raise ValueError("outputs do not match the calls")
    return outputs


_STOPS = ("", "t", "c", "e")
"""How a collecting job ended: ran every call; a timeout; a crash; an exception that ended the channel."""


# --------------------------------------------------------------------------- the generated check


def collect_test_source(calls: Sequence[tuple[Any, ...]], config: OutputsConfig) -> str:
    """The generated ``check(candidate)`` (``verifiers.harness.collect_outputs``): every
    call in order, its outputs returned as JSON text."""
    values = {"_BESTOFN_INPUTS": calls_literal(calls),
              "_BESTOFN_PER_CALL": repr(float(config.per_call_seconds)),
              # The job's one slow call, as its limits allow it (``OutputCollector._limits``).
              "_BESTOFN_SET_UP": repr(float(set_up_seconds(config.per_call_seconds) or 0.0)),
              "_BESTOFN_VALUE_CHARS": repr(int(config.value_chars))}
    return harness_source("collect_outputs", values, "_bestofn_collect")
