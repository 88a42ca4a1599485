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

The loop defers decisions until the prior has the evidence (``sampler.loop``:
breadth first, and a stop is final only once no verdict is still to come), so
each is priced on every task's earlier waves rather than on whichever finished
first.

Why prompt length: with pass/fail as the only signal, a task that passes once in
ten looks hopeless for its first several samples, and keeping it means paying as
many samples for every hopeless task. On SmolLM2's HumanEval/0-79 runs (N=10) the
log word count of the prompt ranks solved above unsolved tasks with an AUC of 0.84
(0.84 on 0-39, 0.86 on 40-79); the fitted slope was -1.1 per standard deviation
on both halves. The covariate was chosen on those 80 tasks; HumanEval/80-163 is
the check that it was not chosen to fit them (README, Known limits). Replaying
the recorded runs through the loop (``benchmarks/policy_replay.py``, worth 100
cheap samples, 3 replays each):

- HumanEval/0-39 (10 solvable): all 10 kept in 3 of 3 replays either way; 240
  samples drawn with the regression against 333 with one prior;
- HumanEval/40-79 (7 solvable, two passing only at samples 8 and 9): 6 kept
  (HumanEval/58 lost) against 5 with one prior, in 217 against 221 samples.
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
    covariate: float = 0.0
    """The task's ``prompt_length_covariate``: where it sits on the prior's regression."""


def log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def p_pass_within(a: float, b: float, failures: int, w: int) -> float:
    """P(at least one pass in the next ``w`` samples | ``failures`` so far), p ~ Beta(a, b)."""
    return 1.0 - math.exp(log_beta(a, b + failures + w) - log_beta(a, b + failures))


def prompt_length_covariate(prompt: str) -> float:
    """What the prior reads off a task before sampling it: the log of its prompt's
    length in words. Longer specifications are harder for a small model."""
    return math.log(max(1, len(prompt.split())))


@dataclass(frozen=True)
class Prior:
    """A Beta prior on each task's cheap pass rate: mean ``sigmoid(alpha + slope * z)``
    and concentration ``kappa = exp(log_kappa)`` (a = mean * kappa, b = (1 - mean) *
    kappa), with ``z`` the task's covariate standardised over the run's tasks."""

    alpha: float
    log_kappa: float
    slope: float = 0.0
    centre: float = 0.0
    scale: float = 1.0

    @classmethod
    def from_beta(cls, a: float, b: float) -> Prior:
        return cls(alpha=math.log(a / b), log_kappa=math.log(a + b))

    def at(self, covariate: float = 0.0) -> tuple[float, float]:
        """``(a, b)`` for a task with this covariate."""
        z = (covariate - self.centre) / self.scale
        mean = 1.0 / (1.0 + math.exp(-(self.alpha + self.slope * z)))
        kappa = math.exp(self.log_kappa)
        return mean * kappa, (1.0 - mean) * kappa


# Where the fit may go: pass-rate means from about 1e-5 to 0.9997, concentrations
# from "every task all or nothing" (0.007) to "every task the same rate" (1100).
_BOUNDS = np.array([[-12.0, 8.0], [-5.0, 7.0], [-6.0, 6.0]])
_OFFSETS = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)],
                    dtype=float)


def fit_prior(outcomes: Sequence[tuple[int, int]], default: tuple[float, float],
              spread: float, covariates: Sequence[float] | None = None,
              slope_spread: float = 1.0) -> Prior:
    """MAP prior of a beta-binomial regression over ``(passes, failures)`` per task.

    Gaussian hyperpriors keep a run with few finished tasks near ``default``: on the
    logit of the mean and the log concentration (standard deviation ``spread``), and,
    given ``covariates`` (one per outcome), on the slope (``slope_spread``, centred on
    no effect, so the run's own verdicts decide whether and which way the covariate
    matters). Without covariates the slope is 0: one Beta prior for every task.

    The log posterior is smooth in its three parameters; a pattern search (every
    neighbour on a cube, halving the step when none is better) finds its maximum
    to 0.01 from the hyperprior's centre, deterministically.
    """
    home = Prior.from_beta(*default)
    if not outcomes:
        return home
    z = np.zeros(len(outcomes))
    centre, scale = 0.0, 1.0
    if covariates is not None:
        x = np.asarray(covariates, dtype=float)
        centre, scale = float(x.mean()), float(x.std())
        if scale < 1e-9:
            scale = 1.0
        z = (x - centre) / scale
    # log B(a + s, b + f) - log B(a, b) as finite sums (s, f are small counts):
    # sum_{k<s} log(a + k) + sum_{k<f} log(b + k) - sum_{k<s+f} log(a + b + k).
    a_task: list[int] = []
    a_k: list[int] = []
    b_task: list[int] = []
    b_k: list[int] = []
    n_task: list[int] = []
    n_k: list[int] = []
    for i, (passes, failures) in enumerate(outcomes):
        a_task += [i] * passes
        a_k += range(passes)
        b_task += [i] * failures
        b_k += range(failures)
        n_task += [i] * (passes + failures)
        n_k += range(passes + failures)
    a_ix, b_ix, n_ix = (np.asarray(v, dtype=int) for v in (a_task, b_task, n_task))
    a_off, b_off, n_off = (np.asarray(v, dtype=float) for v in (a_k, b_k, n_k))
    home_theta = np.array([home.alpha, home.log_kappa, 0.0])
    widths = np.array([spread, spread, slope_spread])
    free = np.array([1.0, 1.0, 1.0 if covariates is not None else 0.0])

    def log_posterior(theta: np.ndarray) -> np.ndarray:
        alpha, log_kappa, slope = theta[:, 0:1], theta[:, 1:2], theta[:, 2:3]
        mean = 1.0 / (1.0 + np.exp(-(alpha + slope * z[None, :])))
        kappa = np.exp(log_kappa)
        a, b = mean * kappa, (1.0 - mean) * kappa
        log_lik = (np.log(a[:, a_ix] + a_off).sum(axis=1) + np.log(b[:, b_ix] + b_off).sum(axis=1)
                   - np.log(kappa + n_off[None, :]).sum(axis=1))
        log_hyper = -(((theta - home_theta) * free / widths) ** 2).sum(axis=1) / 2
        return np.asarray(log_lik + log_hyper, dtype=float)

    offsets = _OFFSETS[(_OFFSETS[:, 2] == 0) | (free[2] > 0)]
    stay = int(np.flatnonzero((offsets == 0).all(axis=1))[0])
    theta, step = home_theta.copy(), 1.0
    for _ in range(1000):
        candidates = np.clip(theta + step * offsets, _BOUNDS[:, 0], _BOUNDS[:, 1])
        values = log_posterior(candidates)
        best = int(np.argmax(values))
        if values[best] > values[stay] + 1e-12:
            theta = candidates[best]
        elif step > 0.01:
            step /= 2
        else:
            break
    return Prior(alpha=float(theta[0]), log_kappa=float(theta[1]), slope=float(theta[2]),
                 centre=centre, scale=scale)


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
        self._prior = Prior.from_beta(*config.prior)
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
                [self._outcomes[t] for t in ids], self.config.prior, self.config.prior_spread,
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
