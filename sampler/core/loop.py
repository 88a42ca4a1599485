"""The best-of-N loop: sample, verify every candidate as it arrives, keep a verified one.

Streaming, not batched: each sample is its own engine request (seed = the task's
seed + the sample's index, so sample ``i`` is the same however it is scheduled).
Up to ``batch_tasks`` tasks are in flight at once; finished samples are verified in
a thread pool while the engine keeps generating. When a task has a verified pass
(and ``stop_on_first_pass``), its requests still in the engine are aborted. A task
with no pass asks the budget policy (sampler.policy.budget) for another wave, an
escalation round on the strong tier, or a stop. Escalation happens only on
verified failure, and the strong tier's candidates go through the same verifier.
Under the adaptive budget, cheap requests are also capped in length at what this
run's verified passes say a pass needs (sampler.policy.length_cap); when the cap falls,
requests still in the engine are shortened too.

Selection rule (deterministic): the passing cheap sample with the lowest index;
failing that, the passing strong sample with the lowest index.

Tasks without tests (``test_origin`` not ``given``, given an output collector) do
not stop at their first pass: each passing candidate is also run on the task's
inputs (``verifiers.outputs``, in the verifying thread), waves go on until the
leading group of agreeing candidates cannot be caught or the samples are spent,
and the pick is by agreement (``sampler.core.selection``). Tasks with tests are untouched.

Durability: every verified sample is appended (fsynced) as it is verified; a task's
result line comes after its samples. A task with a result line is done and
skipped on rerun; samples already verified are reused, never drawn again. A task
whose verification hit an infrastructure error and found no pass gets no result
line, so a rerun retries it.

A task's state while in flight, and the records it becomes: ``sampler.core.task_run``.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

from sampler.backends.base import Backend, Generation, GenerationRequest, StreamingBackend, streaming
from sampler.config import BudgetPolicy, SolveConfig
from sampler.core.admission import Admission
from sampler.core.escalation import not_verified, round_requests
from sampler.core.prompting import build_request, program_from_output
from sampler.core.reader_tests import tests_request_id
from sampler.core.reading import Reading, Said
from sampler.core.resumption import reusable_samples, round_cut_short, rounds_reached
from sampler.core.second_reader import pick_with_reader, split_reader, split_readers
from sampler.core.spare_time import SpareTime
from sampler.core.selection import agreement_pick, agreement_wave, called_solved, choose, pool_behaviours
from sampler.core.task_run import Pending, TaskRun, candidate_id, request_prefix
from sampler.core.verify_threads import verify_threads
from sampler.policy.budget import Action, Budget, TaskState
from sampler.policy.length_cap import FINISH_LENGTH_CAP, LengthCap
from sampler.storage.records import CHEAP, STRONG, SampleRecord, TaskResult, Tier, passed_tests_only
from sampler.storage.store import RunStore
from sampler.terminal.progress import NullProgress, Progress
from tasks.types import Task
from verifiers import agreement
from verifiers.outputs import Behaviour, Collector
from verifiers.types import Candidate, Status, Verdict, Verifier


@dataclass(frozen=True)
class SolveOutcome:
    """What one call of the loop did. Totals over a resumed run come from the store."""

    results: tuple[TaskResult, ...]
    """Results written by this call, in the order tasks finished."""
    skipped: int
    """Tasks already done in the store."""
    incomplete: tuple[str, ...]
    """Tasks left without a result because verification had infrastructure errors."""
    seconds: float
    stopped: tuple[str, ...] = ()
    """Tasks left undecided at the time limit, without a result (a rerun goes on with them)."""


class BestOfN(Admission, Reading, SpareTime):
    def __init__(self, backend: Backend | StreamingBackend, verifier: Verifier, config: SolveConfig,
                 store: RunStore, progress: Progress | None = None,
                 strong: Backend | StreamingBackend | None = None,
                 outputs: Collector | None = None, deadline: float | None = None) -> None:
        self.cheap = streaming(backend)
        self.strong = streaming(strong) if strong is not None else None
        if strong is backend:
            self.strong = self.cheap  # the same engine serves both tiers
        self.verifier = verifier
        self.outputs = outputs
        """Runs candidates of tasks without tests on shared inputs, for agreement (None: off)."""
        self.config = config
        self.store = store
        self.progress = progress or NullProgress()
        self.budget = Budget(config.budget, cheap_price=config.cheap_price,
                             strong_price=config.strong_price, max_cheap=config.sample.n,
                             escalation=config.escalation if self.strong else None,
                             stop_on_first_pass=config.stop_on_first_pass)
        miss = config.budget.length_cap_miss
        self.length_cap = (LengthCap(config.sample.max_tokens, miss)
                           if config.budget.policy is BudgetPolicy.ADAPTIVE and miss is not None
                           else None)
        self._runs: dict[str, TaskRun] = {}
        self._pending: deque[Task] = deque()
        self._queued: dict[str, TaskRun] = {}
        """Idle tasks waiting for shallower ones before their next decision (see
        "Deferred decisions" in ``sampler.core.admission``)."""
        self._parked: dict[str, TaskRun] = {}
        """Tasks the budget would stop on a prior still learning from other tasks, waiting
        for their final decision."""
        self._escalating: dict[str, TaskRun] = {}
        """Tasks the budget sends to the strong tier, waiting until the cheap tier has no
        work left (see "Escalation last" in ``sampler.core.admission``)."""
        self.deadline = deadline
        """``time.monotonic()`` at the time limit (``SolveConfig.time_limit_s``); None: none."""
        self._spare: dict[str, TaskRun] = {}
        """Escalated tasks the budget stopped unsolved, waiting for the strong tier's spare
        time before the limit (``sampler.core.spare_time``)."""
        self._stopped: list[str] = []
        self._last_strong_seconds: float | None = None
        self._owner: dict[str, str] = {}
        """Request id -> task id, for every request in flight."""
        self._results: list[TaskResult] = []
        self._incomplete: list[str] = []
        self._reader_answers = self._reader_tests_on_disk()
        """Task id -> the strong model's tests an earlier run was given (``sampler.core.reader_tests``)."""

    def _engines(self) -> list[StreamingBackend]:
        return [self.cheap] if self.strong is None or self.strong is self.cheap \
            else [self.cheap, self.strong]

    def run(self, tasks: Sequence[Task]) -> SolveOutcome:
        start = time.monotonic()
        self._pending = deque(t for t in tasks if not self.store.is_done(t.task_id))
        skipped = len(tasks) - len(self._pending)
        self.progress.start(total=len(tasks), already_done=skipped)
        futures: dict[Future[tuple[list[Verdict], list[Behaviour]]], tuple[str, list[Pending]]] = {}
        try:
            # A verifier that fans out further (a Ray worker pool) says how many
            # calls it can take at once; fewer threads would leave its workers idle.
            threads = max(self.config.verify_threads,
                          int(getattr(self.verifier, "parallelism", 0) or 0))
            with verify_threads(threads) as pool:
                while self._pending or self._runs or self._queued or self._parked or self._escalating \
                        or self._spare:
                    if self._out_of_time():
                        self._stop_at_limit(futures)
                        break
                    self._admit()
                    arrived = self._poll(wait_s=0.0 if futures else 0.5)
                    for task_id, items in arrived.items():
                        run = self._runs[task_id]
                        run.verifying += len(items)
                        future = pool.submit(self._verify, run.task, [i.candidate for i in items],
                                             self._by_agreement(run))
                        futures[future] = (task_id, items)
                    if futures and not arrived:
                        in_flight = sum(e.in_flight() for e in self._engines())
                        wait(list(futures), timeout=0.05 if in_flight else None,
                             return_when=FIRST_COMPLETED)
                    for future in [f for f in futures if f.done()]:
                        task_id, items = futures.pop(future)
                        self._record(self._runs[task_id], items, *future.result())
                    for run in [r for r in self._runs.values() if r.idle()]:
                        self._advance(run)
        finally:
            self._abort_all()
            self.progress.close()
        return SolveOutcome(tuple(self._results), skipped, tuple(self._incomplete),
                            time.monotonic() - start, tuple(self._stopped))

    # Engine side.

    def _begin(self, task: Task) -> None:
        # Samples verified by an earlier run are reused, their tokens counted
        # (``sampler.core.resumption``).
        known = reusable_samples(self.store.samples.get(task.task_id, {}), self.length_cap is not None)
        run = TaskRun(task, known, time.monotonic())
        for sample in known.values():
            self._observe_length(sample)
            run.tokens_in[sample.tier] = run.tokens_in.get(sample.tier, 0) + sample.prompt_tokens
            run.tokens_out[sample.tier] = run.tokens_out.get(sample.tier, 0) + sample.tokens
        self._tighten()
        run.strong_rounds = rounds_reached(known.values(), self._round_size(), self._spare_from())
        if self.config.escalation is not None and not run.passed():
            run.resumed_round = round_cut_short({s.sample_index for s in run.tier_samples(STRONG)},
                                                self._round_size(), self.config.escalation.rounds)
        if self._by_agreement(run):
            _, readers = split_readers(list(known.values()))
            # Its strong samples are readers' answers, not an escalation's, where a cheap
            # sample passed: readers are asked only then. (A task escalated for disputed
            # answers, its round cut short, was taken for one and asked the careful reader
            # without end on the rerun: red team.)
            if readers and any(s.passed for s in run.tier_samples(CHEAP)):
                run.reading, run.strong_rounds = len(readers), 0
            if task.task_id in self._reader_answers:
                self._restore_reader_tests(run, self._reader_answers[task.task_id])
        self._runs[task.task_id] = run
        self._observe(run)
        self._advance(run)

    def _observe(self, run: TaskRun) -> None:
        cheap = [s for s in run.tier_samples(CHEAP) if s.status is not Status.ERROR]
        passes = sum(s.passed for s in cheap)
        self.budget.observe_task(run.task.task_id, passes, len(cheap) - passes,
                                 run.covariate)

    def _observe_length(self, sample: SampleRecord) -> None:
        if self.length_cap is not None and sample.tier == CHEAP and sample.passed:
            self.length_cap.observe_pass(sample.tokens)

    def _cap(self) -> int:
        """The length new cheap requests get now (the cap may rise as passes spread out)."""
        return self.length_cap.cap() if self.length_cap is not None else self.config.sample.max_tokens

    def _tighten(self) -> None:
        """After new passes: cheap requests still in the engine above the cap are shortened
        to it (the cap learned mid-run reaches them; a request is never lengthened)."""
        if self.length_cap is None:
            return
        cap = self._cap()
        ids = []
        for run in self._runs.values():
            for request_id, (tier, _) in run.requests.items():
                if tier == CHEAP and run.capped.get(request_id, self.config.sample.max_tokens) > cap:
                    run.capped[request_id] = cap
                    ids.append(request_id)
        if ids:
            self.cheap.shorten(ids, cap)

    def _round_size(self) -> int:
        return self.config.escalation.samples if self.config.escalation else 1

    def _submit(self, run: TaskRun, engine: StreamingBackend,
                requests: list[GenerationRequest], tier: Tier) -> None:
        for request in requests:
            run.requests[request.request_id] = (tier, request.first_index)
            self._owner[request.request_id] = run.task.task_id
            if tier == STRONG:
                run.sent_at[request.request_id] = time.monotonic()
        engine.submit(requests)

    def _poll(self, wait_s: float) -> dict[str, list[Pending]]:
        arrived: dict[str, list[Pending]] = {}
        engines = self._engines()
        in_flight = [e for e in engines if e.in_flight()]
        for engine in engines:
            share = wait_s / len(in_flight) if engine in in_flight else 0.0
            for generation in engine.poll(share):
                self._arrive(generation, arrived)
        return arrived

    def _arrive(self, generation: Generation, arrived: dict[str, list[Pending]]) -> None:
        task_id = self._owner.pop(generation.request_id, None)
        if task_id is None:
            return  # aborted after it finished in the engine
        run = self._runs[task_id]
        tier, first = run.requests.pop(generation.request_id)
        sent = run.sent_at.pop(generation.request_id, None)
        if sent is not None:
            run.last_strong_seconds = self._last_strong_seconds = time.monotonic() - sent
        capped = run.capped.pop(generation.request_id, None) is not None
        run.tokens_in[tier] = run.tokens_in.get(tier, 0) + generation.prompt_tokens
        if generation.request_id == tests_request_id(task_id):
            self._tests_arrived(run, generation)
            return
        for offset, completion in enumerate(generation.completions):
            index = first + offset
            cid = candidate_id(index, tier)
            run.tokens_out[tier] = run.tokens_out.get(tier, 0) + completion.tokens
            if tier == CHEAP:
                self.budget.observe_cheap_sample(generation.prompt_tokens, completion.tokens)
            if run.passed() and self._stops_at_pass(run):
                continue  # arrived after the task was solved: paid for, not verified
            # Only indices without a verified sample are ever requested (cheap_done).
            source = program_from_output(run.task, completion.text, self.config.sample.prompt_style)
            finish = completion.finish_reason
            if capped and finish == "length":
                finish = FINISH_LENGTH_CAP
            arrived.setdefault(task_id, []).append(Pending(
                Candidate(task_id, cid, source), tier, index, completion.tokens,
                generation.prompt_tokens, finish))

    def _abort(self, run: TaskRun, after_pass: bool = True) -> None:
        """Abort the task's requests in the engines; their tokens so far count as spent.
        ``after_pass``: counted in ``aborted_requests`` (requests a pass made useless)."""
        for tier, engine in ((CHEAP, self.cheap), (STRONG, self.strong)):
            ids = [r for r, (t, _) in run.requests.items() if t == tier]
            if not ids or engine is None:
                continue
            aborted = engine.abort(ids)
            run.tokens_out[tier] = run.tokens_out.get(tier, 0) + aborted.tokens
            run.aborted += aborted.requests if after_pass else 0
        for request_id in run.requests:
            self._owner.pop(request_id, None)
        run.requests.clear()
        run.capped.clear()
        run.sent_at.clear()

    def _abort_all(self, after_pass: bool = True) -> None:
        for run in list(self._runs.values()):
            try:
                self._abort(run, after_pass)
            except Exception:  # best effort on the way out; the original error matters
                pass

    # Verifier side.

    def _verify(self, task: Task, candidates: list[Candidate],
                by_agreement: bool) -> tuple[list[Verdict], list[Behaviour]]:
        verdicts = self.verifier.verify(task, candidates)
        if len(verdicts) != len(candidates) or any(
            v.candidate_id != c.candidate_id for v, c in zip(verdicts, candidates)
        ):
            raise RuntimeError(f"verifier {self.verifier.name!r} returned verdicts out of order")
        if not by_agreement or self.outputs is None:
            return verdicts, []
        # Only candidates the pick could choose are worth running again.
        wanted = [c for c, v in zip(candidates, verdicts)
                  if v.passed or passed_tests_only(v.verifier, v.status, dict(v.stages))]
        return verdicts, self.outputs.behaviours(task, wanted) if wanted else []

    def _record(self, run: TaskRun, items: list[Pending], verdicts: list[Verdict],
                behaviours: list[Behaviour]) -> None:
        run.verifying -= len(items)
        model = {CHEAP: self.cheap.model, STRONG: self.strong.model if self.strong else ""}
        records = [item.record(verdict, model[item.tier]) for item, verdict in zip(items, verdicts)]
        self.store.record_samples(records)
        for record in records:
            run.samples[record.candidate_id] = record
            self._observe_length(record)
        run.behaviours.update((b.candidate_id, b) for b in behaviours)
        self._observe(run)
        if run.passed() and self._stops_at_pass(run):
            self._abort(run)
        self._tighten()

    # Decisions.

    def _advance(self, run: TaskRun) -> None:
        """An idle task: finish it, or start its next wave or escalation round."""
        if run.held:
            if run.passed():
                run.held = []
            else:
                assert self.strong is not None  # held requests are strong ones
                self._submit(run, self.strong, [run.held.pop(0)], STRONG)
                return
        if run.round_open:
            run.round_open = False
            strong = run.tier_samples(STRONG)
            cost = self.config.strong_price.cost(run.tokens_in.get(STRONG, 0),
                                                 run.tokens_out.get(STRONG, 0))
            self.budget.observe_round(any(s.passed for s in strong), cost - run.strong_cost_seen)
            run.strong_cost_seen = cost
        if run.passed():
            if self._by_agreement(run) and self.config.stop_on_first_pass:
                if not self._draw_for_agreement(run) and not self._ask_reader(run):
                    self._finish(run)
                return
            if self.config.stop_on_first_pass or not self._more_cheap(run):
                run.stop_reason = run.stop_reason or "passed"
                self._finish(run)
                return
        done = run.cheap_done()
        if self._deep(run, len(done)):
            self._queue(run)
            return
        if run.resumed_round:  # decided in the call that began it
            if not self._defer_escalation(run):
                self._escalate(run)
            return
        state = TaskState(cheap_drawn=len(done),
                          strong_rounds=run.strong_rounds,
                          # A task whose only answers are disputed by the property check
                          # goes to the strong tier too: an answer that passes every check
                          # is worth a round, and the disputed one stays as the fallback.
                          strong_available=self.strong is not None and self.config.escalation
                          is not None,
                          max_cheap=self.config.sample.n,
                          max_rounds=self.config.escalation.rounds if self.config.escalation else 0,
                          covariate=run.covariate)
        decision = self.budget.decide(state)
        run.spent_reason = ""  # set again if the budget stops it and it waits for spare time
        if decision.action is Action.SAMPLE and decision.samples > 0:
            self._sample(run, decision.samples)
            return
        if decision.action is Action.ESCALATE and self.strong is not None \
                and self.config.escalation is not None:
            if not self._defer_escalation(run):
                self._escalate(run)
            return
        if decision.revisable and self._learning():
            self._park(run)
            return
        if not run.stop_reason and not run.passed() and self._waits_for_spare_time(run, decision.reason):
            return
        if not run.stop_reason:
            run.stop_reason = "passed" if run.passed() else f"budget: {decision.reason}"
        self._finish(run)

    def _sample(self, run: TaskRun, count: int) -> None:
        """Request the next ``count`` cheap samples not drawn yet."""
        done = run.cheap_done()
        # Lazily: work grows with the samples drawn, not with n (red team: -n 10**8).
        indices = list(itertools.islice((i for i in range(self.config.sample.n) if i not in done), count))
        run.attempted.update(indices)
        prefix = request_prefix(run.task.task_id, CHEAP)
        requests = [build_request(run.task, self.config.sample, index=i, request_id=f"{prefix}{i}",
                                  prefill=self.config.answer_prefill) for i in indices]
        cap = self._cap()
        if cap < self.config.sample.max_tokens:
            requests = [dataclasses.replace(r, max_tokens=cap) for r in requests]
            run.capped.update((r.request_id, cap) for r in requests)
        self._submit(run, self.cheap, requests, CHEAP)

    # Agreement (tasks without tests). A passed task keeps drawing until its leading
    # group cannot be caught: the budget prices only unsolved tasks, so these waves
    # go around it (they are bounded by n like any other).

    def _by_agreement(self, run: TaskRun) -> bool:
        return self.outputs is not None and run.task.test_origin != "given"

    def _stops_at_pass(self, run: TaskRun) -> bool:
        return self.config.stop_on_first_pass and not self._by_agreement(run)

    def _draw_for_agreement(self, run: TaskRun) -> bool:
        """Draw the next wave of a passed task picked by agreement, unless its leader is
        settled or its samples are spent (then False: the task is done)."""
        assert self.outputs is not None
        remaining = 0 if run.strong_rounds or run.reading else self.config.sample.n - len(run.cheap_done())
        pool, _ = split_reader(list(run.samples.values()))
        behaviours = pool_behaviours(run.task, pool, run.behaviours, self.outputs)
        groups = agreement.group(behaviours)
        wave = agreement_wave(run.task, behaviours, self.outputs, remaining, self.config.budget.wave)
        if wave:
            self._sample(run, wave)
            return True
        lead = agreement.leader(groups)
        if lead is None:
            run.stop_reason = run.stop_reason or "passed"
            return False
        agree = f"{lead.size} of {sum(g.size for g in groups)} agree"
        if remaining > 0:  # settled: no draw left could overtake the leader
            run.stop_reason = f"agreement: {agree}"
        elif run.strong_rounds or run.reading:
            run.stop_reason = run.stop_reason or f"agreement, with the strong tier's answers: {agree}"
        else:  # said plainly: a tie here is a guess, not a pass
            run.stop_reason = run.stop_reason or f"samples spent: {agree}"
        return False

    def _escalate(self, run: TaskRun) -> None:
        assert self.strong is not None and self.config.escalation is not None
        if run.reading:
            self._submit(run, self.strong, [self._reader_request(run)], STRONG)
            return
        round_index = run.strong_rounds - 1 if run.resumed_round else run.strong_rounds
        size = self._round_size()
        # The round's prompt is made from earlier rounds' samples only, as when it began.
        earlier = [s for s in run.samples.values() if s.tier != STRONG or s.sample_index < round_index * size]
        requests = round_requests(run.task, round_index, earlier,
                                  self.config.sample, self.config.escalation,
                                  request_prefix(run.task.task_id, STRONG),
                                  prefill=self.config.strong_prefill)
        if run.resumed_round:
            run.resumed_round = False
            requests = not_verified(requests, set(run.samples), request_prefix(run.task.task_id, STRONG))
        else:
            run.strong_rounds += 1
        run.round_open = True
        if self.config.stop_on_first_pass and len(requests) > 1:
            # A round's requests go one after another, each only once those before it
            # failed: first the strong model's greedy answer to the bare task, then its
            # samples of the bare task at temperature, then drafts shown the cheap
            # failures. Sent together, the later ones were paid for on every task the
            # greedy answer solves (the drafts' prompt is about 800 tokens, read at ~50 a
            # second on 2 cores); sent after it, the server finds the task's prompt
            # cached in the greedy answer's slot.
            requests, run.held = requests[:1], requests[1:]
        self._submit(run, self.strong, requests, STRONG)

    def _pick(self, run: TaskRun, samples: list[SampleRecord]
              ) -> tuple[SampleRecord | None, agreement.Pick | None, dict[int, SampleRecord]]:
        if self.outputs is None or not self._by_agreement(run):
            return choose(samples), None, {}
        return pick_with_reader(run.task, samples, run.behaviours, self.outputs)

    def _more_cheap(self, run: TaskRun) -> bool:
        """Without stop-on-first-pass every one of the n cheap samples is drawn."""
        return len(run.cheap_done()) < self.config.sample.n

    def _finish(self, run: TaskRun) -> None:
        del self._runs[run.task.task_id]
        samples = sorted(run.samples.values(), key=lambda s: (s.tier != CHEAP, s.sample_index))
        chosen, agreed, readers = self._pick(run, samples)
        judged: tuple[SampleRecord | None, str | None, Said] | None = None
        if not (chosen is None and any(s.status is Status.ERROR for s in samples)) \
                and not any(reader.status is Status.ERROR for reader in readers.values()):
            judged = (chosen, None, Said())
            called = chosen is not None and called_solved(run.task, agreed)
            if chosen is not None and readers and called:
                judged = self._judge(run, chosen, readers)
            elif chosen is not None and not called:
                judged = self._guess(run, chosen, readers)
        if judged is None:
            # Infrastructure, not evidence: no result line, so a rerun decides the task.
            self._incomplete.append(run.task.task_id)
            self.progress.advance(1, 0)
            return
        chosen, guess, said = judged
        result = run.result(chosen, agreed, guess=guess, second_reader=said.greedy, careful_reader=said.careful,
                            reader_tests=said.tests, spare_from=self._spare_from(),
                            cheap_model=self.cheap.model,
                            cheap_price=self.config.cheap_price, strong_price=self.config.strong_price)
        self.store.record_result(result)
        self._results.append(result)
        self.progress.advance(1, int(result.solved))
