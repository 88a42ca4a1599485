from itertools import combinations

from hypothesis import given, strategies as st

from sampler.passk import mean_pass_at_k, pass_at_k, powers_of_two_up_to


def brute_force(n: int, c: int, k: int) -> float:
    outcomes = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    return sum(any(outcomes[i] for i in s) for s in subsets) / len(subsets)


@given(st.integers(1, 9).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_matches_enumeration(args: tuple[int, int, int]) -> None:
    n, c, k = args
    assert abs(pass_at_k(n, c, k) - brute_force(n, c, k)) < 1e-12


@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_monotone_in_k_and_bounded(args: tuple[int, int]) -> None:
    n, c = args
    values = [pass_at_k(n, c, k) for k in range(1, n + 1)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(a <= b + 1e-12 for a, b in zip(values, values[1:]))
    assert abs(values[0] - c / n) < 1e-12


def test_mean_skips_tasks_with_too_few_samples() -> None:
    assert mean_pass_at_k([(4, 1), (1, 1)], 2) == pass_at_k(4, 1, 2)
    assert powers_of_two_up_to(10) == [1, 2, 4, 8]
