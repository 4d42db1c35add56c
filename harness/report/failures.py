"""`skill-eval failures`: what went wrong, grouped by the reference section each task relies on.

The digest leads with the sections ranked by the failures they would explain: first failures
where the skill was available (arms ``skill`` and ``inline``), then all. Each section then lists
its failing trials (scored, not resolved; infrastructure failures are left out), each a link to
its evidence, with whether the agent opened that reference. The evidence of every failing trial
is shown once: failing checks, their findings (multi-line ones fenced), and the start of the
diff. Quality probes that resolved trials missed come last, by section.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from harness.errors import HarnessError
from harness.report.runs import Run
from harness.store.models import ARMS, TrialRecord
from harness.task import load_task

DIFF_EXCERPT_LINES = 30
FINDINGS_PER_CHECK = 8
UNKNOWN = "(task not in the suite)"


@dataclass(frozen=True)
class Section:
    """A reference section (``caching.md#invalidation``) and the failing trials that cite it."""

    reference: str
    failures: tuple[TrialRecord, ...]

    @property
    def path(self) -> str:
        """The reference file inside the skill, as ``skill_reads`` records it."""
        return f"references/{self.reference.split('#', 1)[0]}"

    def was_read(self, record: TrialRecord) -> bool | None:
        """Whether the agent opened the reference; ``None`` when the arm had no skill."""
        if record.spec.arm == "baseline":
            return None
        return self.path in record.agent.skill_reads

    @property
    def with_skill(self) -> int:
        return sum(r.spec.arm != "baseline" for r in self.failures)

    @property
    def read_and_failed(self) -> int:
        return sum(self.was_read(r) is True for r in self.failures)

    @property
    def tasks(self) -> list[str]:
        return sorted({r.spec.task_id for r in self.failures})


def failing(run: Run) -> list[TrialRecord]:
    return [r for r in run.records if not r.infra_error and not r.resolved]


def collect_sections(run: Run) -> list[Section]:
    references: dict[str, list[str]] = {}
    grouped: dict[str, list[TrialRecord]] = defaultdict(list)
    for record in failing(run):
        task = record.spec.task_id
        if task not in references:
            try:
                references[task] = list(load_task(task).spec.references)
            except HarnessError:
                references[task] = [UNKNOWN]
        for reference in references[task]:
            grouped[reference].append(record)
    return [Section(ref, tuple(sorted(rs, key=_order))) for ref, rs in sorted(grouped.items())]


def _order(record: TrialRecord) -> tuple[str, int, str, int]:
    s = record.spec
    return (s.task_id, ARMS.index(s.arm), s.model, s.epoch)


def rank_sections(sections: list[Section]) -> list[Section]:
    """Most failures with the skill available first, then most failures, then by name."""
    return sorted(sections, key=lambda s: (-s.with_skill, -len(s.failures), s.reference))


def _longest_ticks(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)


def _fence(text: str) -> str:
    return "`" * max(3, _longest_ticks(text) + 1)


def _code(text: str) -> str:
    """An inline code span that survives backticks in ``text``."""
    longest = _longest_ticks(text)
    ticks = "`" * (longest + 1)
    return f"{ticks} {text} {ticks}" if longest else f"`{text}`"


def _excerpt(diff: str) -> list[str]:
    lines = diff.splitlines()
    if not lines:
        return ["No diff: the agent changed nothing."]
    more = len(lines) - DIFF_EXCERPT_LINES
    title = f"Diff (first {DIFF_EXCERPT_LINES} of {len(lines)} lines):" if more > 0 else "Diff:"
    text = "\n".join(lines[:DIFF_EXCERPT_LINES])
    text += f"\n... ({more} more lines)" if more > 0 else ""
    fence = _fence(text)
    return [title, "", f"{fence}diff\n{text}\n{fence}"]


def _finding(text: str) -> list[str]:
    """One finding as a list item: inline code, or a fenced block when it spans lines."""
    if "\n" not in text.strip():
        return [f"  - {_code(text.strip())}"]
    fence = _fence(text)
    body = [f"    {line}" if line else "" for line in text.strip("\n").splitlines()]
    return ["  - finding:", "", f"    {fence}text", *body, f"    {fence}", ""]


def anchor(record: TrialRecord) -> str:
    return f"trial-{record.key}"


def title(record: TrialRecord) -> str:
    s = record.spec
    return f"`{s.task_id}` · {s.arm} · {s.model} · epoch {s.epoch}"


def evidence(record: TrialRecord) -> list[str]:
    """The failing checks of a trial and their findings, as Markdown list items."""
    if record.score is None:
        return [f"- not scored (agent {record.agent.status}: {record.agent.detail or 'no detail'})"]
    lines = []
    for check in record.score.checks:
        if check.passed or not check.can_fail:
            continue
        lines.append(f"- **{check.name}** failed: {check.summary}")
        for finding in check.findings[:FINDINGS_PER_CHECK]:
            lines += _finding(finding.render())
        if len(check.findings) > FINDINGS_PER_CHECK:
            lines.append(f"  - ... and {len(check.findings) - FINDINGS_PER_CHECK} more")
    if record.agent.status != "completed":
        lines.append(f"- agent stopped: {record.agent.status} {record.agent.detail}".rstrip())
    return lines or ["- resolved is false but no check failed (see the trial's score)"]


def _read_note(section: Section, record: TrialRecord) -> str:
    read = section.was_read(record)
    if read is None:
        return "n/a (baseline: no skill)"
    return f"yes, opened `{section.path}`" if read else f"**no**, never opened `{section.path}`"


def _section(section: Section) -> list[str]:
    """A section's failing trials, each a link to its evidence (shown once, further down)."""
    out = [
        f"### `{section.reference}`",
        "",
        f"{len(section.failures)} failing trial(s), {section.with_skill} with the skill available, "
        f"{section.read_and_failed} after reading `{section.path}`; "
        f"tasks: {', '.join(f'`{t}`' for t in section.tasks)}.",
        "",
    ]
    for record in section.failures:
        out.append(
            f"- [{title(record)}](#{anchor(record)}): reference read: {_read_note(section, record)}"
        )
    return [*out, ""]


def _trial(record: TrialRecord, run: Run) -> list[str]:
    return [
        f'<a id="{anchor(record)}"></a>',
        "",
        f"### {title(record)}",
        "",
        *evidence(record),
        "",
        *_excerpt(run.store.diff(record.key)),
        "",
    ]


def ranking_table(sections: list[Section]) -> list[str]:
    out = [
        "| rank | section | failures with the skill | all failures | read, still failed | tasks |",
        "|---|---|---|---|---|---|",
    ]
    for rank, s in enumerate(rank_sections(sections), 1):
        out.append(
            f"| {rank} | `{s.reference}` | {s.with_skill} | {len(s.failures)} "
            f"| {s.read_and_failed} | {len(s.tasks)} |"
        )
    return out


@dataclass(frozen=True)
class ProbeMisses:
    """One quality probe on resolved trials: which missed it, grouped under its section."""

    reference: str
    probe: str
    task_id: str
    missed: tuple[tuple[TrialRecord, str], ...]  # (trial, first line of why)
    measured: tuple[TrialRecord, ...]  # resolved trials whose probes ran

    def tally(self, skill: bool) -> str:
        measured = [r for r in self.measured if (r.spec.arm != "baseline") == skill]
        missed = [r for r, _ in self.missed if (r.spec.arm != "baseline") == skill]
        return f"{len(missed)}/{len(measured)}" if measured else "-"

    @property
    def read_and_missed(self) -> int:
        path = f"references/{self.reference.split('#', 1)[0]}"
        return sum(r.spec.arm != "baseline" and path in r.agent.skill_reads for r, _ in self.missed)


def probe_misses(run: Run) -> list[ProbeMisses]:
    """Every probe some resolved trial missed, by section, most missed with the skill first."""
    measured: dict[tuple[str, str, str], list[TrialRecord]] = defaultdict(list)
    missed: dict[tuple[str, str, str], list[tuple[TrialRecord, str]]] = defaultdict(list)
    for record in run.records:
        quality = record.score.quality if record.score is not None else None
        if record.infra_error or not record.resolved or quality is None:
            continue
        for probe in quality.probes:
            key = (probe.reference, probe.name, record.spec.task_id)
            measured[key].append(record)
            if not probe.passed:
                why = next((x.strip() for x in probe.message.splitlines() if x.strip()), "")
                missed[key].append((record, why))
    found = [
        ProbeMisses(ref, name, task, tuple(missed[(ref, name, task)]), tuple(records))
        for (ref, name, task), records in measured.items()
        if missed.get((ref, name, task))
    ]

    def rank(m: ProbeMisses) -> tuple[int, int, str, str]:
        with_skill = sum(r.spec.arm != "baseline" for r, _ in m.missed)
        return (-with_skill, -len(m.missed), m.reference, m.probe)

    return sorted(found, key=rank)


def quality_digest(run: Run) -> list[str]:
    """The quality probes resolved trials missed, grouped by reference section."""
    misses = probe_misses(run)
    if not misses:
        return []
    out = [
        "## Quality probes missed by resolved trials",
        "",
        "Each row is a production property the ticket's context calls for; a resolved solution"
        " met the ticket but missed it. Missed / resolved trials, per arm.",
        "",
        "| section | probe | task | with the skill | baseline | read the section, still missed |",
        "|---|---|---|---|---|---|",
    ]
    for m in misses:
        out.append(
            f"| `{m.reference}` | `{m.probe}` | `{m.task_id}` | {m.tally(True)} | {m.tally(False)}"
            f" | {m.read_and_missed} |"
        )
    out.append("")
    for m in misses:
        out += [f"### `{m.probe}` (`{m.task_id}`, `{m.reference}`)", ""]
        for record, why in m.missed:
            s = record.spec
            out.append(f"- {s.arm} · {s.model} · epoch {s.epoch}: {_code(why[:300] or 'failed')}")
        out.append("")
    return out


def failures_digest(run: Run) -> str:
    records = failing(run)
    valid = [r for r in run.records if not r.infra_error]
    infra = len(run.records) - len(valid)
    out = [f"# What went wrong: run `{run.label}`", ""]
    if infra:
        out += [
            f"> [!WARNING]\n> {infra} trial(s) failed for infrastructure reasons and are left out.",
            "",
        ]
    out += [
        f"{len(records)} failing trial(s) of {len(valid)} scored, "
        f"on {len({r.spec.task_id for r in records})} task(s).",
        "",
    ]
    quality = quality_digest(run)
    if not valid:
        return "\n".join([*out, "No scored trials: nothing to digest.", ""])
    if not records:
        return "\n".join([*out, "No trial failed its ticket.", "", *quality])
    sections = collect_sections(run)
    ranked = rank_sections(sections)
    out += [
        "## Sections most worth improving",
        "",
        "Ranked by the failures each would explain where the skill was available, then by all.",
        "",
        *ranking_table(sections),
        "",
        "## By section",
        "",
        "Each failing trial is listed under every section its task relies on, and its evidence"
        " is shown once, below.",
        "",
    ]
    for section in ranked:
        out += _section(section)
    out += ["## The failing trials", ""]
    for record in sorted(records, key=_order):
        out += _trial(record, run)
    return "\n".join([*out, *quality])
