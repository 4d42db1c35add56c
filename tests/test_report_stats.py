"""The report statistics against values worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math
import random

import pytest

from harness.report.stats import (
    clustered_rate_interval,
    holm,
    paired_difference,
    pass_at_k,
    pass_hat_k,
    sign_flip_p,
    t_cdf,
    t_quantile,
    wilson_interval,
)


def test_wilson_8_of_10() -> None:
    # z = 1.959964, p = 0.8, n = 10: z^2 = 3.841459
    # centre = (0.8 + 3.841459/20) / (1 + 3.841459/10) = 0.992073 / 1.384146 = 0.716740
    # half = z * sqrt(0.8*0.2/10 + 3.841459/400) / 1.384146 = 1.959964 * 0.160002 / 1.384146
    #      = 0.226562  ->  (0.4902, 0.9433)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=5e-5)
    assert high == pytest.approx(0.9433, abs=5e-5)


def test_wilson_edges_stay_inside_0_1() -> None:
    # 0/10: centre = (3.841459/20) / 1.384146 = 0.138763, half the same -> (0, 0.2775)
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.2775, abs=5e-5)
    # 10/10 mirrors it: (0.7225, 1)
    low, high = wilson_interval(10, 10)
    assert low == pytest.approx(0.7225, abs=5e-5)
    assert high == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_at_90_percent_is_narrower() -> None:
    # z(0.90) = 1.644854; 8/10: centre = (0.8 + 0.135277) / 1.270554 = 0.736118,
    # half = 1.644854 * sqrt(0.016 + 0.006764) / 1.270554 = 0.195324 -> (0.5408, 0.9314)
    low, high = wilson_interval(8, 10, confidence=0.90)
    assert low == pytest.approx(0.5408, abs=5e-5)
    assert high == pytest.approx(0.9314, abs=5e-5)


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (5, 2, 1, 0.4),  # k = 1 is the plain rate c/n
        (5, 0, 3, 0.0),  # never passes
        (5, 3, 3, 1.0),  # C(2,3) = 0: any 3 of 5 include a success
        (10, 3, 4, 1 - 35 / 210),  # 1 - C(7,4)/C(10,4) = 1 - 35/210 = 0.833333
    ],
)
def test_pass_at_k(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 2, 0.1),  # C(2,2)/C(5,2) = 1/10
        (5, 4, 2, 0.6),  # C(4,2)/C(5,2) = 6/10
        (5, 4, 1, 0.8),  # k = 1 is the plain rate
        (5, 5, 5, 1.0),
        (3, 2, 3, 0.0),  # C(2,3) = 0: cannot pass three times out of two successes
    ],
)
def test_pass_hat_k(n: int, c: int, k: int, expected: float) -> None:
    assert pass_hat_k(n, c, k) == pytest.approx(expected)


def test_pass_k_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="1 <= k <= n"):
        pass_at_k(3, 1, 4)
    with pytest.raises(ValueError, match="0 <= c <= n"):
        pass_hat_k(3, 4, 1)


# --- Student's t, against closed forms and printed tables ------------------------------------


@pytest.mark.parametrize("t", [-3.0, -0.7, 0.0, 0.4, 1.5, 12.0])
def test_t_cdf_matches_the_closed_forms_for_1_and_2_df(t: float) -> None:
    assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-12)  # Cauchy
    assert t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-12)


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [  # printed t tables (four decimals)
        (0.975, 1, 12.7062),
        (0.975, 2, 4.3027),
        (0.975, 22, 2.0739),
        (0.95, 22, 1.7171),
        (0.975, 32, 2.0369),
        (0.995, 10, 3.1693),
        (0.025, 22, -2.0739),
    ],
)
def test_t_quantiles(p: float, df: int, expected: float) -> None:
    assert t_quantile(p, df) == pytest.approx(expected, abs=5e-5)


# --- the comparison of two arms --------------------------------------------------------------


def test_sign_flip_is_exact_on_the_reviews_demo_a() -> None:
    # 4 of 23 tasks go 0/3 -> 3/3, 19 tie: of the 2^4 sign patterns of the four +1s, only the
    # two all-equal ones reach |sum| = 4, so p = 2/16.
    diffs = [1.0] * 4 + [0.0] * 19
    assert sign_flip_p(diffs) == 0.125
    result = paired_difference(diffs)
    assert (result.better, result.worse, result.tied) == (4, 0, 19)
    assert result.p_sign == 0.125


def test_sign_flip_counts_patterns_at_least_as_extreme() -> None:
    # terms 1, 1, -1: sums over the 8 patterns are 3, 1, 1, -1, 1, -1, -1, -3; |sum| >= 1 always
    assert sign_flip_p([1.0, 1.0, -1.0]) == 1.0
    # 2/3, 1/3: sums 1, 1/3, -1/3, -1; |sum| >= 1 in 2 of 4
    assert sign_flip_p([2 / 3, 1 / 3]) == 0.5
    assert sign_flip_p([0.0, 0.0]) == 1.0  # nothing informative


def test_paired_t_by_hand() -> None:
    # d = 0.1, 0.2, 0.3, 0.4: mean 0.25, s = sqrt(0.05 / 3) = 0.129099, se = 0.0645497,
    # t = 3.872983 on 3 df; CI = 0.25 +- 3.182446 * 0.0645497 = 0.25 +- 0.205426
    result = paired_difference([0.1, 0.2, 0.3, 0.4])
    assert result.mean == pytest.approx(0.25)
    assert result.se == pytest.approx(0.0645497, abs=1e-7)
    assert result.ci is not None
    assert result.ci[0] == pytest.approx(0.044574, abs=2e-6)
    assert result.ci[1] == pytest.approx(0.455426, abs=2e-6)
    # one-sided 95%: t(0.95, 3) = 2.353363 -> lower 0.25 - 0.151909 = 0.098091
    assert result.lower == pytest.approx(0.098091, abs=2e-6)
    # p = 2 * P(T3 > 3.872983) = 0.030466 (tables: between 0.02 and 0.05)
    assert result.p_t == pytest.approx(0.030466, abs=2e-6)


def test_weights_reduce_to_the_plain_mean_when_equal_and_damp_thin_tasks() -> None:
    diffs = [1.0, 0.0, -1 / 3, 2 / 3]
    equal = paired_difference(diffs, [3, 3, 3, 3])
    plain = paired_difference(diffs)
    assert equal.mean == pytest.approx(plain.mean)
    assert equal.se == pytest.approx(plain.se)
    # the reviewer's Demo E: one trial on a side makes +66.7 pp; weighted by min(n_B, n_T)
    damped = paired_difference([2 / 3, 0.0, 0.0], [1, 3, 3])
    assert damped.mean == pytest.approx((2 / 3) / 7)
    assert paired_difference([2 / 3, 0.0, 0.0]).mean == pytest.approx(2 / 9)


def test_a_ceiling_is_no_information_not_a_precise_zero() -> None:
    result = paired_difference([0.0] * 23)
    assert not result.informative
    assert result.p_sign == 1.0


def test_holm() -> None:
    # sorted 0.01, 0.03, 0.04 -> x3, x2, x1 = 0.03, 0.06, 0.04 -> monotone: 0.03, 0.06, 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_clustered_rate_widens_with_the_design_effect() -> None:
    # 24 tasks x 3 epochs: 10 always, 10 never, 4 twice -> p = 38/72; task rates vary far more
    # than a binomial of 72 trials allows, so the interval is wider than plain Wilson.
    cells = [(3, 3)] * 10 + [(0, 3)] * 10 + [(2, 3)] * 4
    clustered = clustered_rate_interval(cells)
    plain = wilson_interval(38, 72)
    assert clustered.design_effect > 2.0
    assert clustered.ci[1] - clustered.ci[0] > 1.5 * (plain[1] - plain[0])
    assert clustered.lower > clustered.ci[0]  # one-sided bound: tighter than the two-sided one
    same = clustered_rate_interval([(2, 3)] * 20)  # every task alike: no clustering to pay for
    assert same.design_effect == 1.0
    assert clustered_rate_interval([(2, 3)]).ci == (0.0, 1.0)  # one task generalises nothing


# --- simulation: clustered synthetic benchmarks ------------------------------------------------
#
# Each benchmark has T tasks; a task's true rate is drawn from a Beta distribution with mean p0
# and intra-class correlation 0.5 (most tasks nearly always or nearly never solved), and each of
# E epochs is a Bernoulli trial of that rate. The intervals are "over tasks like these": their
# target is the population mean p0 (or, for a comparison, the population mean difference).

SIMULATIONS = 2000


def _task_rate(rng: random.Random, p0: float, icc: float = 0.5) -> float:
    concentration = 1.0 / icc - 1.0
    return rng.betavariate(p0 * concentration, (1.0 - p0) * concentration)


def _solved(rng: random.Random, rate: float, epochs: int) -> int:
    return sum(rng.random() < rate for _ in range(epochs))


@pytest.mark.parametrize("tasks", [23, 33])
@pytest.mark.parametrize("epochs", [1, 3, 5])
@pytest.mark.parametrize("p0", [0.3, 0.6, 0.9])
def test_the_rate_interval_covers_the_population_rate(p0: float, epochs: int, tasks: int) -> None:
    """Measured once at 4,000 benchmarks per cell (the test runs 2,000): 95.5-97.1% at 30% and
    60%; at the 90% ceiling 93.5-94.5% with 3 or 5 epochs (a handful of failing tasks carry all
    the variance) and 95.9-97.6% with one (a binomial of 23 trials near 90% is lumpy). Asserted:
    92.5-97.5%, the issue's 93-97% widened by the simulation's own error (one standard error is
    0.5 pp at 2,000), and up to 98% for 90% at one epoch, where the interval errs wide."""
    rng = random.Random(int(p0 * 100) * 100 + epochs * 10 + tasks)
    covered = 0
    for _ in range(SIMULATIONS):
        cells = [(_solved(rng, _task_rate(rng, p0), epochs), epochs) for _ in range(tasks)]
        low, high = clustered_rate_interval(cells).ci
        covered += low <= p0 <= high
    assert 0.925 <= covered / SIMULATIONS <= (0.98 if p0 == 0.9 and epochs == 1 else 0.975)


def test_pooled_wilson_over_trials_would_not_cover() -> None:
    """Why the interval is over tasks: Wilson on 23 x 5 pooled trials misses far too often."""
    rng = random.Random(5)
    covered = 0
    for _ in range(SIMULATIONS):
        cells = [(_solved(rng, _task_rate(rng, 0.6), 5), 5) for _ in range(23)]
        low, high = wilson_interval(sum(s for s, _ in cells), 5 * 23)
        covered += low <= 0.6 <= high
    assert covered / SIMULATIONS < 0.85


@pytest.mark.parametrize("epochs", [1, 3, 5])
@pytest.mark.parametrize("p0", [0.3, 0.6])
def test_the_paired_t_test_rejects_a_true_null_about_5_percent(p0: float, epochs: int) -> None:
    """No effect: both arms draw from each task's same rate. alpha = 0.05, 23 tasks."""
    rng = random.Random(int(p0 * 100) + epochs)
    rejected = 0
    for _ in range(SIMULATIONS):
        diffs = []
        for _ in range(23):
            rate = _task_rate(rng, p0)
            diffs.append((_solved(rng, rate, epochs) - _solved(rng, rate, epochs)) / epochs)
        result = paired_difference(diffs)
        rejected += result.p_t is not None and result.p_t < 0.05
    assert 0.04 <= rejected / SIMULATIONS <= 0.06


def test_at_the_ceiling_the_t_test_is_conservative() -> None:
    """At a 90% baseline most differences are 0: the test rejects a true null rarely, never
    more than it should (nothing is detectable there; the report shows the headroom)."""
    rng = random.Random(90)
    rejected = 0
    for _ in range(SIMULATIONS):
        diffs = []
        for _ in range(23):
            rate = _task_rate(rng, 0.9)
            diffs.append((_solved(rng, rate, 3) - _solved(rng, rate, 3)) / 3)
        result = paired_difference(diffs)
        rejected += result.p_t is not None and result.p_t < 0.05
    assert rejected / SIMULATIONS <= 0.05


@pytest.mark.parametrize("epochs", [1, 3, 5])
def test_the_difference_interval_covers_the_true_uplift(epochs: int) -> None:
    """The treatment closes a third of each task's gap to 1: the mean difference is
    (1 - p0) / 3 = 0.1333 at p0 = 0.6, whatever the tasks."""
    rng = random.Random(100 + epochs)
    true_uplift = (1 - 0.6) / 3
    covered = 0
    for _ in range(SIMULATIONS):
        diffs = []
        for _ in range(23):
            rate = _task_rate(rng, 0.6)
            better = rate + (1 - rate) / 3
            diffs.append((_solved(rng, better, epochs) - _solved(rng, rate, epochs)) / epochs)
        ci = paired_difference(diffs).ci
        assert ci is not None
        covered += ci[0] <= true_uplift <= ci[1]
    assert 0.93 <= covered / SIMULATIONS <= 0.97
