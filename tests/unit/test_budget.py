"""The budget policy's arithmetic and decisions."""

import math
import random

import pytest

from sampler.budget import Action, Budget, TaskState, fit_prior, p_pass_within
from sampler.config import BudgetConfig, BudgetPolicy, EscalationConfig, TierPrice


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
    a, b = fit_prior(outcomes, default=(5.0, 5.0), spread=3.0)
    assert a / (a + b) == pytest.approx(0.2, abs=0.04)
    assert 0.3 < a < 0.8  # dispersed: most tasks near 0, a few easy
    assert fit_prior([], default=(0.2, 1.0), spread=1.0) == (0.2, 1.0)


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
