"""Number formatting shared by the terminal, Markdown and HTML reports."""

from __future__ import annotations

from harness.report.aggregate import Comparison, Rate, Report

DASH = "\u2013"


def pct(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.0f}%"


def rate(r: Rate) -> str:
    """``62% (5/8)``."""
    return DASH if r.value is None else f"{pct(r.value)} ({r.successes}/{r.trials})"


def wilson(r: Rate) -> str:
    low, high = r.ci
    return DASH if r.value is None else f"{low * 100:.0f}\u2013{high * 100:.0f}%"


def pp(value: float | None) -> str:
    """A difference of rates in percentage points, signed."""
    return DASH if value is None else f"{value * 100:+.1f} pp"


def uplift(c: Comparison) -> str:
    if c.uplift is None or c.uplift_ci is None:
        return DASH
    low, high = c.uplift_ci
    return f"{pp(c.uplift)} [{low * 100:+.1f}, {high * 100:+.1f}]"


def comparison(report: Report, c: Comparison) -> str:
    return f"{report.label(c.baseline)} → {report.label(c.treatment)}"


def p_value(value: float) -> str:
    return f"{value:.3f}" if value >= 0.001 else "<0.001"


def usd(value: float | None) -> str:
    return DASH if value is None else f"${value:.3f}"


def seconds(value: float | None) -> str:
    return DASH if value is None else f"{value:.0f}s"


def count(value: float | None) -> str:
    """A token count: ``12.3k``."""
    if value is None:
        return DASH
    return f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.0f}"


def infra_warning(report: Report) -> str | None:
    """The sentence every report leads with when infrastructure failed some trials."""
    if not report.infra:
        return None
    total = sum(g.trials for g in report.groups)
    runs = sorted({run for run, _ in report.infra})
    return (
        f"{len(report.infra)} of {total} trials failed for infrastructure reasons "
        f"(run {', '.join(runs)}); they are left out of every rate, mean and comparison. "
        "Re-run them (--resume) before drawing conclusions."
    )
