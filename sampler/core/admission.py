"""Which tasks hold the loop's ``batch_tasks`` slots, and when: the best-of-N loop's
scheduling of tasks (``sampler.core.loop.BestOfN`` inherits it).

Tasks not begun come first; under the adaptive budget a task deeper than others
waits its turn and a stop waits until nothing is left to learn; escalations wait
until the cheap tier has no work left.
"""

from __future__ import annotations

from sampler.config import BudgetPolicy
from sampler.core.loop_state import LoopState
from sampler.core.task_run import TaskRun


class Admission(LoopState):
    """The loop's task scheduling, over the state ``BestOfN`` keeps."""

    # Deferred decisions. The adaptive budget prices another wave on a prior fitted
    # to every task's verdicts so far; early in a run that prior rests on a few tasks
    # and a few samples each, and which tasks it has seen depends on the order
    # verdicts arrive in. So the budget's decisions wait for evidence:
    # - breadth first: a task deeper than others still to be sampled (tasks not
    #   begun, or begun with fewer samples) waits its turn, so each wave of each task
    #   is priced on every task's earlier waves, not on whichever finished first;
    # - a stop is final only once no verdict is still to come: until then the task
    #   is parked, then decided again on the best-informed prior the run will have.
    # Without this, a task that passes late (HumanEval/16: 1 in 10, at sample 6)
    # was kept or dropped by scheduling luck. Only the adaptive budget learns, so
    # only it waits; tasks waiting hold no requests and no ``batch_tasks`` slot.

    def _depth(self, run: TaskRun) -> int:
        return len(run.cheap_done())

    def _deep(self, run: TaskRun, depth: int) -> bool:
        """True when an unsolved idle task should wait for shallower ones first."""
        if self.config.budget.policy is not BudgetPolicy.ADAPTIVE or run.passed() \
                or run.strong_rounds or depth >= self.config.sample.n:
            return False
        if self._pending and depth > 0:  # tasks not begun have drawn nothing yet
            return True
        # Shallower tasks that will sample: queued ones, and those in flight. Idle runs
        # are being decided now (a parked one coming back must not hold up the queue).
        coming = [*self._queued.values(), *(r for r in self._runs.values() if not r.idle())]
        return any(self._depth(r) < depth for r in coming if r is not run and not r.passed())

    def _learning(self) -> bool:
        """True while verdicts are still to come: tasks waiting to sample, or in-flight work."""
        return bool(self._pending or self._queued) or any(not r.idle() for r in self._runs.values())

    def _queue(self, run: TaskRun) -> None:
        del self._runs[run.task.task_id]
        self._queued[run.task.task_id] = run

    def _park(self, run: TaskRun) -> None:
        del self._runs[run.task.task_id]
        self._parked[run.task.task_id] = run

    def _admit(self) -> None:
        """Fill the ``batch_tasks`` slots: tasks not begun first (they are the shallowest),
        then queued tasks, shallowest first; parked tasks once nothing is left to learn
        (their stop is then final, unless one of them samples again, which parks the
        others once more)."""
        while len(self._runs) < self.config.batch_tasks:
            if self._pending:
                self._begin(self._pending.popleft())
            elif self._queued:
                task_id = min(self._queued, key=lambda t: self._depth(self._queued[t]))
                run = self._queued[task_id]
                if self._deep(run, self._depth(run)):
                    return  # the shallowest queued task still waits for one in flight
                self._runs[task_id] = self._queued.pop(task_id)
            elif self._parked and not self._learning():
                task_id = next(iter(self._parked))
                self._runs[task_id] = self._parked.pop(task_id)
            elif self._escalating and not self._cheap_work_left():
                # The budget's decision stands: re-deciding now, on a prior that has since
                # seen every task, could send the task back to the cheap tier.
                task_id = next(iter(self._escalating))
                self._runs[task_id] = run = self._escalating.pop(task_id)
                self._escalate(run)
            elif self._spare and not self._cheap_work_left():
                self._admit_spare()  # escalations waiting their turn came first
            else:
                return

    # Escalation last. On one machine the two tiers share the cores: while the strong
    # tier works, the cheap one is paused (HoldsOtherWhileBusy), so an escalation in the
    # middle of the run stops every cheap task for the minute a 1.5B round takes on two
    # cores. Escalations wait until the cheap tier has nothing left to do and then go
    # together, batch_tasks at a time, which also keeps the strong engine's batch full.
    # A separate strong engine (its own GPU, a remote server) is not held up by this
    # either way; the cost there is only that strong answers arrive at the end.

    def _cheap_work_left(self) -> bool:
        """Tasks still to sample or decide on the cheap tier (a run in its strong round is not)."""
        return bool(self._pending or self._queued or self._parked) \
            or any(not r.idle() and r.strong_rounds == 0 for r in self._runs.values())

    def _defer_escalation(self, run: TaskRun) -> bool:
        """True when ``run`` must wait with its escalation (it then holds no batch slot)."""
        if (run.strong_rounds > 0 and not run.resumed_round) or self.strong is self.cheap \
                or not self._cheap_work_left():
            return False
        del self._runs[run.task.task_id]
        self._escalating[run.task.task_id] = run
        return True

