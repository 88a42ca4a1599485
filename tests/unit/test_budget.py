"""The budget policy's arithmetic and decisions."""

import dataclasses
import math
import random

import pytest

from sampler.config import Prior
from sampler.config import BudgetConfig, BudgetPolicy, EscalationConfig, TierPrice
from sampler.policy.budget import Action, Budget, TaskState, log_beta, p_pass_within
from sampler.policy.prior import fit_prior, prompt_length_covariate


def test_p_pass_within_matches_monte_carlo() -> None:
    rng = random.Random(0)
    a, b, failures, w = 0.3, 1.5, 3, 2
    hits = trials = 0
    while trials < 40000:
        p = rng.betavariate(a, b)
        if any(rng.random() < p for _ in range(failures)):
            continue  # condition on `failures` failures first
        trials += 1
        hits += any(rng.random() < p for _ in range(w))
    assert p_pass_within(a, b, failures, w) == pytest.approx(hits / trials, abs=0.01)


def test_p_pass_within_falls_with_failures() -> None:
    values = [p_pass_within(0.2, 1.0, k, 2) for k in range(10)]
    assert all(x > y for x, y in zip(values, values[1:]))
    assert p_pass_within(1.0, 1.0, 0, 1) == pytest.approx(0.5)


def test_fit_prior_recovers_a_beta_from_data() -> None:
    rng = random.Random(1)
    outcomes = []
    for _ in range(400):
        p = rng.betavariate(0.5, 2.0)
        passes = sum(rng.random() < p for _ in range(10))
        outcomes.append((passes, 10 - passes))
    a, b = fit_prior(outcomes, default=(5.0, 5.0), spread=3.0).at()
    assert a / (a + b) == pytest.approx(0.2, abs=0.04)
    assert 0.3 < a < 0.8  # dispersed: most tasks near 0, a few easy
    assert fit_prior([], default=(0.2, 1.0), spread=1.0).at() == pytest.approx((0.2, 1.0))


def _budget(policy: BudgetPolicy, strong_price: float = 10.0, **kw: object) -> Budget:
    return Budget(BudgetConfig(policy=policy, **kw),  # type: ignore[arg-type]
                  cheap_price=TierPrice(1.0, 1.0),
                  strong_price=TierPrice(strong_price, strong_price),
                  max_cheap=10, escalation=EscalationConfig(samples=2, rounds=1),
                  stop_on_first_pass=True)


def test_fixed_policy_draws_n_then_escalates_then_stops() -> None:
    budget = _budget(BudgetPolicy.FIXED, wave=3)
    decide = lambda drawn, rounds: budget.decide(TaskState(drawn, rounds, True, 10, 1))  # noqa: E731
    assert decide(0, 0).action is Action.SAMPLE and decide(0, 0).samples == 3
    assert decide(9, 0).samples == 1
    assert decide(10, 0).action is Action.ESCALATE
    assert decide(10, 1).action is Action.STOP


def test_adaptive_policy_stops_when_a_solve_costs_more_than_it_is_worth() -> None:
    budget = Budget(BudgetConfig(policy=BudgetPolicy.ADAPTIVE, solve_value=math.inf),
                    cheap_price=TierPrice(1.0, 1.0), strong_price=TierPrice(1.0, 1.0),
                    max_cheap=10, escalation=None, stop_on_first_pass=True)
    assert budget.decide(TaskState(9, 0, False, 10, 0)).action is Action.SAMPLE  # worth anything
    cheap_only = Budget(BudgetConfig(policy=BudgetPolicy.ADAPTIVE, solve_value_samples=20),
                        cheap_price=TierPrice(1.0, 1.0), strong_price=TierPrice(1.0, 1.0),
                        max_cheap=10, escalation=None, stop_on_first_pass=True)
    first = cheap_only.decide(TaskState(0, 0, False, 10, 0))
    assert first.action is Action.SAMPLE
    later = cheap_only.decide(TaskState(8, 0, False, 10, 0))
    assert later.action is Action.STOP and "not worth it" in later.reason


def test_adaptive_policy_escalates_when_strong_is_the_cheaper_way_to_a_solve() -> None:
    budget = _budget(BudgetPolicy.ADAPTIVE, strong_price=5.0, strong_prior=(50.0, 1.0))
    # Cheap samples cost ~4.5e-4 each; a strong round ~1.3e-2 but almost sure to solve.
    early = budget.decide(TaskState(0, 0, True, 10, 1))
    assert early.action is Action.SAMPLE
    late = budget.decide(TaskState(8, 0, True, 10, 1))
    assert late.action is Action.ESCALATE


def _log_posterior(prior: Prior, outcomes: list[tuple[int, int]], covariates: list[float] | None,
                   default: tuple[float, float], spread: float, slope_spread: float) -> float:
    """fit_prior's objective written out independently, with log-gamma."""
    home = Prior.from_beta(*default)
    total = -((prior.alpha - home.alpha) ** 2 + (prior.log_kappa - home.log_kappa) ** 2) / (2 * spread**2)
    if covariates is not None:
        total -= prior.slope**2 / (2 * slope_spread**2)
    for i, (passes, failures) in enumerate(outcomes):
        a, b = prior.at(covariates[i] if covariates is not None else 0.0)
        total += log_beta(a + passes, b + failures) - log_beta(a, b)
    return total


def _regression_outcomes(slope: float, tasks: int, seed: int) -> tuple[list[tuple[int, int]], list[float]]:
    """Tasks whose pass rate is Beta-distributed around a mean that moves with a
    log-normal covariate (slope per standard deviation), ten samples each."""
    rng = random.Random(seed)
    outcomes, covariates = [], []
    for _ in range(tasks):
        z = rng.gauss(0.0, 1.0)
        mean = 1.0 / (1.0 + math.exp(-(-2.0 + slope * z)))
        p = rng.betavariate(mean * 2.0, (1.0 - mean) * 2.0)
        passes = sum(rng.random() < p for _ in range(10))
        outcomes.append((passes, 10 - passes))
        covariates.append(4.0 + 0.5 * z)
    return outcomes, covariates


def test_fit_prior_learns_how_the_pass_rate_moves_with_the_covariate() -> None:
    outcomes, covariates = _regression_outcomes(slope=-1.0, tasks=400, seed=2)
    fitted = fit_prior(outcomes, default=(0.2, 1.0), spread=1.0, covariates=covariates)
    assert fitted.slope == pytest.approx(-1.0, abs=0.3)
    short, long = fitted.at(3.5), fitted.at(4.5)  # one standard deviation either side
    assert short[0] / sum(short) > 3 * long[0] / sum(long)
    # No effect in the data: the slope stays near its hyperprior's centre.
    flat, flat_covariates = _regression_outcomes(slope=0.0, tasks=400, seed=3)
    assert abs(fit_prior(flat, default=(0.2, 1.0), spread=1.0, covariates=flat_covariates).slope) < 0.25
    # Without covariates there is no slope to fit.
    assert fit_prior(outcomes, default=(0.2, 1.0), spread=1.0).slope == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_fit_prior_is_the_maximum_of_the_posterior(seed: int) -> None:
    """Moving any parameter either way from the fit lowers the log posterior, computed
    independently (log-gamma, not the fit's finite sums)."""
    outcomes, covariates = _regression_outcomes(slope=-0.8 + 0.5 * seed, tasks=60, seed=10 + seed)
    for covs in (covariates, None):
        fitted = fit_prior(outcomes, default=(0.2, 1.0), spread=1.0, covariates=covs, slope_spread=1.0)
        best = _log_posterior(fitted, outcomes, covs, (0.2, 1.0), 1.0, 1.0)
        for field_name in ("alpha", "log_kappa", "slope") if covs else ("alpha", "log_kappa"):
            for delta in (-0.5, -0.05, 0.05, 0.5):
                moved = dataclasses.replace(fitted, **{field_name: getattr(fitted, field_name) + delta})
                assert _log_posterior(moved, outcomes, covs, (0.2, 1.0), 1.0, 1.0) < best + 1e-9


def test_a_long_prompt_stops_sooner_when_the_run_shows_long_prompts_fail() -> None:
    """After the same six failures, a task is worth more samples if tasks like it
    (short prompts) have passed in this run, and fewer if tasks like it never did."""
    for by_length in (True, False):
        budget = Budget(BudgetConfig(policy=BudgetPolicy.ADAPTIVE, by_prompt_length=by_length),
                        cheap_price=TierPrice(1.0, 1.0), strong_price=TierPrice(1.0, 1.0),
                        max_cheap=10, escalation=None, stop_on_first_pass=True)
        for i in range(40):
            short = i % 2 == 0
            passes = 1 if short and i % 4 == 0 else 0
            budget.observe_task(f"T/{i}", passes, 10 - passes, covariate=3.0 if short else 5.0)
        short_task = budget.decide(TaskState(6, 0, False, 10, 0, covariate=3.0))
        long_task = budget.decide(TaskState(6, 0, False, 10, 0, covariate=5.0))
        if by_length:
            assert short_task.action is Action.SAMPLE and long_task.action is Action.STOP
        else:
            assert short_task == long_task


def test_prompt_length_covariate_counts_words() -> None:
    assert prompt_length_covariate("def f(x):\n    \"\"\"Add one.\"\"\"\n") == pytest.approx(math.log(4))
    assert prompt_length_covariate("") == 0.0
