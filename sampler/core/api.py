"""The Python API under the CLI: run a solve or a verify and get typed results back.

>>> from sampler.core.api import solve
>>> report = solve(suite="humaneval", limit=5, out="runs/demo")  # doctest: +SKIP
>>> report.summary.coverage                                        # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import time
from collections.abc import Sequence
from concurrent.futures import as_completed
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
from sampler.core.verify_threads import verify_threads
from sampler.models import DEFAULT_MODEL, PACKAGED_MODELS
from sampler.storage.candidate_file import load_candidates
from sampler.storage.records import TaskResult
from sampler.storage.store import JsonlAppender, RunStore, read_records
from sampler.terminal.progress import NullProgress, Progress
from sampler.terminal.summary import Summary, summarise
from tasks.errors import InputError
from tasks.registry import select_tasks
from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict, Verifier

if TYPE_CHECKING:  # the solve loop and its collectors load with solve(): verify needs neither
    from sampler.core.loop import SolveOutcome
    from verifiers.outputs import Collector


VERIFY_TASKS_AT_ONCE = 2
"""``verify`` keeps this many tasks in the verifier at once (more if it says it takes more)."""
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


def default_verifier(stages: Sequence[str] | None = None, *, pin: bool = False) -> Verifier:
    """The cheap-first pipeline (syntax, tests, mypy, properties), each stage where it applies.

    ``stages`` picks a subset by name; unknown names raise ``UnknownNameError``.
    ``pin``: sandbox slots pinned to cores, for processes that run no engine.
    """
    from verifiers.pipeline import make_pipeline

    return make_pipeline(stages, pin=pin)


def stage_stats(verifier: Verifier) -> dict[str, dict[str, Any]]:
    """Per-stage counts and seconds, for verifiers that keep them (the pipeline)."""
    stats = getattr(verifier, "stats_dict", None)
    return dict(stats()) if callable(stats) else {}


def close_if_closable(obj: object) -> None:
    """Verifiers need not have ``close``; the ones built here (the pipeline) do."""
    close = getattr(obj, "close", None)
    if callable(close):
        close()


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


def verdict_digest(task: Task, candidate: Candidate) -> str:
    """What a verdict line was reached on: the task's text and the candidate's."""
    text = f"{task.digest()}\0{candidate.source}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def verify(
    tasks: str | Path | Sequence[Task],
    candidates: str | Path | Sequence[Candidate],
    *,
    out: str | Path,
    verifier: Verifier | None = None,
    verifiers: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> list[Verdict]:
    """Verify candidates; one verdict line per candidate is appended to ``out``.

    Candidates already in ``out`` (by task_id and candidate_id) with a verdict from the
    same checks (``checks``: the verifier's name) on the same text (``digest``: of the
    task's and the candidate's) are not verified again, so an interrupted verify
    resumes; other checks, other text, or an ``error`` verdict, verify again (the later
    line supersedes). Returns every candidate's verdict, in the order given: those
    kept from an earlier run are read back from ``out``.
    """
    task_list = select_tasks(tasks)
    by_id = {t.task_id: t for t in task_list}
    cand_list = (load_candidates(Path(candidates), by_id)
                 if isinstance(candidates, (str, Path)) else list(candidates))
    out_path = Path(out)
    _refuse_foreign_out(out_path, [Path(p) for p in (tasks, candidates) if isinstance(p, (str, Path))])
    own_verifier = verifier is None
    # No engine shares this process's cores here, so the sandbox slots may pin theirs.
    active = verifier if verifier is not None else default_verifier(verifiers, pin=True)
    # A verdict counts as done only if the same checks produced it (a rerun with other
    # --verifiers verifies again), on the same task and candidate text (an id reused for
    # other text kept its old verdict: red team) and it is not an infrastructure error
    # (retried).
    done = {(obj["task_id"], obj["candidate_id"], obj["digest"]): obj
            for _, obj in read_records(out_path) if _keepable(obj, active.name)}
    digests = {(c.task_id, c.candidate_id): verdict_digest(by_id[c.task_id], c) for c in cand_list}
    todo = [c for c in cand_list if (c.task_id, c.candidate_id, digests[c.task_id, c.candidate_id]) not in done]
    groups: dict[str, list[Candidate]] = {}
    for cand in todo:
        groups.setdefault(cand.task_id, []).append(cand)
    bar = progress or NullProgress()
    appender = JsonlAppender(out_path)
    by_task: dict[str, list[Verdict]] = {}
    # Tasks are verified concurrently, as the solve loop does: one task's few candidates
    # leave sandbox slots idle while its last one runs (328 HumanEval candidates, two per
    # task: 3.4 s one task at a time, 2.0 s with the slots kept fed).
    threads = max(VERIFY_TASKS_AT_ONCE, int(getattr(active, "parallelism", 0) or 0))
    try:
        bar.start(total=len(cand_list), already_done=len(cand_list) - len(todo))
        prefetch = getattr(active, "prefetch", None)
        if callable(prefetch):  # every task is known up front: checks may prepare ahead
            prefetch([by_id[task_id] for task_id in groups])
        with verify_threads(threads) as pool:
            futures = {pool.submit(active.verify, by_id[task_id], group): task_id
                       for task_id, group in groups.items()}
            try:
                for future in as_completed(futures):
                    batch = future.result()
                    appender.append(
                        {"task_id": v.task_id, "candidate_id": v.candidate_id, "status": v.status.value,
                         "detail": v.detail, "seconds": round(v.seconds, 4), "verifier": v.verifier,
                         "checks": active.name, "digest": digests[v.task_id, v.candidate_id]}
                        for v in batch
                    )
                    by_task[futures[future]] = batch
                    bar.advance(len(batch), sum(v.passed for v in batch))
            finally:
                for future in futures:
                    future.cancel()  # after a failure or Ctrl-C: start no further task
    finally:
        bar.close()
        appender.close()
        if own_verifier:
            close_if_closable(active)
    fresh = {(v.task_id, v.candidate_id): v for batch in by_task.values() for v in batch}
    return [fresh.get((c.task_id, c.candidate_id))
            or _kept_verdict(done[c.task_id, c.candidate_id, digests[c.task_id, c.candidate_id]])
            for c in cand_list]


_KEPT_STATUSES = frozenset(s.value for s in Status if s is not Status.ERROR)
"""Verdicts a rerun keeps: an infrastructure ``error`` (or a line no run wrote) is redone."""


_VERDICT_KEYS = ("task_id", "candidate_id", "status")
_LOOKED_AT = 100
"""Lines of an existing ``--out`` read before appending to it: a foreign file shows itself at once."""


def _refuse_foreign_out(out: Path, inputs: Sequence[Path]) -> None:
    """``verify --out`` appends verdicts: only to a verdicts file (each of its first lines a
    verdict, the last perhaps torn by a crash), never to its inputs, a run's records or
    any other file (each was left unreadable to the next command, after an exit 0: two
    red teams; a run's pretty-printed run.json, a gzip file, a prior)."""
    for path in inputs:
        try:
            same = out.exists() and path.exists() and out.samefile(path)
        except OSError:
            same = False
        if same:
            raise InputError(f"{out}: --out is one of verify's own inputs; choose another file")
    try:
        if not out.is_file():
            return  # none yet (a directory or worse is refused when it is opened)
        with out.open("rb") as handle:
            lines = [line for line in (handle.readline(1 << 20) for _ in range(_LOOKED_AT)) if line]
    except OSError:
        return  # the appender says why it cannot be written
    torn_last = bool(lines) and not lines[-1].endswith(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            if number == len(lines) and torn_last:
                continue  # a crash's torn last line: the appender mends it
            obj = None
        # The keys, whatever their values: a hand-edited verdict is redone, not refused (red team).
        if not isinstance(obj, dict) or not all(key in obj for key in _VERDICT_KEYS) \
                or "sample_index" in obj or "solved" in obj:
            raise InputError(f"{out}:{number}: --out holds lines that are not verdicts (tasks, candidates or "
                             "a run's records?); choose another file")


def _keepable(line: dict[str, Any], checks: str) -> bool:
    """A line a rerun keeps: written by these checks, whole (a hand-edited line with a
    list for a status or an id crashed the rerun: red team), and not an ``error``."""
    return (line.get("checks") == checks and type(line.get("status")) is str
            and line["status"] in _KEPT_STATUSES
            and all(type(line.get(key)) is str for key in ("task_id", "candidate_id", "digest")))


def _kept_verdict(line: dict[str, Any]) -> Verdict:
    """A verdict an earlier run wrote, read back."""
    seconds = line.get("seconds")
    try:
        spent = float(seconds) if isinstance(seconds, (int, float)) else 0.0
    except OverflowError:  # an int past float's range
        spent = 0.0
    return Verdict(line["task_id"], line["candidate_id"], str(line.get("verifier", "")),
                   Status(line["status"]), str(line.get("detail", "")), spent)
