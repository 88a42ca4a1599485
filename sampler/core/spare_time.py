"""A run with a time limit: the strong tier's spare time before it, and the stop at it
(``sampler.core.loop.BestOfN`` inherits it; ``SolveConfig.time_limit_s``).

Spare time. The budget stops an escalated task once its strong rounds are spent, and a
run on two CPU cores often ends minutes before the time its user gave it (the full
HumanEval run with the packaged models: every task decided at 23 minutes of 30). The
1.5B's plain samples of a task it has failed eight times still pass now and then (3
of 17 such tasks with 4 more samples each: docs/ENGINES.md), so with a limit a task
the budget stops unsolved waits, holding no batch slot, until the cheap tier and the
escalations waiting their turn are done, and then asks the strong tier for more
samples of the bare task, one request at a time, while this task's last strong
request says the next one would end before the limit. Never without a limit: the
time is then the user's, not the run's.

The stop. At the limit every request still in an engine is aborted and the verdicts
being worked out are recorded; a task that passed, or whose budget was spent before,
is decided as usual; the others get no result line, so a rerun goes on with them.
"""

from __future__ import annotations

import time
from concurrent.futures import Future

from sampler.core.escalation import spare_request
from sampler.core.loop_state import LoopState
from sampler.core.task_run import Pending, TaskRun, request_prefix
from sampler.storage.records import STRONG
from verifiers.outputs import Behaviour
from verifiers.types import Status, Verdict


class SpareTime(LoopState):
    """Spare time and the stop at the limit, over the state ``BestOfN`` keeps."""

    def _stop_at_limit(self, futures: dict[Future[tuple[list[Verdict], list[Behaviour]]],
                                           tuple[str, list[Pending]]]) -> None:
        """The time limit: nothing more is asked, what is being verified is recorded, and a
        task is decided only where it passed or its budget was already spent."""
        self._abort_all(after_pass=False)
        # Checks not begun are dropped, all of them before any is waited for (one waited
        # for lets the next begin): drawn, never verified, a rerun draws them again.
        begun = [(future, job) for future, job in futures.items() if not future.cancel()]
        for task_id, items in (job for future, job in futures.items() if future.cancelled()):
            self._runs[task_id].verifying -= len(items)
        for future, (task_id, items) in begun:
            self._record(self._runs[task_id], items, *future.result())
        futures.clear()
        for run in [*self._runs.values(), *self._spare.values()]:
            self._runs[run.task.task_id] = run
            if run.passed() and self._stops_at_pass(run):
                run.stop_reason = run.stop_reason or "passed"
                self._finish(run)
            elif run.spent_reason and not run.passed():
                self._decide_spent(run)
            else:
                del self._runs[run.task.task_id]
                self._stopped.append(run.task.task_id)
        self._spare.clear()
        undecided = [*(t.task_id for t in self._pending), *self._queued, *self._parked, *self._escalating]
        self._stopped.extend(undecided)
        self._pending.clear()
        self._queued.clear()
        self._parked.clear()
        self._escalating.clear()

    def _out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _waits_for_spare_time(self, run: TaskRun, reason: str) -> bool:
        """True when ``run``, stopped by the budget for ``reason``, now waits for spare time
        (it then holds no batch slot) instead of being decided."""
        if self.deadline is None or self.strong is None or self.config.escalation is None \
                or not self.config.stop_on_first_pass or self._by_agreement(run) \
                or run.strong_rounds == 0 or run.passed() \
                or any(s.status is Status.ERROR for s in run.samples.values()):
            return False
        run.spent_reason = reason
        del self._runs[run.task.task_id]
        self._spare[run.task.task_id] = run
        return True

    def _admit_spare(self) -> None:
        """A waiting task takes a batch slot: its next spare request if one is expected to
        end in time, else its decision (the budget's, as it stood)."""
        task_id = next(iter(self._spare))
        self._runs[task_id] = run = self._spare.pop(task_id)
        # This task's last strong request ran under about the load its next one will (the
        # same prompt, the same tail of the run); a task resumed from an earlier call has
        # none, and takes the latest of any task.
        expected = self._last_strong_seconds if run.last_strong_seconds is None else run.last_strong_seconds
        if expected is None or self.deadline is None or time.monotonic() + expected > self.deadline:
            self._decide_spent(run)
            return
        assert self.config.escalation is not None
        escalation = self.config.escalation
        after_rounds = self._spare_from() or 0
        first = max([after_rounds, *(s.sample_index + 1 for s in run.tier_samples(STRONG))])
        count = min(max(1, escalation.more_plain_samples), after_rounds + escalation.spare_samples - first)
        if count <= 0:  # its spare samples are spent (counted by index: an earlier call's too)
            self._decide_spent(run)
            return
        assert self.strong is not None
        self._submit(run, self.strong, [spare_request(
            run.task, first, count, self.config.sample, escalation,
            request_prefix(run.task.task_id, STRONG), self.config.strong_prefill)], STRONG)

    def _spare_from(self) -> int | None:
        """The first strong index of spare time: every round's samples come before it."""
        escalation = self.config.escalation
        return None if escalation is None else escalation.rounds * escalation.samples

    def _decide_spent(self, run: TaskRun) -> None:
        """Decide a task (in ``_runs``) whose budget was spent, as the budget stopped it."""
        drawn = run.spare_drawn(self._spare_from())
        spare = f"; {drawn} more strong sample(s) in spare time" if drawn else ""
        run.stop_reason = f"budget: {run.spent_reason}{spare}"
        self._finish(run)
