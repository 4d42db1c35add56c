"""The report as rich tables, for a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from harness.report import fmt
from harness.report.aggregate import CHECK_ORDER, Rate, Report


def render_terminal(report: Report, console: Console) -> None:
    for run in report.runs:
        m = run.manifest
        console.print(
            f"[bold]run {run.label}[/]  agent {m.agent}  models {', '.join(m.models)}  "
            f"arms {', '.join(m.arms)}  epochs {m.epochs}  tasks {len(m.tasks)}"
        )
    incomplete = fmt.incomplete_warning(report)
    if incomplete:
        console.print(Panel(incomplete, title="incomplete run", style="bold red"))
    warning = fmt.infra_warning(report)
    if warning:
        console.print(Panel(warning, title="infrastructure failures", style="bold red"))
    if not report.groups:
        console.print("no trials yet")
        return
    console.print(_summary(report))
    console.print(_cost(report))
    console.print(_checks(report))
    console.print(_passk(report))
    console.print(_comparisons(report))
    if any(c.quality for c in report.comparisons):
        console.print(_quality(report))
    console.print(_matrix(report))


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for i, column in enumerate(columns):
        # the label column keeps its words whole; the numbers give up room first
        table.add_column(column, justify="left" if i == 0 else "right", no_wrap=i == 0)
    return table


def _summary(report: Report) -> Table:
    table = _table(
        "resolved rate (infrastructure failures excluded)",
        (
            "group",
            "trials",
            "tasks",
            "infra",
            "resolved",
            "95% CI over tasks",
            "quality (resolved)",
            "SKILL.md read",
        ),
    )
    for g in report.groups:
        over = g.resolved_over_tasks
        table.add_row(
            report.label(g.key),
            str(g.trials),
            str(over.tasks),
            f"[red]{g.infra_errors}[/]" if g.infra_errors else "0",
            fmt.rate(g.resolved),
            fmt.interval(over),
            fmt.quality(g.quality),
            fmt.pct(g.skill_md_reads.value) if g.key.arm != "baseline" else fmt.DASH,
        )
    return table


def _cost(report: Report) -> Table:
    table = _table(
        "cost per trial (means over valid trials; descriptive, no interval)",
        ("group", "cost", "per resolved", "tokens in/out", "cache r/w", "wall", "turns"),
    )
    for g in report.groups:
        t = g.tokens
        table.add_row(
            report.label(g.key),
            fmt.usd(g.cost_per_trial),
            fmt.usd(g.cost_per_resolved),
            f"{fmt.count(t.input)}/{fmt.count(t.output)}" if t else fmt.DASH,
            f"{fmt.count(t.cache_read)}/{fmt.count(t.cache_write)}" if t else fmt.DASH,
            fmt.seconds(g.wall_s),
            fmt.DASH if g.turns is None else f"{g.turns:.1f}",
        )
    return table


def _checks(report: Report) -> Table:
    names = [c for c in CHECK_ORDER if any(c in g.checks for g in report.groups)]
    table = Table(title="check pass rate")
    table.add_column("group", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right")
    for g in report.groups:
        table.add_row(report.label(g.key), *(fmt.pct(_value(g.checks, n)) for n in names))
    return table


def _value(checks: dict[str, Rate], name: str) -> float | None:
    rate = checks.get(name)
    return rate.value if rate else None


def _passk(report: Report) -> Table:
    ks = sorted({k for g in report.groups for k in g.pass_at})
    table = Table(
        title="pass@k / pass^k over epochs (mean over tasks with k valid attempts; descriptive)"
    )
    table.add_column("group", no_wrap=True)
    for k in ks:
        table.add_column(f"k={k}", justify="right")
    for g in report.groups:
        cells = [f"{fmt.pct(g.pass_at.get(k))} / {fmt.pct(g.pass_hat.get(k))}" for k in ks]
        table.add_row(report.label(g.key), *cells)
    return table


def _comparisons(report: Report) -> Table:
    table = _table(
        "does the treatment help? mean per-task difference, treatment minus baseline",
        ("comparison", "tasks", "pp [95% CI over tasks]", "better/worse/tied", "p (t / sign)"),
    )
    notes: list[str] = []
    for c in report.comparisons:
        table.add_row(
            f"{fmt.comparison(report, c)} ({fmt.role(c)})",
            str(len(c.tasks)),
            fmt.uplift(c),
            fmt.tally(c),
            f"{fmt.t_test(c)} / {fmt.sign_flip(c)}",
        )
        notes.append(
            f"{fmt.comparison(report, c)}: on these tasks {fmt.over_tasks(c.baseline_rate)} →"
            f" {fmt.over_tasks(c.treatment_rate)}; headroom {fmt.headroom(c)} tasks"
        )
        if (dropped := fmt.dropped(report, c)) is not None:
            notes.append(dropped)
    if not report.comparisons:
        notes.append(fmt.nothing_to_compare(report))
    table.caption = "\n".join(notes) or None
    return table


def _quality(report: Report) -> Table:
    table = _table(
        "is the code better? quality probes passed on resolved trials, treatment minus baseline",
        ("comparison", "tasks", "pp [95% CI over tasks]", "better/worse/tied", "p (t / sign)"),
    )
    notes: list[str] = []
    for c in report.comparisons:
        q = c.quality
        d = q.difference if q else None
        table.add_row(
            fmt.comparison(report, c),
            str(len(q.tasks)) if q else "0",
            fmt.quality_uplift(q),
            fmt.quality_tally(q),
            fmt.DASH if d is None else f"{fmt.p_value(d.p_t)} / {fmt.p_value(d.p_sign)}",
        )
        if q and q.dropped:
            notes.append(
                f"{fmt.comparison(report, c)}: {q.dropped} task(s) with probes left out"
                " (a side resolved none of its trials)"
            )
    notes.append("Quality never decides resolved; it is measured where the ticket was met.")
    table.caption = "\n".join(notes)
    return table


def _matrix(report: Report) -> Table:
    table = Table(title="task x group: resolved / valid trials")
    table.add_column("task", no_wrap=True)
    for g in report.groups:
        table.add_column(report.label(g.key), justify="right")
    for c in report.comparisons:
        table.add_column(f"Δ {fmt.comparison(report, c)} (descriptive)", justify="right")
    for task in report.tasks:
        row = [task]
        for g in report.groups:
            records = report.cells.get((task, g.key), [])
            valid = [r for r in records if not r.infra_error]
            infra = len(records) - len(valid)
            text = f"{sum(r.resolved for r in valid)}/{len(valid)}" if records else ""
            row.append(text + (f" [red]+{infra} infra[/]" if infra else ""))
        for c in report.comparisons:
            delta = c.delta(task)
            row.append(fmt.pp(delta.diff) if delta else fmt.DASH)
        table.add_row(*row)
    return table
