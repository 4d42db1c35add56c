"""The statistics behind the reports: pure functions, standard library only.

The unit of inference is the **task**. Epochs of one task are correlated replicates (the same
agent on the same ticket), so trials are never treated as independent: a claim that holds "on
tasks like these" needs variation between tasks, and N trials over T tasks carry far less than
N independent observations.

- :func:`clustered_rate_interval`: a 95% interval for a resolved rate over tasks: Wilson on an
  effective sample size (trials divided by the design effect the between-task variance implies),
  with Student's t on T - 1 degrees of freedom instead of z.
- :func:`paired_difference`: the comparison of two arms on the tasks both attempted: the (weighted)
  mean per-task difference, its t-interval and one-sided bounds (df = T - 1), the paired t-test,
  tasks better / worse / tied, and :func:`sign_flip_p`, an exact randomisation test that needs
  no normality (a check where the data are sparse).
- :func:`holm`: Holm's step-down adjustment, for the secondary comparisons of a report.
- :func:`wilson_interval`, :func:`pass_at_k`, :func:`pass_hat_k`: descriptive rates.
- :func:`t_cdf` and :func:`t_quantile`: Student's t from the regularised incomplete beta function.
"""

from __future__ import annotations

import functools
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

SIGN_FLIP_MAX_SUMS = 200_000  # beyond this many distinct signed sums, sign patterns are sampled
SIGN_FLIP_DRAWS = 100_000


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


# --- Student's t --------------------------------------------------------------------------------


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz evaluation)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            step = c * d
            result *= step
        if abs(step - 1.0) < 1e-15:
            break
    return result


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the regularised incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return float(front * _beta_fraction(a, b, x) / a)
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError(f"df must be > 0, got {df}")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * regularized_beta(df / (df + t * t), df / 2.0, 0.5)
    return 1.0 - tail if t > 0 else tail


@functools.cache
def t_quantile(probability: float, df: float) -> float:
    """The t with P(T <= t) = ``probability`` (bisection on :func:`t_cdf`)."""
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must be in (0, 1), got {probability}")
    if probability < 0.5:
        return -t_quantile(1.0 - probability, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < probability:
        low, high = high, high * 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_cdf(middle, df) < probability:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2.0


# --- rates --------------------------------------------------------------------------------------


def wilson_interval(
    successes: float, trials: float, confidence: float = 0.95, *, critical: float | None = None
) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``trials``; (0, 1) when there are none.

    ``trials`` may be an effective (fractional) sample size; ``critical`` replaces the normal
    quantile (a t quantile, for a rate estimated over few clusters).
    """
    if trials < 0 or not 0 <= successes <= max(trials, 0):
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return (0.0, 1.0)
    z = critical if critical is not None else _z(confidence)
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2.0 * trials)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / trials + z * z / (4.0 * trials * trials)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


@dataclass(frozen=True)
class ClusteredRate:
    successes: int
    trials: int
    tasks: int
    design_effect: float
    ci: tuple[float, float]  # two-sided, at the confidence asked for
    lower: float  # one-sided lower bound at that confidence (what a gate checks)

    @property
    def value(self) -> float | None:
        return self.successes / self.trials if self.trials else None

    @property
    def effective_trials(self) -> float:
        return self.trials / self.design_effect


def clustered_rate_interval(
    per_task: Sequence[tuple[int, int]], confidence: float = 0.95
) -> ClusteredRate:
    """A resolved rate over tasks, from (successes, trials) per task, with its interval.

    The pooled rate p = S / N. Its variance over tasks is var(task rates) / T; a binomial over N
    independent trials would give p(1 - p) / N. Their ratio, at least 1, is the design effect
    (1 + (E - 1) * ICC for E epochs per task); Wilson runs on N / deff trials with the t quantile
    on T - 1 df. With fewer than two tasks nothing generalises: the interval is (0, 1).
    """
    cells = [(s, n) for s, n in per_task if n > 0]
    successes = sum(s for s, _ in cells)
    trials = sum(n for _, n in cells)
    tasks = len(cells)
    if tasks < 2:
        return ClusteredRate(successes, trials, tasks, 1.0, (0.0, 1.0), 0.0)
    p = successes / trials
    rates = [s / n for s, n in cells]
    mean_rate = sum(rates) / tasks
    between = sum((r - mean_rate) ** 2 for r in rates) / (tasks - 1) / tasks
    binomial = p * (1.0 - p) / trials
    deff = max(1.0, between / binomial) if binomial > 0 else 1.0
    critical = t_quantile(0.5 + confidence / 2.0, tasks - 1)
    ci = wilson_interval(successes / deff, trials / deff, critical=critical)
    one_sided = t_quantile(confidence, tasks - 1)
    lower = wilson_interval(successes / deff, trials / deff, critical=one_sided)[0]
    return ClusteredRate(successes, trials, tasks, deff, ci, lower)


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


# --- paired comparisons -------------------------------------------------------------------------


def sign_flip_p(
    differences: Sequence[float],
    weights: Sequence[float] | None = None,
    *,
    draws: int = SIGN_FLIP_DRAWS,
    seed: int = 0,
) -> float:
    """Two-sided randomisation p for "the mean per-task difference is 0".

    Under the null each task's difference is as likely to have either sign; the p-value is the
    share of sign patterns whose weighted mean is at least as far from 0 as the observed one.
    Tasks with no difference carry no information and drop out. Exact (every pattern counted, by
    the distribution of the signed sum) unless the sums take too many distinct values; then
    ``draws`` seeded random patterns.
    """
    w = list(weights) if weights is not None else [1.0] * len(differences)
    terms = [wi * d for wi, d in zip(w, differences, strict=True) if d != 0.0]
    if not terms:
        return 1.0
    observed = abs(sum(terms)) - 1e-9
    # Exact: the distribution of the signed sum, built term by term. Per-task differences take
    # few values (multiples of 1/epochs), so the distinct sums stay few and this is fast.
    sums: dict[float, int] = {0.0: 1}
    for term in terms:
        grown: dict[float, int] = defaultdict(int)
        for total, ways in sums.items():
            grown[round(total + term, 9)] += ways
            grown[round(total - term, 9)] += ways
        sums = grown
        if len(sums) > SIGN_FLIP_MAX_SUMS:
            break
    else:
        extreme = sum(ways for total, ways in sums.items() if abs(total) >= observed)
        return extreme / float(1 << len(terms))
    rng = random.Random(seed)  # too many distinct sums: sample sign patterns instead
    extreme = sum(
        abs(sum(t if rng.random() < 0.5 else -t for t in terms)) >= observed for _ in range(draws)
    )
    return (extreme + 1) / (draws + 1)


@dataclass(frozen=True)
class PairedDifference:
    """Treatment minus baseline, one difference per task, and what they say."""

    tasks: int
    mean: float
    se: float | None  # None with fewer than two tasks
    ci: tuple[float, float] | None  # two-sided
    lower: float | None  # one-sided lower bound at the same confidence
    upper: float | None  # one-sided upper bound
    p_t: float | None  # paired t-test, two-sided
    p_sign: float  # exact sign-flip, two-sided
    better: int
    worse: int
    tied: int

    @property
    def informative(self) -> bool:
        """False when every task tied: the data say nothing about a difference."""
        return self.better + self.worse > 0


def paired_difference(
    differences: Sequence[float],
    weights: Sequence[float] | None = None,
    confidence: float = 0.95,
) -> PairedDifference:
    """The mean of per-task ``differences`` (weighted), with a t-interval on T - 1 df.

    With weights (a task's valid trials on its thinner side, say) the mean is weighted and its
    standard error is the matching sandwich estimate, sqrt(T / (T - 1) * sum(w^2 (d - mean)^2)) /
    sum(w), which is the usual s / sqrt(T) when the weights are equal.
    """
    if not differences:
        raise ValueError("need at least one per-task difference")
    _z(confidence)
    w = [float(x) for x in weights] if weights is not None else [1.0] * len(differences)
    if len(w) != len(differences) or any(x <= 0 for x in w):
        raise ValueError("weights must be positive, one per difference")
    tasks = len(differences)
    total = sum(w)
    mean = sum(wi * d for wi, d in zip(w, differences, strict=True)) / total
    better = sum(d > 0 for d in differences)
    worse = sum(d < 0 for d in differences)
    p_sign = sign_flip_p(differences, w)
    if tasks < 2:
        tied = tasks - better - worse
        return PairedDifference(
            tasks, mean, None, None, None, None, None, p_sign, better, worse, tied
        )
    spread = sum(wi * wi * (d - mean) ** 2 for wi, d in zip(w, differences, strict=True))
    se = math.sqrt(tasks / (tasks - 1) * spread) / total
    df = tasks - 1
    two_sided = t_quantile(0.5 + confidence / 2.0, df)
    one_sided = t_quantile(confidence, df)
    p_t = 2.0 * (1.0 - t_cdf(abs(mean) / se, df)) if se > 0 else float(mean == 0)
    return PairedDifference(
        tasks=tasks,
        mean=mean,
        se=se,
        ci=(mean - two_sided * se, mean + two_sided * se),
        lower=mean - one_sided * se,
        upper=mean + one_sided * se,
        p_t=p_t,
        p_sign=p_sign,
        better=better,
        worse=worse,
        tied=tasks - better - worse,
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given (each capped at 1)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
