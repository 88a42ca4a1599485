"""How many samples a task gets: another wave of cheap samples, escalation, or stop.

The adaptive policy keeps, per task, a posterior on its cheap pass rate ``p``:
``Beta(a + passes, b + failures)``, whose prior ``Beta(a, b)`` is fitted to every
task's passes and failures so far, finished or in flight (empirical Bayes, so the
policy learns that most tasks of a hard suite never pass), shrunk toward a
configured default while there is little data. For each option it prices the expected cost per solve:

- another cheap wave of ``w`` samples: ``w * cost_per_sample / P(a pass among w)``,
  with ``P = 1 - B(a, b + f + w) / B(a, b + f)`` after ``f`` failures;
- an escalation round: ``cost_per_round / q``, with ``q`` the strong tier's
  success rate per round so far (a Beta posterior over the run);

and takes the cheaper one, or stops when both cost more than a solve is worth.
The fixed policy draws ``n`` cheap samples (in waves when stopping on first pass),
then escalates if a strong tier exists. Stopping rules that depend on what was
observed leave the likelihood ``p^s (1-p)^f`` unchanged, so fitting the prior on
early-stopped and unfinished tasks is sound.

The loop defers decisions until the prior has the evidence (``sampler.loop``:
breadth first, and a stop is final only once no verdict is still to come), so
each is priced on every task's earlier waves rather than on whichever finished
first.

What a solve is worth (``solve_value``) sets the trade-off, and no worth suits
every suite. Replaying recorded SmolLM2 runs (N=10) through this policy
(``benchmarks/policy_replay.py``, 16 tasks in flight, 3 replays per worth):

- HumanEval/0-39 (10 solvable; the latest first pass at sample 6): worth 60
  cheap samples kept all 10 solves in 2 of 3 replays, 65 and more in 3 of 3; at
  100 (the default) every unsolved task gets all 10 samples.
- HumanEval/40-79 (7 solvable, two of them passing only at samples 8 and 9):
  every worth up to 150 lost those two in 3 of 3 replays.

A task that passes once in ten looks hopeless to pass/fail for its first several
samples; keeping it means paying for as many samples on every hopeless task.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from sampler.config import BudgetConfig, BudgetPolicy, EscalationConfig, TierPrice


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


def log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def p_pass_within(a: float, b: float, failures: int, w: int) -> float:
    """P(at least one pass in the next ``w`` samples | ``failures`` so far), p ~ Beta(a, b)."""
    return 1.0 - math.exp(log_beta(a, b + failures + w) - log_beta(a, b + failures))


# The grid the prior is fitted on: pass-rate priors from "almost every task
# trivially easy" to "almost every task hopeless".
_GRID_A = np.exp(np.linspace(math.log(0.01), math.log(20.0), 48))
_GRID_B = np.exp(np.linspace(math.log(0.05), math.log(200.0), 48))


def fit_prior(outcomes: Sequence[tuple[int, int]], default: tuple[float, float],
              spread: float) -> tuple[float, float]:
    """MAP ``(a, b)`` of a beta-binomial over ``(passes, failures)`` per task.

    A Gaussian hyperprior on ``(log a, log b)`` centred on ``default`` with
    standard deviation ``spread`` keeps a run with few finished tasks near the
    default; with many, the data decide.
    """
    if not outcomes:
        return default
    counts: dict[tuple[int, int], int] = {}
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    a = _GRID_A[:, None]
    b = _GRID_B[None, :]
    log_lik = np.zeros((len(_GRID_A), len(_GRID_B)))
    base = _betaln(a, b)
    for (passes, failures), weight in counts.items():
        log_lik += weight * (_betaln(a + passes, b + failures) - base)
    log_prior = -((np.log(a) - math.log(default[0])) ** 2
                  + (np.log(b) - math.log(default[1])) ** 2) / (2 * spread**2)
    i, j = np.unravel_index(int(np.argmax(log_lik + log_prior)), log_lik.shape)
    return float(_GRID_A[i]), float(_GRID_B[j])


_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def _betaln(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.broadcast_arrays(a, b)
    result = (_lgamma(a) + _lgamma(b) - _lgamma(a + b)).astype(float)
    return np.asarray(result, dtype=float)


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
        self._fitted = True
        self._prior: tuple[float, float] = config.prior
        self._strong_rounds = 0
        self._strong_solves = 0
        self._cheap_samples = 0
        self._cheap_cost = 0.0
        self._strong_round_costs: list[float] = []

    # What the loop reports back.

    def observe_cheap_sample(self, prompt_tokens: int, output_tokens: int) -> None:
        self._cheap_samples += 1
        self._cheap_cost += self.cheap_price.cost(prompt_tokens, output_tokens)

    def observe_task(self, task_id: str, passes: int, failures: int) -> None:
        """A task's cheap record so far, finished or not. Unfinished tasks count too:
        with sequential sampling the likelihood of what was seen does not depend on
        what is still to come, and waiting for tasks to finish would let a run with
        many tasks in flight spend a full budget on each before the prior learns."""
        if self._outcomes.get(task_id) != (passes, failures):
            self._outcomes[task_id] = (passes, failures)
            self._fitted = False

    @property
    def prior(self) -> tuple[float, float]:
        if not self._fitted:
            self._prior = fit_prior(list(self._outcomes.values()), self.config.prior,
                                    self.config.prior_spread)
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
            p = p_pass_within(*self.prior, state.cheap_drawn, w)
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
