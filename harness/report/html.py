"""The report as one self-contained HTML file: inline CSS and SVG, no scripts, no network.

The task x group matrix and the trials table link each trial to its detail section, shown by
the CSS ``:target`` selector: the prompt, the transcript (tool calls folded), the diff and each
check's findings. A checkbox, also pure CSS, narrows both to the failing trials.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from harness.errors import HarnessError
from harness.report import charts, fmt
from harness.report.aggregate import CHECK_ORDER, Report
from harness.report.runs import Run
from harness.store.models import TrialRecord
from harness.task import load_task

MAX_BLOCK = 4000
MAX_TRANSCRIPT_CHARS = 60_000
MAX_DIFF_LINES = 2000


@dataclass(frozen=True)
class Entry:
    """One piece of a transcript: ``text`` is shown, ``tool_use``/``tool_result`` are folded."""

    kind: str
    role: str
    title: str
    body: str


@dataclass(frozen=True)
class TrialView:
    anchor: str
    run: str
    group: str
    record: TrialRecord
    prompt: str
    transcript: list[Entry]
    diff: list[tuple[str, str]]


def anchor(run: str, key: str) -> str:
    return "t-" + re.sub(r"[^A-Za-z0-9_-]", "-", f"{run}-{key}")


def _clip(text: str, limit: int = MAX_BLOCK) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more chars)"


def _block_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) if isinstance(b, dict) else str(b) for b in content)
    return json.dumps(content, indent=1, default=str)


def _blocks(content: Any) -> list[Any]:
    return content if isinstance(content, list) else [{"type": "text", "text": content}]


def _entry(role: str, block: Any) -> Entry:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text":
        return Entry("text", role, role, _clip(_block_text(block.get("text"))))
    if kind == "tool_use":
        body = json.dumps(block.get("input", {}), indent=1, default=str)
        return Entry("tool_use", role, f"tool call: {block.get('name')}", _clip(body))
    if kind == "tool_result":
        error = " (error)" if block.get("is_error") else ""
        body = _clip(_block_text(block.get("content", "")))
        return Entry("tool_result", role, f"tool result{error}", body)
    return Entry("other", role, str(kind or "message"), _clip(json.dumps(block, default=str)))


def transcript_entries(
    messages: list[dict[str, Any]], budget: int = MAX_TRANSCRIPT_CHARS
) -> list[Entry]:
    """Anthropic-style messages (``role`` + text or content blocks) as display entries.

    Each block is clipped, and the whole stops after ``budget`` characters, so a report over
    hundreds of trials stays a file a browser opens; the full transcript stays in the run.
    """
    entries: list[Entry] = []
    blocks = [
        (str(m.get("role", "?")), block) for m in messages for block in _blocks(m.get("content"))
    ]
    used = 0
    for index, (role, block) in enumerate(blocks):
        if used > budget:
            note = f"{len(blocks) - index} more entries: see the run's transcript.json"
            entries.append(Entry("text", "note", "transcript clipped", note))
            break
        entry = _entry(role, block)
        used += len(entry.body)
        entries.append(entry)
    return entries


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each line of a unified diff with a CSS class: add, del, hunk, meta or ctx."""
    lines = diff.splitlines()
    shown: list[tuple[str, str]] = []
    for line in lines[:MAX_DIFF_LINES]:
        if line.startswith(("+++", "---", "diff ", "index ")):
            css = "meta"
        elif line.startswith("@@"):
            css = "hunk"
        else:
            css = {"+": "add", "-": "del"}.get(line[:1], "ctx")
        shown.append((css, line))
    if len(lines) > MAX_DIFF_LINES:
        shown.append(("meta", f"… {len(lines) - MAX_DIFF_LINES} more lines"))
    return shown


def _prompts(report: Report) -> dict[str, str]:
    prompts: dict[str, str] = {}
    for task in report.tasks:
        try:
            prompts[task] = load_task(task).spec.prompt
        except HarnessError as exc:
            prompts[task] = f"(prompt unavailable: {exc})"
    return prompts


def _trial_views(report: Report) -> list[TrialView]:
    prompts = _prompts(report)
    runs: dict[str, Run] = {r.label: r for r in report.runs}
    views = []
    for (task, key), records in sorted(report.cells.items()):
        store = runs[key.run].store
        for record in records:
            views.append(
                TrialView(
                    anchor=anchor(key.run, record.key),
                    run=key.run,
                    group=report.label(key),
                    record=record,
                    prompt=prompts[task],
                    transcript=transcript_entries(store.transcript(record.key)),
                    diff=diff_lines(store.diff(record.key)),
                )
            )
    return views


def _charts(report: Report) -> dict[str, Any]:
    valid = [g for g in report.groups if g.resolved.value is not None]
    bars = [
        charts.RateBar(
            report.label(g.key), g.key.arm, g.resolved.value or 0.0, *g.resolved_over_tasks.ci
        )
        for g in valid
    ]
    points = [
        charts.Point(report.label(g.key), g.key.arm, g.cost_per_trial, g.resolved.value or 0.0)
        for g in valid
        if g.cost_per_trial is not None
    ]
    uplift = [
        charts.uplift_chart(
            [(d.task_id, d.diff) for d in sorted(c.tasks, key=lambda d: -d.diff)],
            c.uplift,
            c.uplift_ci,
        )
        if c.uplift is not None and c.uplift_ci is not None
        else None
        for c in report.comparisons
    ]
    return {
        "rates": charts.rate_chart(bars) if bars else None,
        "scatter": charts.cost_scatter(points) if points else None,
        "uplift": uplift,
    }


def trial_state(record: TrialRecord) -> str:
    """``pass``, ``fail`` or ``infra``: a trial's CSS class in the matrix and the trials table."""
    return "infra" if record.infra_error else "pass" if record.resolved else "fail"


def render_html(report: Report) -> str:
    env = Environment(
        loader=PackageLoader("harness.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("report.html.j2")
    checks = [c for c in CHECK_ORDER if any(c in g.checks for g in report.groups)]
    return template.render(
        report=report,
        fmt=fmt,
        anchor=anchor,
        state=trial_state,
        charts=_charts(report),
        checks=checks,
        ks=sorted({k for g in report.groups for k in g.pass_at}),
        references=sorted({p for g in report.groups for p in g.reference_reads}),
        trials=_trial_views(report),
        failing_tasks={
            task for (task, _), rs in report.cells.items() if any(not r.resolved for r in rs)
        },
        warning=fmt.infra_warning(report),
        incomplete=fmt.incomplete_warning(report),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        colours=charts.ARM_COLOURS,
    )
