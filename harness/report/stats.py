"""The statistics behind the reports: pure functions on counts, standard library only.

- :func:`wilson_interval`: a confidence interval for a pass rate that stays inside [0, 1] and
  behaves at 0/n and n/n, where the normal approximation does not.
- :func:`pass_at_k` / :func:`pass_hat_k`: of ``n`` attempts at a task with ``c`` successes, the
  unbiased chance that at least one (pass@k) or all (pass^k) of ``k`` attempts drawn without
  replacement succeed.
- :func:`mcnemar_exact`: the exact two-sided McNemar test on the discordant pairs of matched
  trials (one arm resolved, the other did not).
- :func:`paired_bootstrap_ci`: a percentile bootstrap interval for a mean of per-task differences,
  resampling tasks.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from statistics import NormalDist

BOOTSTRAP_RESAMPLES = 10_000


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``trials``; (0, 1) when there are none."""
    if trials < 0 or not 0 <= successes <= max(trials, 0):
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return (0.0, 1.0)
    z = _z(confidence)
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2.0 * trials)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / trials + z * z / (4.0 * trials * trials)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def _check_nck(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k: 1 - C(n-c, k) / C(n, k)."""
    _check_nck(n, c, k)
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased pass^k (all k attempts succeed): C(c, k) / C(n, k)."""
    _check_nck(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value for ``b`` and ``c`` discordant pairs.

    p = min(1, 2 * sum_{i <= min(b, c)} C(b + c, i) / 2^(b + c)); 1.0 when there are none.
    """
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got b={b} c={c}")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / (1 << n))


def paired_bootstrap_ci(
    differences: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean of per-task ``differences``.

    Each resample draws as many tasks as there are, with replacement, from a ``random.Random``
    seeded with ``seed``, so the same data always gives the same interval.
    """
    if not differences:
        raise ValueError("need at least one per-task difference")
    _z(confidence)
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    rng = random.Random(seed)
    values = list(differences)
    size = len(values)
    means: list[float] = []
    per_batch = max(1, 100_000 // size)  # draw many resamples at once, in bounded memory
    while len(means) < resamples:
        draws = rng.choices(values, k=size * min(per_batch, resamples - len(means)))
        means += (sum(draws[i : i + size]) / size for i in range(0, len(draws), size))
    means.sort()
    alpha = 1.0 - confidence
    low = means[min(resamples - 1, math.floor(alpha / 2.0 * resamples))]
    high = means[max(0, math.ceil((1.0 - alpha / 2.0) * resamples) - 1)]
    return (low, high)
