"""The report as GitHub Markdown: for a pull request comment or a CI job summary."""

from __future__ import annotations

from harness.errors import HarnessError
from harness.report import fmt
from harness.report.aggregate import CHECK_ORDER, Comparison, Report, by_area
from harness.task import load_task


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return [line(header), "|" + "|".join("---" for _ in header) + "|", *map(line, rows), ""]


def render_markdown(report: Report) -> str:
    out = ["# Skill evaluation report", ""]
    for run in report.runs:
        m = run.manifest
        models = ", ".join(f"`{x}`" for x in m.models)
        out.append(
            f"- run `{run.label}`: agent `{m.agent}`, models {models}"
            f", arms {', '.join(m.arms)}, {m.epochs} epoch(s), {len(m.tasks)} task(s)"
        )
    out.append("")
    incomplete = fmt.incomplete_warning(report)
    if incomplete:
        out += [f"> [!WARNING]\n> **Incomplete run.** {incomplete}", ""]
    warning = fmt.infra_warning(report)
    if warning:
        out += [f"> [!WARNING]\n> **Infrastructure failures.** {warning}", ""]
    if not report.groups:
        return "\n".join([*out, "No trials yet.", ""])
    out += ["## Does the skill help?", ""]
    out += _comparisons(report)
    out += _quality(report)
    out += _areas(report)
    out += ["## Resolved rate and cost", ""]
    out += _table(
        [
            "group",
            "trials",
            "tasks",
            "infra",
            "resolved",
            "rate [95% CI over tasks]",
            "quality on resolved [95% CI]",
            "cost/trial",
            "cost/resolved",
            "wall",
        ],
        [
            [
                report.label(g.key),
                str(g.trials),
                str(g.resolved_over_tasks.tasks),
                str(g.infra_errors),
                fmt.rate(g.resolved),
                fmt.over_tasks(g.resolved_over_tasks),
                fmt.quality(g.quality),
                fmt.usd(g.cost_per_trial),
                fmt.usd(g.cost_per_resolved),
                fmt.seconds(g.wall_s),
            ]
            for g in report.groups
        ],
    )
    out += _checks(report) + _passk(report) + _reads(report) + _matrix(report)
    return "\n".join(out)


def _comparisons(report: Report) -> list[str]:
    if not report.comparisons:
        return [fmt.nothing_to_compare(report), ""]
    rows = [
        [
            fmt.comparison(report, c),
            str(len(c.tasks)),
            fmt.uplift(c),
            fmt.tally(c),
            fmt.t_test(c),
            fmt.sign_flip(c),
            fmt.headroom(c),
            f"{fmt.over_tasks(c.baseline_rate)} → {fmt.over_tasks(c.treatment_rate)}",
            fmt.role(c),
        ]
        for c in report.comparisons
    ]
    header = [
        "comparison",
        "tasks",
        "mean per-task difference, pp [95% CI over tasks]",
        "better / worse / tied",
        "paired t p",
        "sign-flip p",
        "headroom",
        "rates on these tasks",
        "",
    ]
    out = _table(header, rows)
    out += [f"> {note}" for c in report.comparisons if (note := fmt.dropped(report, c))]
    out += [""] if any(fmt.dropped(report, c) for c in report.comparisons) else []
    for c in report.comparisons:
        out += _per_task(report, c)
    return out


def _quality(report: Report) -> list[str]:
    """The paired quality comparison: probes passed on resolved trials, per task."""
    if not any(c.quality for c in report.comparisons):
        return []
    out = [
        "## Is the code better?",
        "",
        "Quality probes passed, on resolved trials only (quality never decides resolved).",
        "",
    ]
    rows = [
        [
            fmt.comparison(report, c),
            str(len(c.quality.tasks)) if c.quality else "0",
            fmt.quality_uplift(c.quality),
            fmt.quality_tally(c.quality),
            str(c.quality.dropped) if c.quality else fmt.DASH,
        ]
        for c in report.comparisons
    ]
    out += _table(
        [
            "comparison",
            "tasks",
            "mean per-task difference, pp [95% CI over tasks]",
            "better / worse / tied",
            "left out (a side never resolved)",
        ],
        rows,
    )
    for c in report.comparisons:
        if c.quality and c.quality.tasks:
            per_task = [
                [f"`{d.task_id}`", fmt.pct(d.baseline), fmt.pct(d.treatment), fmt.pp(d.diff)]
                for d in sorted(c.quality.tasks, key=lambda d: d.diff)
            ]
            out += [
                f"<details><summary>quality per task: {fmt.comparison(report, c)}</summary>\n",
                *_table(["task", "baseline", "treatment", "difference"], per_task),
                "</details>",
                "",
            ]
    return out


def _areas(report: Report) -> list[str]:
    """The primary comparison per reference area (descriptive)."""
    if not report.comparisons:
        return []
    c = report.comparisons[0]
    references: dict[str, list[str]] = {}
    for task in report.tasks:
        try:
            references[task] = list(load_task(task).spec.references)
        except HarnessError:
            references[task] = []
    rows = [
        [
            f"`{row.area}`",
            str(len(row.tasks)),
            fmt.difference(row.resolved),
            f"{fmt.difference(row.quality)} ({row.quality_tasks})" if row.quality else fmt.DASH,
        ]
        for row in by_area(c, references)
    ]
    if not rows:
        return []
    return [
        f"### By reference area: {fmt.comparison(report, c)} (descriptive)",
        "",
        "Each area holds the tasks whose `references` cite that file; a task citing several"
        " counts in each. Quality is over the area's tasks both sides resolved (how many in"
        " brackets).",
        "",
        *_table(["area", "tasks", "resolved, pp [95% CI]", "quality, pp [95% CI] (tasks)"], rows),
        "",
    ]


def _per_task(report: Report, c: Comparison) -> list[str]:
    rows = [
        [f"`{d.task_id}`", fmt.rate(d.baseline), fmt.rate(d.treatment), fmt.pp(d.diff)]
        for d in sorted(c.tasks, key=lambda d: d.diff)
    ]
    title = f"<details><summary>per task (descriptive): {fmt.comparison(report, c)}</summary>\n"
    return [title, *_table(["task", "baseline", "treatment", "difference"], rows), "</details>", ""]


def _checks(report: Report) -> list[str]:
    names = [c for c in CHECK_ORDER if any(c in g.checks for g in report.groups)]
    rows = [
        [
            report.label(g.key),
            *(fmt.rate(g.checks[n]) if n in g.checks else fmt.DASH for n in names),
        ]
        for g in report.groups
    ]
    return ["## Checks", "", *_table(["group", *names], rows)]


def _passk(report: Report) -> list[str]:
    ks = sorted({k for g in report.groups for k in g.pass_at})
    rows = [
        [
            report.label(g.key),
            *(f"{fmt.pct(g.pass_at.get(k))} / {fmt.pct(g.pass_hat.get(k))}" for k in ks),
        ]
        for g in report.groups
    ]
    title = "## pass@k / pass^k over epochs"
    note = (
        "Means over the tasks with at least k valid attempts (the task set can shrink as k"
        " grows); descriptive, without intervals."
    )
    return [title, "", note, "", *_table(["group", *(f"k={k}" for k in ks)], rows)]


def _reads(report: Report) -> list[str]:
    paths = sorted({p for g in report.groups for p in g.reference_reads})
    rows = [
        [
            report.label(g.key),
            fmt.pct(g.skill_md_reads.value),
            *(
                fmt.pct(g.reference_reads[p].value) if p in g.reference_reads else "0%"
                for p in paths
            ),
        ]
        for g in report.groups
        if g.key.arm != "baseline"
    ]
    if not rows:
        return []
    header = ["group", "SKILL.md", *(f"`{p}`" for p in paths)]
    return ["## How often the agent opened the skill's files", "", *_table(header, rows)]


def _matrix(report: Report) -> list[str]:
    rows = []
    for task in report.tasks:
        row = [f"`{task}`"]
        for g in report.groups:
            records = report.cells.get((task, g.key), [])
            marks = "".join(
                "⚠" if r.infra_error else ("✅" if r.resolved else "❌") for r in records
            )
            row.append(marks or fmt.DASH)
        rows.append(row)
    header = ["task", *(report.label(g.key) for g in report.groups)]
    legend = "One mark per epoch: ✅ resolved, ❌ not resolved, ⚠ infrastructure failure."
    return ["## Task x group", "", legend, "", *_table(header, rows)]
