"""How many samples a task gets: another wave of cheap samples, escalation, or stop.

The adaptive policy keeps, per task, a posterior on its cheap pass rate ``p``:
``Beta(a + passes, b + failures)``. Its prior ``Beta(a, b)`` is fitted to every
task's passes and failures so far, finished or in flight (empirical Bayes, so the
policy learns that most tasks of a hard suite never pass), shrunk toward a
configured default while there is little data. Tasks are not alike, and one thing
about each is known before it is sampled: how long its prompt is. So the prior is
a beta-binomial regression: its mean is ``sigmoid(alpha + slope * z)``, with ``z``
the task's log prompt word count standardised over the run, and its slope is
fitted to the run's own verdicts from a hyperprior centred on no effect
(``by_prompt_length``; off, every task shares one prior). For each option the
policy prices the expected cost per solve:

- another cheap wave of ``w`` samples: ``w * cost_per_sample / P(a pass among w)``,
  with ``P = 1 - B(a, b + f + w) / B(a, b + f)`` after ``f`` failures;
- an escalation round: ``cost_per_round / q``, with ``q`` the strong tier's
  success rate per round so far (a Beta posterior over the run);

and takes the cheaper one, or stops when both cost more than a solve is worth.
The fixed policy draws ``n`` cheap samples (in waves when stopping on first pass),
then escalates if a strong tier exists. Stopping rules that depend on what was
observed leave the likelihood ``p^s (1-p)^f`` unchanged, so fitting the prior on
early-stopped and unfinished tasks is sound.

The loop defers decisions until the prior has the evidence (``sampler.core.loop``:
breadth first, and a stop is final only once no verdict is still to come), so
each is priced on every task's earlier waves rather than on whichever finished
first.

Why prompt length: with pass/fail as the only signal, a task that passes once in
ten looks hopeless for its first several samples, and keeping it means paying as
many samples for every hopeless task. On SmolLM2's HumanEval/0-79 runs (N=10) the
log word count of the prompt ranks solved above unsolved tasks with an AUC of 0.84
(0.84 on 0-39, 0.86 on 40-79); the fitted slope was -1.1 per standard deviation
on both halves. The covariate was chosen on those 80 tasks. Measured on the real
engine at the default worth (``benchmarks/early_stop.py``, N=10, against fixed N):

- HumanEval/0-39: 10/40 either way, 64.5% fewer tokens (one prior for all
  tasks: 46.1%);
- HumanEval/40-79: 6/40 against 7/40 (HumanEval/58, first passing at sample 9,
  lost), 67.6% fewer (one prior: 5/40, 54.5%);
- HumanEval/80-163, which the model never solves at N=10: 81.4% fewer, every
  task stopped after one wave.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from sampler.config import BudgetConfig, BudgetPolicy, EscalationConfig, TierPrice
from sampler.config import Prior
from sampler.policy.prior import fit_prior


class Action(StrEnum):
    SAMPLE = "sample"
    ESCALATE = "escalate"
    STOP = "stop"


@dataclass(frozen=True)
class Decision:
    action: Action
    samples: int = 0
    """Cheap samples to draw (for ``SAMPLE``)."""
    reason: str = ""
    revisable: bool = False
    """A ``STOP`` priced on the prior as fitted so far, which more evidence from other
    tasks may reverse (the loop defers it until no more is coming)."""


@dataclass(frozen=True)
class TaskState:
    """What the policy sees of one unsolved task."""

    cheap_drawn: int
    strong_rounds: int
    strong_available: bool
    max_cheap: int
    max_rounds: int
    covariate: float = 0.0
    """The task's ``prompt_length_covariate``: where it sits on the prior's regression."""


def log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def p_pass_within(a: float, b: float, failures: int, w: int) -> float:
    """P(at least one pass in the next ``w`` samples | ``failures`` so far), p ~ Beta(a, b)."""
    return 1.0 - math.exp(log_beta(a, b + failures + w) - log_beta(a, b + failures))


class Budget:
    """The per-run policy. Driver-only: the loop calls it from one thread."""

    def __init__(self, config: BudgetConfig, *, cheap_price: TierPrice, strong_price: TierPrice,
                 max_cheap: int, escalation: EscalationConfig | None,
                 stop_on_first_pass: bool) -> None:
        self.config = config
        self.cheap_price = cheap_price
        self.strong_price = strong_price
        self.max_cheap = max_cheap
        self.escalation = escalation
        self.stop_on_first_pass = stop_on_first_pass
        self._outcomes: dict[str, tuple[int, int]] = {}
        self._covariates: dict[str, float] = {}
        self._fitted = True
        self._home = config.trained_prior or Prior.from_beta(*config.prior)
        self._prior = self._home
        self._strong_rounds = 0
        self._strong_solves = 0
        self._cheap_samples = 0
        self._cheap_cost = 0.0
        self._strong_round_costs: list[float] = []

    # What the loop reports back.

    def observe_cheap_sample(self, prompt_tokens: int, output_tokens: int) -> None:
        self._cheap_samples += 1
        self._cheap_cost += self.cheap_price.cost(prompt_tokens, output_tokens)

    def observe_task(self, task_id: str, passes: int, failures: int,
                     covariate: float = 0.0) -> None:
        """A task's cheap record so far, finished or not, and its covariate
        (``prompt_length_covariate``). Unfinished tasks count too: with sequential
        sampling the likelihood of what was seen does not depend on what is still to
        come, and waiting for tasks to finish would let a run with many tasks in
        flight spend a full budget on each before the prior learns."""
        if self._outcomes.get(task_id) != (passes, failures) \
                or self._covariates.get(task_id) != covariate:
            self._outcomes[task_id] = (passes, failures)
            self._covariates[task_id] = covariate
            self._fitted = False

    @property
    def prior(self) -> Prior:
        if not self._fitted:
            ids = list(self._outcomes)
            self._prior = fit_prior(
                [self._outcomes[t] for t in ids], self._home, self.config.prior_spread,
                covariates=[self._covariates[t] for t in ids] if self.config.by_prompt_length
                else None,
                slope_spread=self.config.slope_spread)
            self._fitted = True
        return self._prior

    def observe_round(self, solved: bool, cost: float) -> None:
        self._strong_rounds += 1
        self._strong_solves += int(solved)
        self._strong_round_costs.append(cost)

    # Prices.

    def cheap_sample_cost(self) -> float:
        if self._cheap_samples:
            return self._cheap_cost / self._cheap_samples
        # Nothing measured yet: a typical short prompt and a full answer.
        return self.cheap_price.cost(300, 150)

    def strong_round_cost(self) -> float:
        if self._strong_round_costs:
            return sum(self._strong_round_costs) / len(self._strong_round_costs)
        return self._prior_round_cost()

    def _prior_round_cost(self) -> float:
        """A round before any was measured: prompts with failures, half-budget answers."""
        escalation = self.escalation
        assert escalation is not None
        return escalation.samples * self.strong_price.cost(800, escalation.max_tokens // 2)

    def strong_success_rate(self) -> float:
        a, b = self.config.strong_prior
        return (a + self._strong_solves) / (a + b + self._strong_rounds)

    def solve_value(self) -> float:
        """What a solve is worth. Unset: with a strong tier, three times what the strong
        tier is expected to charge per solve before any evidence (so the cheap tier
        competes on price, and the strong tier is bought unless it proves useless);
        without one, the cost of ``solve_value_samples`` cheap samples."""
        if self.config.solve_value is not None:
            return self.config.solve_value
        cheap_value = self.config.solve_value_samples * self.cheap_sample_cost()
        if self.escalation is None:
            return cheap_value
        a, b = self.config.strong_prior
        return max(cheap_value, 3.0 * self._prior_round_cost() * (a + b) / a)

    # The decision.

    def decide(self, state: TaskState) -> Decision:
        can_sample = state.cheap_drawn < state.max_cheap
        can_escalate = state.strong_available and state.strong_rounds < state.max_rounds
        if self.config.policy is BudgetPolicy.FIXED or not (can_sample or can_escalate):
            return self._fixed(state, can_sample, can_escalate)
        options: list[tuple[float, Decision]] = []
        if can_sample and state.strong_rounds == 0:  # once escalated, the cheap tier is done
            w = min(self.config.wave, state.max_cheap - state.cheap_drawn)
            p = p_pass_within(*self.prior.at(state.covariate), state.cheap_drawn, w)
            per_solve = w * self.cheap_sample_cost() / max(p, 1e-12)
            options.append((per_solve, Decision(Action.SAMPLE, w,
                                                f"cheap wave: {per_solve:.3g} per solve (p={p:.3f})")))
        if can_escalate:
            q = self.strong_success_rate()
            per_solve = self.strong_round_cost() / max(q, 1e-12)
            options.append((per_solve, Decision(Action.ESCALATE, 0,
                                                f"escalation: {per_solve:.3g} per solve (q={q:.3f})")))
        if not options:
            return Decision(Action.STOP, 0, "strong rounds spent")
        value = self.solve_value()
        best_cost, best = min(options, key=lambda o: o[0])
        if best_cost > value:
            return Decision(Action.STOP, 0,
                            f"not worth it: {best_cost:.3g} per solve > value {value:.3g}",
                            revisable=True)
        return best

    def _fixed(self, state: TaskState, can_sample: bool, can_escalate: bool) -> Decision:
        if can_sample and state.strong_rounds == 0:
            wave = self.config.wave if self.stop_on_first_pass else state.max_cheap
            return Decision(Action.SAMPLE, min(wave, state.max_cheap - state.cheap_drawn), "fixed n")
        if can_escalate:
            return Decision(Action.ESCALATE, 0, "no cheap sample passed")
        return Decision(Action.STOP, 0, "budget spent")
