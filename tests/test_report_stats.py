"""The report statistics against values worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math
import random

import pytest

from harness.report.stats import (
    mcnemar_exact,
    paired_bootstrap_ci,
    pass_at_k,
    pass_hat_k,
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


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        (8, 2, 0.109375),  # 2 * (C(10,0) + C(10,1) + C(10,2)) / 2^10 = 2 * 56 / 1024
        (2, 8, 0.109375),  # symmetric
        (5, 0, 0.0625),  # 2 * C(5,0) / 2^5 = 2/32
        (3, 3, 1.0),  # 2 * (1+6+15+20)/64 = 84/64, capped at 1
        (0, 0, 1.0),  # no discordant pairs: no evidence either way
        (10, 1, 0.01171875),  # 2 * (1 + 11) / 2^11 = 24/2048
    ],
)
def test_mcnemar_exact(b: int, c: int, expected: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(expected)


def test_bootstrap_of_a_constant_is_that_constant() -> None:
    # every resample of [0.25, 0.25, 0.25] has mean 0.25
    assert paired_bootstrap_ci([0.25, 0.25, 0.25]) == (0.25, 0.25)


def test_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    diffs = [0.0, 1 / 3, 2 / 3, 1.0, -1 / 3, 0.0, 1 / 3, 1 / 3]
    low, high = paired_bootstrap_ci(diffs, seed=7)
    assert paired_bootstrap_ci(diffs, seed=7) == (low, high)
    assert low < sum(diffs) / len(diffs) < high
    # resampled means are means of 8 draws from values spaced 1/3 apart: multiples of 1/24
    assert low * 24 == pytest.approx(round(low * 24))


def test_bootstrap_covers_the_true_mean_in_at_least_93_of_100_datasets() -> None:
    """100 synthetic benchmarks of 30 tasks each, drawn with a known mean difference.

    A task's difference of resolved rates over 3 epochs is a multiple of 1/3; here it is
    -1/3, 0, 1/3 or 2/3 with probabilities 0.2, 0.3, 0.3, 0.2:
    mean = (-0.2 + 0.3 + 0.4) / 3 = 1/6; E[x^2] = (0.2 + 0.3 + 0.8) / 9 = 1.3/9,
    sd = sqrt(1.3/9 - 1/36) = 0.34157, so a 95% interval is about 2 * 1.96 * sd / sqrt(30) = 0.244
    wide.
    """
    values, weights = [-1 / 3, 0.0, 1 / 3, 2 / 3], [0.2, 0.3, 0.3, 0.2]
    true_mean, tasks = 1 / 6, 30
    rng = random.Random(20250101)
    covered = 0
    widths: list[float] = []
    for dataset in range(100):
        diffs = rng.choices(values, weights, k=tasks)
        low, high = paired_bootstrap_ci(diffs, seed=dataset)
        covered += low <= true_mean <= high
        widths.append(high - low)
    assert covered >= 93
    assert sum(widths) / len(widths) == pytest.approx(
        2 * 1.96 * 0.34157 / math.sqrt(tasks), rel=0.1
    )


def test_bootstrap_rejects_empty_input() -> None:
    with pytest.raises(ValueError, match="at least one"):
        paired_bootstrap_ci([])
