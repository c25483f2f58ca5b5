"""A/B statistics over per-arm counts of correct predictions.

Pure module: no Django, no database. Each arm is `Counts(successes, trials)` (a plain
`(successes, trials)` tuple works too). Arm B is the candidate and every difference is B - A.
An arm without trials has no rate: functions return None there, never NaN. Results agree with
statsmodels / scipy on the same counts (tests/models_registry/test_stats.py).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy.special import betaln, logsumexp
from scipy.stats import chi2, norm

DEFAULT_ALPHA = 0.05
DEFAULT_POWER = 0.8
DEFAULT_N_STAR = 5000
SRM_THRESHOLD = 0.001
_MAX_EXACT_TERMS = 1_000_000

Interval = tuple[float, float]


class Counts(NamedTuple):
    successes: int
    trials: int

    @property
    def rate(self) -> float | None:
        return self.successes / self.trials if self.trials > 0 else None


ArmCounts = Counts | tuple[int, int]


def _counts(a: ArmCounts, b: ArmCounts) -> tuple[Counts, Counts]:
    arms = Counts(*(int(x) for x in a)), Counts(*(int(x) for x in b))
    for arm, raw in zip(arms, (a, b), strict=True):
        if not 0 <= arm.successes <= arm.trials or tuple(arm) != tuple(raw):
            raise ValueError(f"need whole counts 0 <= successes <= trials, got {tuple(raw)}")
    return arms


def _unpooled_variance(s_a, n_a, s_b, n_b):
    """Variance of p_B - p_A without pooling (works elementwise on numpy arrays)."""
    p_a, p_b = s_a / n_a, s_b / n_b
    return p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b


def wilson_interval(
    *, successes: int, trials: int, alpha: float = DEFAULT_ALPHA
) -> Interval | None:
    """Wilson score interval for one proportion; None without trials."""
    if trials <= 0:
        return None
    z = norm.isf(alpha / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    center = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return float(max(0.0, center - half)), float(min(1.0, center + half))


def two_proportion_pvalue(*, a: ArmCounts, b: ArmCounts) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test (1.0 if the pooled rate is 0 or 1).

    Valid only when read once, at a sample size fixed in advance (see `sequential_interval`).
    """
    a, b = _counts(a, b)
    if a.trials == 0 or b.trials == 0:
        return None
    pooled = (a.successes + b.successes) / (a.trials + b.trials)
    variance = pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials)
    if variance <= 0:
        return 1.0
    return float(2 * norm.sf(abs(b.rate - a.rate) / math.sqrt(variance)))


def difference_interval(
    *, a: ArmCounts, b: ArmCounts, alpha: float = DEFAULT_ALPHA
) -> tuple[float, Interval] | None:
    """(B - A, its unpooled Wald interval), fixed-n; None when an arm has no trials."""
    a, b = _counts(a, b)
    if a.trials == 0 or b.trials == 0:
        return None
    diff = b.rate - a.rate
    variance = _unpooled_variance(a.successes, a.trials, b.successes, b.trials)
    half = norm.isf(alpha / 2) * math.sqrt(variance)
    return float(diff), (float(diff - half), float(diff + half))


def sequential_rho(*, alpha: float = DEFAULT_ALPHA, n_star: int = DEFAULT_N_STAR) -> float:
    """Mixture parameter that makes the sequence (approximately) tightest at N = n_star."""
    log_alpha = math.log(alpha)
    return math.sqrt((-2 * log_alpha + math.log(-2 * log_alpha + 1)) / n_star)


def _sequential_halfwidth(variance, total, alpha: float, rho: float):
    """Half-width for `variance` of B - A after `total` = n_A + n_B units (numpy-friendly)."""
    s2 = variance * total
    t_rho2 = total * rho * rho
    return np.sqrt(s2 * 2 * (t_rho2 + 1) / (total * t_rho2) * np.log(np.sqrt(t_rho2 + 1) / alpha))


def sequential_interval(
    *,
    a: ArmCounts,
    b: ArmCounts,
    alpha: float = DEFAULT_ALPHA,
    n_star: int = DEFAULT_N_STAR,
) -> Interval | None:
    """Always-valid (1 - alpha) confidence sequence for p_B - p_A; None when an arm is empty.

    The Gaussian-mixture asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy
    and Ramdas, "Time-uniform central limit theory and asymptotic confidence sequences"
    (Annals of Statistics, 2024; arXiv:2103.06476), in the form GrowthBook's gbstats uses
    (`sequential_interval_halfwidth`) and PostHog follows. With N = n_A + n_B,
    theta = p_B - p_A, var = p_A(1-p_A)/n_A + p_B(1-p_B)/n_B and s^2 = N * var:

        theta +- s * sqrt( 2 (N rho^2 + 1) / (N^2 rho^2) * ln( sqrt(N rho^2 + 1) / alpha ) )
        rho   = sqrt( (-2 ln alpha + ln(-2 ln alpha + 1)) / N* ),   N* = n_star = 5000

    That rho minimises the width near N = N*. Unlike a fixed-n interval, the chance that the
    sequence EVER misses the true difference, over every look, is <= alpha (asymptotically),
    so the result may be read after each new outcome.
    """
    a, b = _counts(a, b)
    if a.trials == 0 or b.trials == 0:
        return None
    diff = b.rate - a.rate
    variance = _unpooled_variance(a.successes, a.trials, b.successes, b.trials)
    rho = sequential_rho(alpha=alpha, n_star=n_star)
    half = float(_sequential_halfwidth(variance, a.trials + b.trials, alpha, rho))
    return float(diff - half), float(diff + half)


def excludes_zero(interval: Interval | None) -> bool:
    """Whether an interval for B - A lies entirely above or entirely below zero."""
    return interval is not None and (interval[0] > 0 or interval[1] < 0)


def _prob_first_greater(a1: int, b1: int, a2: int, b2: int) -> float:
    """P(X1 > X2), X1 ~ Beta(a1, b1), X2 ~ Beta(a2, b2), integer a1: a1 terms (Evan Miller)."""
    i = np.arange(a1, dtype=float)
    log_terms = betaln(a2 + i, b1 + b2) - np.log(b1 + i) - betaln(1 + i, b1) - betaln(a2, b2)
    return float(np.exp(logsumexp(log_terms)))


def chance_to_win(*, a: ArmCounts, b: ArmCounts) -> float:
    """Posterior P(p_B > p_A) under independent Beta(1, 1) priors; exact and deterministic.

    The closed-form sum is taken over the smallest of the four Beta parameters (by symmetry),
    i.e. min(successes, failures) + 1 terms. Beyond a million terms both posteriors are
    replaced by normals, whose error is negligible at that size.
    """
    a, b = _counts(a, b)
    a1, b1 = a.successes + 1, a.trials - a.successes + 1
    a2, b2 = b.successes + 1, b.trials - b.successes + 1
    terms, exact = min(
        [
            (a2, lambda: _prob_first_greater(a2, b2, a1, b1)),
            (a1, lambda: 1 - _prob_first_greater(a1, b1, a2, b2)),
            (b1, lambda: _prob_first_greater(b1, a1, b2, a2)),
            (b2, lambda: 1 - _prob_first_greater(b2, a2, b1, a1)),
        ],
        key=lambda option: option[0],
    )
    if terms <= _MAX_EXACT_TERMS:
        return float(min(1.0, max(0.0, exact())))
    mean = a2 / (a2 + b2) - a1 / (a1 + b1)
    var = sum(x * y / ((x + y) ** 2 * (x + y + 1)) for x, y in ((a1, b1), (a2, b2)))
    return float(norm.sf(0, loc=mean, scale=math.sqrt(var)))


def srm_p_value(*, trials_a: int, trials_b: int, split_b_percentage: float) -> float:
    """Chi-square goodness-of-fit p-value (1 dof) of the arm sizes against the configured split."""
    total = trials_a + trials_b
    if total <= 0:
        return 1.0
    expected = (total * (1 - split_b_percentage / 100), total * split_b_percentage / 100)
    pairs = list(zip((trials_a, trials_b), expected, strict=True))
    if min(expected) <= 0:  # a 0 / 100 split: any unit in the empty arm is a mismatch
        return 1.0 if all(o == 0 for o, e in pairs if e <= 0) else 0.0
    return float(chi2.sf(sum((o - e) ** 2 / e for o, e in pairs), df=1))


def _alternative_rates(baseline_rate: float, effect: float) -> list[float]:
    """The rates `effect` above and below the baseline that a rate can take (within 0..1)."""
    if not (0 <= baseline_rate <= 1 and 0 < effect < 1):
        raise ValueError("need 0 <= baseline_rate <= 1 and 0 < minimum_detectable_effect < 1")
    rates = [r for r in (baseline_rate + effect, baseline_rate - effect) if 0 <= r <= 1]
    if not rates:
        raise ValueError(
            f"a difference of {effect:g} cannot be measured from a baseline of {baseline_rate:g}: "
            "both baseline + d and baseline - d fall outside 0..1"
        )
    return rates


def sample_size_rule_of_thumb(*, baseline_rate: float, minimum_detectable_effect: float) -> float:
    """Lehr's rule of thumb 16 p(1 - p) / d^2 per arm (80 % power, two-sided alpha = 0.05)."""
    _alternative_rates(baseline_rate, minimum_detectable_effect)
    return 16 * baseline_rate * (1 - baseline_rate) / minimum_detectable_effect**2


def _sample_size_one_direction(p1: float, p2: float, alpha: float, power: float) -> float:
    p_bar = (p1 + p2) / 2
    null_sd = math.sqrt(2 * p_bar * (1 - p_bar))
    alternative_sd = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    spread = norm.isf(alpha / 2) * null_sd + norm.ppf(power) * alternative_sd
    return float(spread**2 / (p2 - p1) ** 2)


def sample_size_per_arm(
    *,
    baseline_rate: float,
    minimum_detectable_effect: float,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
) -> float:
    """Units per arm for the pooled two-sided z-test to detect B - A = +d or -d: the larger.

    For each direction, n = (z_{1-alpha/2} sqrt(2 pbar qbar) + z_{power} sqrt(p1 q1 + p2 q2))^2
    / d^2 with p1 = baseline, p2 = baseline +- d and pbar = (p1 + p2) / 2: null variance
    pooled, alternative variance not, as statsmodels' `samplesize_proportions_2indep_onetail`.
    A candidate may be better or worse, and the harm is the one a test must not miss: near
    the top the lower rate has the larger variance, so 0.94 -> 0.89 needs 488 per arm where
    0.94 -> 0.99 needs 211. A direction outside 0..1 cannot happen and is left out. (Cohen's
    arcsine h, statsmodels' `NormalIndPower`, approximates the same test: 479 and 181 here,
    which give the z-test 79 % and 74 % power, not 80 %.) The rule of thumb uses the
    baseline's variance for both arms: at p = 0.8, d = 0.05 it asks 1024 per arm where this
    gives 1094. `ab_verdict` rounds this up."""
    return max(
        _sample_size_one_direction(baseline_rate, p2, alpha, power)
        for p2 in _alternative_rates(baseline_rate, minimum_detectable_effect)
    )


@dataclass(frozen=True)
class ArmSummary:
    trials: int
    successes: int
    accuracy: float | None
    wilson_ci: Interval | None


@dataclass(frozen=True)
class ABVerdict:
    arm_a: ArmSummary
    arm_b: ArmSummary
    difference: float | None  # accuracy B - accuracy A
    difference_ci: Interval | None  # fixed-n Wald interval: for reading, not for deciding
    p_value: float | None  # pooled z-test: valid only if read once at a planned size
    sequential_ci: Interval | None  # always valid: the one the verdict uses
    chance_to_win: float  # P(B better than A), Beta(1, 1) priors
    srm_p_value: float
    sample_ratio_mismatch: bool
    minimum_sample_size: int  # per arm
    split_b_percentage: float
    verdict: str  # "A wins" | "B wins" | "inconclusive" | "sample ratio mismatch"
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: builtin ints / floats / lists, None instead of NaN or infinity."""
        return _json_ready(asdict(self))


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        cleaned = {key: _json_ready(item) for key, item in items}
        return cleaned if isinstance(value, dict) else list(cleaned.values())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def ab_verdict(
    *,
    a: ArmCounts,
    b: ArmCounts,
    split_b_percentage: float = 50.0,
    minimum_detectable_effect: float = 0.05,
    baseline_rate: float | None = None,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    n_star: int = DEFAULT_N_STAR,
) -> ABVerdict:
    """Summarise an A/B test; declare a winner only when it is safe to.

    A winner needs no sample-ratio mismatch (p >= 0.001), the minimum sample size in both arms
    (`power` to detect `minimum_detectable_effect` from `baseline_rate`, by default arm A's
    observed accuracy, or 0.5 before A has outcomes), and a sequential interval excluding 0.
    """
    a, b = _counts(a, b)
    difference = difference_interval(a=a, b=b, alpha=alpha)
    sequential = sequential_interval(a=a, b=b, alpha=alpha, n_star=n_star)
    srm_p = srm_p_value(trials_a=a.trials, trials_b=b.trials, split_b_percentage=split_b_percentage)
    if baseline_rate is None:
        baseline_rate = a.rate if a.rate is not None else 0.5
    exact_size = sample_size_per_arm(
        baseline_rate=baseline_rate,
        minimum_detectable_effect=minimum_detectable_effect,
        alpha=alpha,
        power=power,
    )
    needed = math.ceil(exact_size - 1e-9)  # whole units per arm, ignoring float noise
    level = f"always-valid {1 - alpha:.0%} interval"
    if srm_p < SRM_THRESHOLD:
        verdict = "sample ratio mismatch"
        reason = (
            f"arm sizes {a.trials} (A) / {b.trials} (B) do not fit the configured "
            f"{100 - split_b_percentage:g}/{split_b_percentage:g} split (chi-square "
            f"p = {srm_p:.2g} < {SRM_THRESHOLD}): check the routing before trusting any result"
        )
    elif min(a.trials, b.trials) < needed:
        verdict = "inconclusive"
        reason = (
            f"not enough outcomes yet: {a.trials} (A) and {b.trials} (B) of the {needed} per "
            f"arm needed to detect a {minimum_detectable_effect:.1%} difference"
        )
    elif excludes_zero(sequential):
        verdict = "B wins" if sequential[0] > 0 else "A wins"
        reason = (
            f"accuracy B - A = {difference[0]:+.2%}; the {level} "
            f"[{sequential[0]:+.2%}, {sequential[1]:+.2%}] excludes 0"
        )
    else:
        verdict = "inconclusive"
        reason = (
            f"no significant difference: the {level} "
            f"[{sequential[0]:+.2%}, {sequential[1]:+.2%}] contains 0"
        )
    arm_a, arm_b = (
        ArmSummary(
            arm.trials,
            arm.successes,
            arm.rate,
            wilson_interval(successes=arm.successes, trials=arm.trials, alpha=alpha),
        )
        for arm in (a, b)
    )
    return ABVerdict(
        arm_a=arm_a,
        arm_b=arm_b,
        difference=difference[0] if difference else None,
        difference_ci=difference[1] if difference else None,
        p_value=two_proportion_pvalue(a=a, b=b),
        sequential_ci=sequential,
        chance_to_win=chance_to_win(a=a, b=b),
        srm_p_value=srm_p,
        sample_ratio_mismatch=srm_p < SRM_THRESHOLD,
        minimum_sample_size=needed,
        split_b_percentage=float(split_b_percentage),
        verdict=verdict,
        reason=reason,
    )


@dataclass(frozen=True)
class AASimulation:
    n_tests: int
    looks: int
    sequential_false_positive_rate: float
    naive_false_positive_rate: float


def simulate_aa_peeking(
    *,
    n_tests: int = 1000,
    rate: float = 0.8,
    max_per_arm: int = 5000,
    peek_every: int = 100,
    alpha: float = DEFAULT_ALPHA,
    n_star: int = DEFAULT_N_STAR,
    seed: int = 2024,
) -> AASimulation:
    """A/A tests (same true rate in both arms, 50/50) read after every `peek_every` units per arm.

    Returns the share of tests EVER called significant by the sequential interval and by the
    naive pooled z-test at the same looks. Vectorised over tests and looks.
    """
    rng = np.random.default_rng(seed)
    looks = max_per_arm // peek_every
    s_a, s_b = rng.binomial(peek_every, rate, size=(2, n_tests, looks)).cumsum(axis=2)
    n = np.arange(1, looks + 1) * peek_every  # units per arm at each look
    diff = np.abs(s_b - s_a) / n
    pooled = (s_a + s_b) / (2 * n)
    naive = diff > norm.isf(alpha / 2) * np.sqrt(pooled * (1 - pooled) * 2 / n)
    rho = sequential_rho(alpha=alpha, n_star=n_star)
    sequential = diff > _sequential_halfwidth(_unpooled_variance(s_a, n, s_b, n), 2 * n, alpha, rho)
    return AASimulation(
        n_tests=n_tests,
        looks=looks,
        sequential_false_positive_rate=float(sequential.any(axis=1).mean()),
        naive_false_positive_rate=float(naive.any(axis=1).mean()),
    )
