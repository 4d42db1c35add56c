"""Number formatting shared by the terminal, Markdown and HTML reports."""

from __future__ import annotations

from harness.report.aggregate import (
    Comparison,
    Quality,
    QualityComparison,
    Rate,
    Report,
    Selector,
)
from harness.report.stats import ClusteredRate, PairedDifference

DASH = "\u2013"


def pct(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.0f}%"


def rate(r: Rate) -> str:
    """``62% (5/8)``."""
    return DASH if r.value is None else f"{pct(r.value)} ({r.successes}/{r.trials})"


def pp(value: float | None) -> str:
    """A difference of rates in percentage points, signed."""
    return DASH if value is None else f"{value * 100:+.1f} pp"


def interval(r: ClusteredRate) -> str:
    """``[39-76%]``: a rate's 95% interval over tasks."""
    low, high = r.ci
    return DASH if r.value is None else f"[{low * 100:.0f}{DASH}{high * 100:.0f}%]"


def over_tasks(r: ClusteredRate) -> str:
    """``58% [39-76%]``: a rate and its 95% interval over tasks."""
    return DASH if r.value is None else f"{pct(r.value)} {interval(r)}"


def uplift(c: Comparison) -> str:
    """The mean per-task difference with its 95% CI over tasks, or why there is none."""
    return difference(c.difference)


def difference(d: PairedDifference | None) -> str:
    if d is None:
        return "no common task"
    if not d.informative:
        return f"no informative tasks (all {d.tasks} tied)"
    if d.ci is None:
        return f"{pp(d.mean)} (one task: no interval)"
    low, high = d.ci
    return f"{pp(d.mean)} [{low * 100:+.1f}, {high * 100:+.1f}]"


def quality(q: Quality | None) -> str:
    """``78% [70-86%] (9 tasks)``: probe pass share on resolved trials, over tasks."""
    if q is None:
        return DASH
    span = (
        "" if q.ci is None else f" [{max(q.ci[0], 0) * 100:.0f}{DASH}{min(q.ci[1], 1) * 100:.0f}%]"
    )
    return f"{pct(q.mean)}{span} ({q.tasks} task{'s' if q.tasks != 1 else ''})"


def quality_uplift(q: QualityComparison | None) -> str:
    """The paired quality difference, or why there is none."""
    if q is None:
        return "no probes"
    if q.difference is None:
        return "no task resolved on both sides"
    return difference(q.difference)


def quality_tally(q: QualityComparison | None) -> str:
    return _tally(q.difference if q else None)


def tally(c: Comparison) -> str:
    return _tally(c.difference)


def _tally(d: PairedDifference | None) -> str:
    """Tasks on which the treatment did better / worse / the same."""
    return DASH if d is None else f"{d.better} / {d.worse} / {d.tied}"


def p_value(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.3f}" if value >= 0.001 else "<0.001"


def t_test(c: Comparison) -> str:
    """The paired t p, Holm-adjusted for a secondary comparison."""
    d = c.difference
    if d is None or d.p_t is None:
        return DASH
    if c.primary:
        return p_value(d.p_t)
    return f"{p_value(d.p_t)} (Holm {p_value(c.p_holm)})"


def sign_flip(c: Comparison) -> str:
    return DASH if c.difference is None else p_value(c.difference.p_sign)


def role(c: Comparison) -> str:
    return "primary" if c.primary else "secondary"


def comparison(report: Report, c: Comparison) -> str:
    return f"{report.label(c.baseline)} → {report.label(c.treatment)}"


def headroom(c: Comparison) -> str:
    """Common tasks the baseline did not always solve: where an uplift can show at all."""
    return f"{c.headroom}/{len(c.tasks)}"


def dropped(report: Report, c: Comparison) -> str | None:
    """The sentence a comparison with dropped or incomplete tasks carries, if any."""
    parts: list[str] = []
    if c.dropped:
        listed = ", ".join(f"{t} ({why})" for t, why in c.dropped.items())
        parts.append(f"{len(c.dropped)} task(s) left out: {listed}")
    if c.incomplete:
        parts.append(
            f"{len(c.incomplete)} compared task(s) lost trials to infrastructure errors: "
            + ", ".join(c.incomplete)
        )
    if not parts:
        return None
    return f"{comparison(report, c)}: " + "; ".join(parts)


def nothing_to_compare(report: Report) -> str:
    """Why a report has no comparison, and the sides it could have, as ``compare`` takes them."""

    def side(selector: Selector) -> str:
        named = [f"arm {selector.arm}"]
        named += [f"model {selector.model}"] if selector.model else []
        named += [f"run {selector.run}"] if selector.run else []
        return ", ".join(named)

    paths = {run.label: run.path for run in report.runs}
    found = [f"{paths[g.key.run]}:{g.key.model}:{g.key.arm}" for g in report.groups]
    return (
        f"Nothing to compare: no task has trials on both sides (baseline:"
        f" {side(report.baseline)}; treatment: {side(report.treatment)})."
        f" The runs hold {', '.join(found) or 'no trials'};"
        " compare two with: skill-eval compare RUN:MODEL:ARM RUN:MODEL:ARM."
    )


def usd(value: float | None) -> str:
    return DASH if value is None else f"${value:.3f}"


def seconds(value: float | None) -> str:
    return DASH if value is None else f"{value:.0f}s"


def count(value: float | None) -> str:
    """A token count: ``12.3k``."""
    if value is None:
        return DASH
    return f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.0f}"


def incomplete_warning(report: Report) -> str | None:
    """The sentence a report of an unfinished run leads with."""
    parts = [
        f"run {run.label} holds {run.planned - run.missing} of {run.planned} planned trials"
        for run in report.runs
        if run.missing
    ]
    if not parts:
        return None
    return "; ".join(parts) + ". Finish it (skill-eval run --resume) before drawing conclusions."


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
