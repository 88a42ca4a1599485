"""The Python API under the CLI: run a solve or a verify and get typed results back
(``verify`` lives in ``sampler.core.verify_run``, which loads nothing of the solve loop).

>>> from sampler.core.api import solve
>>> report = solve(suite="humaneval", limit=5, out="runs/demo")  # doctest: +SKIP
>>> report.summary.coverage                                        # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sampler.backends.base import (
    Backend,
    HoldsOtherWhileBusy,
    Pausable,
    StartsOnFirstUse,
    StreamingBackend,
)
from sampler.backends.factory import check_model_name, make_backend, prefills_answers
from sampler.config import (
    CHEAP_PRICE,
    STRONG_PRICE,
    BudgetConfig,
    BudgetPolicy,
    EngineConfig,
    EscalationConfig,
    SOLVE_SAMPLES,
    SampleConfig,
    SolveConfig,
    TierPrice,
)
from sampler.core.escalation import template_id as escalation_template_id
from sampler.core.prompting import template_id
from sampler.core.test_writing import writing_prompt_id
from sampler.models import DEFAULT_MODEL, PACKAGED_MODELS
from sampler.storage.records import TaskResult
from sampler.storage.store import RunStore
from sampler.terminal.progress import NullProgress, Progress
from sampler.terminal.summary import Summary, summarise
from tasks.registry import select_tasks
from tasks.types import Task
from verifiers.types import Verifier

from sampler.core.verify_run import close_if_closable, default_verifier, stage_stats
from sampler.core.verify_run import verify as verify  # the API's other half, kept importable from here

if TYPE_CHECKING:  # the solve loop and its collectors load with solve()
    from sampler.core.loop import SolveOutcome
    from verifiers.outputs import Collector


SAME_ENGINE = "same"
"""``strong="same"``: no stronger model here; the cheap engine with repair prompts."""


@dataclass(frozen=True)
class SolveReport:
    results: tuple[TaskResult, ...]
    """One per finished task, in task order, including tasks finished by earlier runs."""
    summary: Summary
    outcome: SolveOutcome
    out_dir: Path
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per verification stage of this call: counts (ran, cached, passed, ...) and seconds."""


def solve(
    tasks: Sequence[Task] | str | Path | None = None,
    *,
    out: str | Path,
    suite: str | None = None,
    limit: int | None = None,
    skip: int = 0,
    model: str = DEFAULT_MODEL,
    sample: SampleConfig | None = None,
    batch_tasks: int | None = None,
    engine: EngineConfig | None = None,
    backend: Backend | StreamingBackend | None = None,
    verifier: Verifier | None = None,
    verifiers: Sequence[str] | None = None,
    progress: Progress | None = None,
    stop_on_first_pass: bool = True,
    budget: BudgetConfig | None = None,
    strong: str | None = None,
    strong_backend: Backend | StreamingBackend | None = None,
    escalation: EscalationConfig | None = None,
    cheap_price: TierPrice = CHEAP_PRICE,
    strong_price: TierPrice | None = None,
    agreement: bool = True,
    outputs: Collector | None = None,
    written_tests: bool = True,
    time_limit_s: float | None = None,
) -> SolveReport:
    """Best-of-N over ``tasks`` (Task objects, a JSONL path) or a named ``suite``.

    Results go to ``out`` as they are produced; calling again with the same ``out``
    resumes. A ``backend``/``verifier`` you pass stays open; ones built here are closed.

    ``strong``: the tier tasks escalate to when no cheap sample passed: ``same`` (the
    cheap engine itself with repair prompts and a larger budget), a model name or
    path (a second engine), or ``openai:MODEL@URL``. ``strong_backend`` passes one
    ready-made. Escalation uses ``escalation`` (default ``EscalationConfig()``).

    ``agreement``: tasks that came without tests (``Task.test_origin`` not ``given``)
    draw on past their first pass and are picked by agreement between candidates
    (``sampler.core.selection``), their candidates run by ``outputs`` (default: an
    ``OutputCollector`` on the verifier's sandbox pool where it has one, else on a pool
    started here); False picks the first pass, as for tasks with tests.
    ``written_tests``: before sampling, the cheap model writes tests for each such task
    (``sampler.core.written_tests``); their inputs join the agreement inputs and the
    pick is scored by the tests each group passes (``verifiers.agreement.dual_pick``).
    A task without tests is solved only when its pick is well supported
    (``sampler.core.selection.called_solved``); otherwise the pick is its ``guess``.
    ``time_limit_s``: seconds from this call on (``SolveConfig.time_limit_s``): spare
    strong samples before it, a stop at it; tasks left undecided are in
    ``outcome.stopped``, and a rerun goes on with them.
    """
    from sampler.core.loop import BestOfN, SolveOutcome  # here, not at import: verify needs neither
    from sampler.core.written_tests import WRITTEN_TESTS, WrittenTestsCollector, write_tests
    from verifiers.outputs import OutputCollector

    start = time.monotonic()
    strong_name = strong_backend.model if strong_backend is not None else strong
    if strong_name is not None and escalation is None:
        escalation = EscalationConfig()
    same_engine = strong == SAME_ENGINE and strong_backend is None
    prefill = bool(getattr(backend, "supports_prefill", False)) if backend is not None \
        else prefills_answers(model)
    wave, tasks_at_once = scheduling_defaults(prefill)
    config = SolveConfig(
        sample=sample or SampleConfig(n=SOLVE_SAMPLES), batch_tasks=tasks_at_once if batch_tasks is None else batch_tasks,
        stop_on_first_pass=stop_on_first_pass, budget=budget or BudgetConfig(wave=wave),
        escalation=escalation if strong_name is not None else None,
        cheap_price=cheap_price,
        strong_price=strong_price or _default_strong_price(strong_name, same_engine, cheap_price),
        time_limit_s=time_limit_s,
    )
    strong_prefill = False
    if strong_name is not None:
        strong_prefill = bool(getattr(strong_backend, "supports_prefill", False)) \
            if strong_backend is not None else (prefill if same_engine else prefills_answers(strong_name))
    config = dataclasses.replace(config, answer_prefill=prefill, strong_prefill=strong_prefill)
    # The limit counts from this call's start (engine start included); the config checked it.
    deadline = None if config.time_limit_s is None else start + config.time_limit_s
    task_list = select_tasks(tasks, suite=suite, limit=limit, skip=skip)
    if backend is None:
        check_model_name(model)
    if strong is not None and not same_engine and strong_backend is None:
        check_model_name(strong)
    own_verifier = None
    if verifier is None:
        verifier = own_verifier = default_verifier(verifiers)
    own_backend: Backend | StreamingBackend | None = None
    own_strong: Backend | StreamingBackend | None = None
    store: RunStore | None = None
    own_outputs: OutputCollector | None = None
    if agreement and outputs is None and any(t.test_origin != "given" for t in task_list):
        outputs = own_outputs = OutputCollector(pool=getattr(verifier, "sandbox_pool", None))
    try:
        fingerprint = {"model": backend.model if backend else model, "verifier": verifier.name,
                       **config.fingerprint(),
                       "prompt_template": template_id(config.sample.prompt_style, config.answer_prefill)}
        if strong_name is not None:
            fingerprint["strong"] = strong_name
            fingerprint["escalation_template"] = escalation_template_id(
                config.strong_prefill, config.escalation is not None and config.escalation.greedy_first,
                config.escalation.plain_after_greedy if config.escalation is not None else 0,
                config.escalation.more_plain_after_greedy if config.escalation is not None else 0)
        if written_tests and agreement and any(t.test_origin != "given" for t in task_list):
            fingerprint["written_tests"] = writing_prompt_id()
        store = RunStore(Path(out), fingerprint, n=config.sample.n)
        store.check_tasks(task_list)
        if store.extends(config.sample.n):
            _reopen_for_more_samples(store, task_list, config)
        pending = [t for t in task_list if not store.is_done(t.task_id)]
        # Start the engines only when there is work: a finished run resumes instantly.
        if backend is None and pending:
            backend = own_backend = make_backend(model, engine or EngineConfig(), log_dir=Path(out))
        if strong_backend is None and strong is not None and pending:
            strong_backend = backend if same_engine else _deferred_engine(strong, engine, Path(out))
            if strong_backend is not backend:
                own_strong = strong_backend
                if isinstance(backend, Pausable) and isinstance(strong_backend, StartsOnFirstUse):
                    # Both tiers are CPU engines of ours: never let them fight over the cores.
                    strong_backend = own_strong = HoldsOtherWhileBusy(strong_backend, backend)
        if written_tests and isinstance(outputs, OutputCollector) and backend is not None:
            untested = [t for t in pending if t.test_origin != "given"]
            if untested:
                note = getattr(progress, "note", None)
                outputs = WrittenTestsCollector(outputs, write_tests(
                    backend, untested, Path(out) / WRITTEN_TESTS, seed=config.sample.seed, prefill=prefill,
                    progress=note if callable(note) else None, deadline=deadline))
        outcome = (BestOfN(backend, verifier, config, store, progress or NullProgress(),
                           strong=strong_backend, outputs=outputs if agreement else None,
                           deadline=deadline).run(task_list)
                   if backend is not None
                   else SolveOutcome((), len(task_list), (), 0.0))
        ids = [t.task_id for t in task_list]
        summary = summarise(ids, store.results, store.samples, config.sample.n,
                            time.monotonic() - start,
                            fixed_n=not config.stop_on_first_pass
                            and config.budget.policy is BudgetPolicy.FIXED, stopped=len(outcome.stopped))
        results = tuple(store.results[t] for t in ids if t in store.results)
        if not outcome.incomplete and len(results) == len(ids):
            store.finished(config.sample.n)
        return SolveReport(results, summary, outcome, Path(out), stage_stats(verifier))
    finally:
        # Every one closed, whichever fails (a full disk failed the store's close, and the
        # engines and sandboxes after it were left: red team); the first failure is raised.
        with contextlib.ExitStack() as closing:
            for closer in (own_strong, own_backend):
                if closer is not None:
                    closing.callback(closer.close)
            if own_verifier is not None:
                closing.callback(close_if_closable, own_verifier)
            if own_outputs is not None:
                closing.callback(own_outputs.close)  # its own pool, if it started one; never the verifier's
            if store is not None:
                closing.callback(store.close)


def _reopen_for_more_samples(store: RunStore, tasks: Sequence[Task], config: SolveConfig) -> None:
    """A rerun asking for more samples per task than were drawn: tasks that could use
    them are decided again, their earlier samples reused and only the new indices
    drawn (every sample has its own seed, so sample i is the one drawn before).
    Stopping at the first pass, a solved task needs nothing more."""
    for task in tasks:
        result = store.results.get(task.task_id)
        if result is not None and not (result.solved and config.stop_on_first_pass):
            store.reopen(task.task_id)


def scheduling_defaults(prefill: bool) -> tuple[int, int]:
    """(cheap samples per task per wave, tasks in flight) for an engine.

    llama.cpp (the engine that prefills answers) shares no prompt between parallel
    requests, and a prefilled answer is short, so a prompt costs more than its
    answer: a second sample sent beside the first is mostly a second prompt, thrown
    away when the first passes. Measured on HumanEval with the packaged 0.5B: waves
    of 2 over 8 tasks processed 18k prompt tokens for 1.5k generated in the first
    4.5 minutes. So one sample per wave over 16 tasks (its 16 slots). vLLM shares
    prompt prefixes in its cache, so a second sample's prompt is nearly free there:
    waves of 2 over 8 tasks."""
    return (1, 16) if prefill else (2, 8)


def _default_strong_price(strong: str | None, same_engine: bool, cheap: TierPrice) -> TierPrice:
    """The same engine costs what the cheap tier costs; a packaged model on this machine
    costs machine time, which per token is the cheap tier's times how much slower it
    decodes (the 1.5B: 11.0 against 30.4 tokens/s for the 0.5B, measured, so about 3x);
    anything else is priced as a hosted frontier model."""
    if same_engine:
        return cheap
    if strong is not None and strong in PACKAGED_MODELS:
        return TierPrice(cheap.input_per_mtok * 3, cheap.output_per_mtok * 3)
    return STRONG_PRICE


def _deferred_engine(model: str, engine: EngineConfig | None, log_dir: Path) -> StartsOnFirstUse:
    """The strong tier's engine, started when its first request comes: a run the cheap
    tier solves whole never pays its start-up or its memory."""
    return StartsOnFirstUse(model, lambda: make_backend(model, engine or EngineConfig(), log_dir=log_dir))
