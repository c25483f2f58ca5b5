import json
import math
import time

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import beta, chisquare
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

from models_registry.stats import (
    Counts,
    ab_verdict,
    chance_to_win,
    difference_interval,
    excludes_zero,
    sample_size_per_arm,
    sample_size_rule_of_thumb,
    sequential_interval,
    sequential_rho,
    simulate_aa_peeking,
    srm_p_value,
    two_proportion_pvalue,
    wilson_interval,
)

# (successes_a, trials_a, successes_b, trials_b)
COUNT_SETS = [
    (80, 100, 90, 100),
    (812, 1000, 845, 1000),
    (4000, 5000, 4100, 5000),
    (3, 10, 7, 12),
    (0, 50, 5, 50),
    (50, 50, 45, 60),
    (950, 1000, 930, 1100),
]
TOL = 1e-6


@pytest.mark.parametrize(("successes", "trials"), [(0, 10), (3, 10), (10, 10), (812, 1000)])
def test_wilson_matches_statsmodels(successes, trials):
    low, high = wilson_interval(successes=successes, trials=trials)
    sm_low, sm_high = proportion_confint(successes, trials, alpha=0.05, method="wilson")
    assert low == pytest.approx(sm_low, abs=TOL)
    assert high == pytest.approx(sm_high, abs=TOL)


@pytest.mark.parametrize("counts", COUNT_SETS)
def test_ztest_matches_statsmodels(counts):
    s_a, n_a, s_b, n_b = counts
    _, sm_p = proportions_ztest([s_b, s_a], [n_b, n_a])
    assert two_proportion_pvalue(a=(s_a, n_a), b=(s_b, n_b)) == pytest.approx(sm_p, abs=TOL)


@pytest.mark.parametrize("counts", COUNT_SETS)
def test_difference_interval_matches_statsmodels_wald(counts):
    s_a, n_a, s_b, n_b = counts
    diff, (low, high) = difference_interval(a=(s_a, n_a), b=(s_b, n_b))
    sm_low, sm_high = confint_proportions_2indep(s_b, n_b, s_a, n_a, method="wald", compare="diff")
    assert diff == pytest.approx(s_b / n_b - s_a / n_a, abs=1e-12)
    assert (low, high) == pytest.approx((sm_low, sm_high), abs=TOL)


@pytest.mark.parametrize(
    ("n_a", "n_b", "split_b"), [(500, 500, 50), (480, 520, 50), (1000, 1300, 50), (890, 110, 10)]
)
def test_srm_matches_scipy_chisquare(n_a, n_b, split_b):
    total = n_a + n_b
    expected = [total * (100 - split_b) / 100, total * split_b / 100]
    sp_p = chisquare([n_a, n_b], f_exp=expected).pvalue
    assert srm_p_value(trials_a=n_a, trials_b=n_b, split_b_percentage=split_b) == pytest.approx(
        sp_p, abs=TOL
    )


def test_srm_edges():
    assert srm_p_value(trials_a=0, trials_b=0, split_b_percentage=50) == 1.0
    assert srm_p_value(trials_a=10, trials_b=0, split_b_percentage=0) == 1.0
    assert srm_p_value(trials_a=10, trials_b=1, split_b_percentage=0) == 0.0


@pytest.mark.parametrize(
    ("baseline", "effect"),
    [(0.94, 0.05), (0.8, 0.05), (0.5, 0.1), (0.9, 0.02), (0.97, 0.05), (0.03, 0.05)],
)
def test_sample_size_is_two_sided_and_matches_statsmodels(baseline, effect):
    """The size per arm detects a candidate better OR worse by `effect`: the larger of the
    two directions that fit in 0..1, each as statsmodels computes it for the pooled z-test."""
    ours = sample_size_per_arm(baseline_rate=baseline, minimum_detectable_effect=effect)
    directions = [d for d in (effect, -effect) if 0 <= baseline + d <= 1]
    per_direction = {
        d: samplesize_proportions_2indep_onetail(diff=d, prop2=baseline, power=0.8, alpha=0.05)
        for d in directions
    }
    assert ours == pytest.approx(max(per_direction.values()), abs=TOL)
    # The rounded size has 80 % power against both a better and a worse candidate.
    for d in directions:
        achieved = power_proportions_2indep(d, baseline, math.ceil(ours), return_results=False)
        assert achieved >= 0.8
    # Cohen's h (NormalIndPower) sizes the same two-sided test by an arcsine approximation:
    # on the direction that needs more units it asks no more than we do, and at most 6 %
    # fewer (2 % at 0.94, 5 % where only one direction fits, 0.97 - 0.05).
    cohen = max(
        NormalIndPower().solve_power(
            proportion_effectsize(baseline + d, baseline), alpha=0.05, power=0.8, ratio=1
        )
        for d in directions
    )
    assert cohen <= ours <= cohen * 1.06


def test_harm_near_the_top_needs_more_than_an_improvement():
    """0.94 +- 0.05: detecting 0.94 -> 0.89 needs more units than 0.94 -> 0.99, in
    statsmodels' Cohen's-h sizing as in ours, and the size covers the harm."""
    ours = math.ceil(sample_size_per_arm(baseline_rate=0.94, minimum_detectable_effect=0.05))

    def cohen(rate):
        return NormalIndPower().solve_power(
            proportion_effectsize(rate, 0.94), alpha=0.05, power=0.8, ratio=1
        )

    assert cohen(0.99) < cohen(0.89) < ours
    assert ours == 488
    assert (
        math.ceil(
            samplesize_proportions_2indep_onetail(diff=0.05, prop2=0.94, power=0.8, alpha=0.05)
        )
        == 211
    )
    assert power_proportions_2indep(-0.05, 0.94, ours, return_results=False) >= 0.8
    assert power_proportions_2indep(-0.05, 0.94, 211, return_results=False) < 0.5


def test_an_effect_that_fits_neither_direction_is_refused():
    with pytest.raises(ValueError, match="outside 0..1"):
        sample_size_per_arm(baseline_rate=0.5, minimum_detectable_effect=0.6)


def test_rule_of_thumb():
    assert sample_size_rule_of_thumb(
        baseline_rate=0.8, minimum_detectable_effect=0.05
    ) == pytest.approx(16 * 0.8 * 0.2 / 0.05**2)
    # Same ballpark as the exact formula (which the product uses).
    exact = sample_size_per_arm(baseline_rate=0.5, minimum_detectable_effect=0.1)
    rule = sample_size_rule_of_thumb(baseline_rate=0.5, minimum_detectable_effect=0.1)
    assert rule == pytest.approx(exact, rel=0.05)


def test_sequential_interval_formula_and_tuning():
    a, b = Counts(4000, 5000), Counts(4100, 5000)
    low, high = sequential_interval(a=a, b=b)
    total = a.trials + b.trials
    var = 0.8 * 0.2 / 5000 + 0.82 * 0.18 / 5000
    rho = math.sqrt((-2 * math.log(0.05) + math.log(-2 * math.log(0.05) + 1)) / 5000)
    assert sequential_rho() == pytest.approx(rho, rel=1e-12)
    half = math.sqrt(
        var
        * total
        * 2
        * (total * rho**2 + 1)
        / (total * rho) ** 2
        * math.log(math.sqrt(total * rho**2 + 1) / 0.05)
    )
    assert (low, high) == pytest.approx((0.02 - half, 0.02 + half), abs=1e-12)
    # Wider than the fixed-n interval, which is only valid for a single look.
    _, (wald_low, wald_high) = difference_interval(a=a, b=b)
    assert low < wald_low and high > wald_high

    # rho is tuned so the boundary is (nearly) tightest at N = N*.
    def width(r: float, n: int = 5000) -> float:
        return (2 * (n * r**2 + 1) / (n * r) ** 2 * math.log(math.sqrt(n * r**2 + 1) / 0.05)) ** 0.5

    best = min(np.linspace(rho / 3, rho * 3, 2001), key=width)
    assert width(rho) == pytest.approx(width(best), rel=1e-3)


def test_excludes_zero():
    assert excludes_zero((0.01, 0.2)) and excludes_zero((-0.3, -0.01))
    assert not excludes_zero((-0.01, 0.2)) and not excludes_zero(None)


@pytest.mark.parametrize("counts", [*COUNT_SETS, (0, 0, 0, 0), (10, 10, 0, 10), (1, 3, 2, 3)])
def test_chance_to_win_matches_monte_carlo(counts):
    s_a, n_a, s_b, n_b = counts
    rng = np.random.default_rng(20240601)
    draws_a = rng.beta(s_a + 1, n_a - s_a + 1, size=400_000)
    draws_b = rng.beta(s_b + 1, n_b - s_b + 1, size=400_000)
    monte_carlo = float(np.mean(draws_b > draws_a))
    ours = chance_to_win(a=(s_a, n_a), b=(s_b, n_b))
    assert ours == pytest.approx(monte_carlo, abs=0.01)
    assert ours + chance_to_win(a=(s_b, n_b), b=(s_a, n_a)) == pytest.approx(1, abs=1e-9)


@pytest.mark.parametrize("counts", [(30, 40, 25, 40), (812, 1000, 845, 1000), (3, 10, 7, 12)])
def test_chance_to_win_matches_numerical_integration(counts):
    s_a, n_a, s_b, n_b = counts
    post_a, post_b = beta(s_a + 1, n_a - s_a + 1), beta(s_b + 1, n_b - s_b + 1)
    value, _ = integrate.quad(
        lambda x: post_b.pdf(x) * post_a.cdf(x),
        0,
        1,
        points=[post_a.mean(), post_b.mean()],
        epsabs=1e-12,
        limit=200,
    )
    assert chance_to_win(a=(s_a, n_a), b=(s_b, n_b)) == pytest.approx(value, abs=TOL)


def test_chance_to_win_huge_counts_uses_normal_approximation():
    a, b = (1_500_000, 3_000_000), (1_502_000, 3_000_000)
    rng = np.random.default_rng(7)
    draws_a = rng.beta(a[0] + 1, a[1] - a[0] + 1, size=400_000)
    draws_b = rng.beta(b[0] + 1, b[1] - b[0] + 1, size=400_000)
    assert chance_to_win(a=a, b=b) == pytest.approx(np.mean(draws_b > draws_a), abs=0.01)


@pytest.mark.parametrize(
    "counts", [(0, 0, 0, 0), (0, 0, 5, 10), (10, 10, 10, 10), (0, 10, 0, 10), (10, 10, 0, 10)]
)
def test_edge_cases_serialise_without_nan(counts):
    s_a, n_a, s_b, n_b = counts
    result = ab_verdict(a=(s_a, n_a), b=(s_b, n_b))
    payload = json.dumps(result.as_dict(), allow_nan=False)  # raises on NaN / inf
    assert json.loads(payload)["verdict"] in {"A wins", "B wins", "inconclusive"}


def test_as_dict_uses_builtin_types():
    data = ab_verdict(a=(4000, 5000), b=(4150, 5000)).as_dict()

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            assert value is None or type(value) in {bool, int, float, str}

    walk(data)
    assert data["arm_a"]["wilson_ci"] == pytest.approx(
        list(proportion_confint(4000, 5000, method="wilson"))
    )


def test_verdict_b_wins():
    result = ab_verdict(a=(4000, 5000), b=(4150, 5000))
    assert result.verdict == "B wins" and "excludes 0" in result.reason
    assert result.chance_to_win > 0.99 and not result.sample_ratio_mismatch


def test_verdict_a_wins():
    assert ab_verdict(a=(4150, 5000), b=(4000, 5000)).verdict == "A wins"


def test_fixed_n_significance_alone_is_not_a_winner():
    result = ab_verdict(a=(880, 1100), b=(930, 1100))  # above the 1094 per arm needed
    assert result.p_value < 0.05 and excludes_zero(result.difference_ci)
    assert result.verdict == "inconclusive" and "contains 0" in result.reason


def test_verdict_needs_minimum_sample():
    result = ab_verdict(a=(40, 100), b=(90, 100))  # huge effect, but below the planned size
    assert excludes_zero(result.sequential_ci)
    assert result.verdict == "inconclusive" and "not enough outcomes" in result.reason
    assert result.minimum_sample_size == math.ceil(
        sample_size_per_arm(baseline_rate=0.4, minimum_detectable_effect=0.05)
    )


def test_verdict_flags_sample_ratio_mismatch():
    result = ab_verdict(a=(4000, 5000), b=(5000, 5800))
    assert result.sample_ratio_mismatch and result.srm_p_value < 0.001
    assert result.verdict == "sample ratio mismatch"
    # The same counts fit a 46.3 % split.
    assert ab_verdict(a=(4000, 5000), b=(5000, 5800), split_b_percentage=53.7).verdict == "B wins"


def test_invalid_counts_raise():
    with pytest.raises(ValueError):
        ab_verdict(a=(11, 10), b=(5, 10))
    with pytest.raises(ValueError):
        chance_to_win(a=(-1, 10), b=(5, 10))


def test_aa_simulation_sequential_controls_peeking():
    start = time.perf_counter()
    result = simulate_aa_peeking(
        n_tests=1000, rate=0.8, max_per_arm=5000, peek_every=100, seed=2024
    )
    elapsed = time.perf_counter() - start
    print(
        f"\nA/A x{result.n_tests}, {result.looks} looks: ever significant "
        f"sequential={result.sequential_false_positive_rate:.3f} "
        f"naive z-test={result.naive_false_positive_rate:.3f} ({elapsed:.2f}s)"
    )
    assert result.sequential_false_positive_rate <= 0.05
    assert result.naive_false_positive_rate > 0.05
    assert elapsed < 5


def test_numpy_counts_are_accepted_and_serialise():
    result = ab_verdict(a=(np.int64(400), np.int64(500)), b=(np.int64(420), np.int64(500)))
    json.dumps(result.as_dict(), allow_nan=False)
    with pytest.raises(ValueError):
        chance_to_win(a=(2.5, 10), b=(5, 10))
