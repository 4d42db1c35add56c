"""From trial records to the numbers a report shows.

A *group* is the trials of one (run, model, arm). Infrastructure failures are counted and
listed but left out of every rate, mean and comparison. A *comparison* pairs a baseline group
with a treatment group on the tasks both have valid trials for; tasks only one side has are
listed as dropped, never silently. The task is the unit of inference (see
:mod:`harness.report.stats`): rates carry intervals over tasks, and a comparison is the mean of
per-task differences, each task weighted by its valid trials on the thinner side. The first
comparison is primary; the others are secondary, with Holm-adjusted p-values.

*Quality* is the share of a task's quality probes a solution passes, measured on resolved
trials only: an unresolved solution fails probes for reasons the resolved rate already counts,
and counting them twice would mix the two signals. A group's quality is the mean over tasks of
each task's mean share (tasks weigh the same, as for the resolved rate); a comparison pairs the
tasks where both sides have a resolved trial with probes, weighted by the thinner side.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from harness.report.runs import Run
from harness.report.stats import (
    ClusteredRate,
    PairedDifference,
    clustered_rate_interval,
    holm,
    paired_difference,
    pass_at_k,
    pass_hat_k,
)
from harness.store.models import ARMS, TrialRecord
from harness.task.model import CheckName

CHECK_ORDER: tuple[CheckName, ...] = (
    "tamper",
    "ruff",
    "mypy",
    "layers",
    "tests",
    "suppressions",
    "interference",
    "mutation",
)
SKILL_FILE = "SKILL.md"


class GroupKey(NamedTuple):
    run: str
    model: str
    arm: str


@dataclass(frozen=True)
class Selector:
    """Which groups form one side of a comparison; ``None`` means "any" (or "the same")."""

    arm: str
    model: str | None = None
    run: str | None = None


@dataclass(frozen=True)
class Rate:
    successes: int
    trials: int

    @property
    def value(self) -> float | None:
        return self.successes / self.trials if self.trials else None


@dataclass(frozen=True)
class Tokens:
    input: float
    output: float
    cache_read: float
    cache_write: float


@dataclass(frozen=True)
class Quality:
    """Probe pass share over resolved trials, as a mean over tasks with its 95% interval."""

    mean: float
    ci: tuple[float, float] | None  # None with fewer than two tasks
    tasks: int
    trials: int  # resolved trials whose probes ran


@dataclass(frozen=True)
class QualityDelta:
    task_id: str
    baseline: float
    treatment: float
    trials: tuple[int, int]  # resolved trials measured (baseline, treatment)

    @property
    def diff(self) -> float:
        return self.treatment - self.baseline


@dataclass(frozen=True)
class QualityComparison:
    tasks: list[QualityDelta]  # common tasks with a resolved, measured trial on both sides
    difference: PairedDifference | None
    dropped: int  # common tasks with probes left out: a side resolved none of its trials


@dataclass(frozen=True)
class GroupSummary:
    key: GroupKey
    trials: int
    infra_errors: int
    resolved: Rate
    resolved_over_tasks: ClusteredRate  # the same rate, with its 95% interval over tasks
    checks: dict[str, Rate]
    pass_at: dict[int, float]
    pass_hat: dict[int, float]
    tokens: Tokens | None
    cost_per_trial: float | None
    cost_per_resolved: float | None
    wall_s: float | None
    turns: float | None
    statuses: dict[str, int]
    skill_md_reads: Rate
    reference_reads: dict[str, Rate]
    quality: Quality | None = None


@dataclass(frozen=True)
class TaskDelta:
    task_id: str
    baseline: Rate
    treatment: Rate
    diff: float


@dataclass(frozen=True)
class Comparison:
    """Treatment minus baseline on the tasks both sides have valid trials for."""

    baseline: GroupKey
    treatment: GroupKey
    tasks: list[TaskDelta]  # the common tasks
    difference: PairedDifference | None  # None when no task is common
    baseline_rate: ClusteredRate  # each side's rate on the common tasks
    treatment_rate: ClusteredRate
    dropped: dict[str, str]  # task -> why it is not compared ("no valid baseline trial", ...)
    infra_errors: tuple[int, int]  # (baseline, treatment)
    incomplete: list[str]  # common tasks with infrastructure errors on a side
    headroom: int  # common tasks the baseline did not solve in every valid trial
    primary: bool = True
    p_holm: float | None = None
    quality: QualityComparison | None = None  # secondary comparisons: the paired t p, Holm-adjusted

    def delta(self, task_id: str) -> TaskDelta | None:
        return next((d for d in self.tasks if d.task_id == task_id), None)

    @property
    def uplift(self) -> float | None:
        """The mean per-task difference (weighted), as a fraction: 0.1 is +10 pp."""
        return self.difference.mean if self.difference else None

    @property
    def uplift_ci(self) -> tuple[float, float] | None:
        """Its two-sided 95% t-interval over tasks (None with fewer than two tasks)."""
        return self.difference.ci if self.difference else None

    @property
    def complete(self) -> bool:
        """No infrastructure error and no task missing from a side: fit for a gate."""
        return not self.dropped and self.infra_errors == (0, 0)


@dataclass(frozen=True)
class Report:
    runs: list[Run]
    groups: list[GroupSummary]
    comparisons: list[Comparison]
    tasks: list[str]
    cells: dict[tuple[str, GroupKey], list[TrialRecord]]
    infra: list[tuple[str, TrialRecord]]
    baseline: Selector
    treatment: Selector

    def label(self, key: GroupKey) -> str:
        """A group's name, leaving out parts every group shares (one run, one model), and the
        run when the models already tell the groups apart (an oracle run and a nop run are
        ``oracle / baseline`` and ``nop / baseline``; the header names their runs)."""
        keys = [g.key for g in self.groups]
        several_models = len({k.model for k in keys}) > 1
        told_apart = several_models and len({(k.model, k.arm) for k in keys}) == len(keys)
        parts = []
        if len({k.run for k in keys}) > 1 and not told_apart:
            parts.append(key.run)
        if several_models:
            parts.append(key.model)
        parts.append(key.arm)
        return " / ".join(parts)

    def treatment_groups(self) -> list[GroupSummary]:
        return [g for g in self.groups if _selected(g.key, self.treatment, self.runs)]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _pass_curves(valid: Sequence[TrialRecord]) -> tuple[dict[int, float], dict[int, float]]:
    """pass@k and pass^k for k = 1 .. most attempts at a task, averaged over tasks with >= k."""
    per_task: dict[str, list[bool]] = defaultdict(list)
    for record in valid:
        per_task[record.spec.task_id].append(record.resolved)
    most = max((len(v) for v in per_task.values()), default=0)
    at: dict[int, float] = {}
    hat: dict[int, float] = {}
    for k in range(1, most + 1):
        counts = [(len(v), sum(v)) for v in per_task.values() if len(v) >= k]
        at[k] = sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)
        hat[k] = sum(pass_hat_k(n, c, k) for n, c in counts) / len(counts)
    return at, hat


def _check_rates(valid: Sequence[TrialRecord]) -> dict[str, Rate]:
    passed: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for record in valid:
        for check in record.score.checks if record.score else []:
            seen[check.name] += 1
            passed[check.name] += check.passed
    return {name: Rate(passed[name], seen[name]) for name in CHECK_ORDER if seen[name]}


def _reads(valid: Sequence[TrialRecord]) -> tuple[Rate, dict[str, Rate]]:
    opened: Counter[str] = Counter()
    for record in valid:
        opened.update(set(record.agent.skill_reads))
    n = len(valid)
    references = {p: Rate(c, n) for p, c in sorted(opened.items()) if p != SKILL_FILE}
    return Rate(opened[SKILL_FILE], n), references


def _shares(records: Iterable[TrialRecord]) -> dict[str, list[float]]:
    """Per task, the probe pass share of each valid, resolved trial whose probes ran."""
    shares: dict[str, list[float]] = defaultdict(list)
    for record in records:
        quality = record.score.quality if record.score is not None else None
        if record.infra_error or not record.resolved or quality is None or not quality.probes:
            continue
        shares[record.spec.task_id].append(quality.share)
    return shares


def _quality(valid: Sequence[TrialRecord]) -> Quality | None:
    shares = _shares(valid)
    if not shares:
        return None
    means = [sum(v) / len(v) for v in shares.values()]
    over = paired_difference(means)  # a mean over tasks with its t-interval
    return Quality(
        mean=over.mean,
        ci=over.ci,
        tasks=len(means),
        trials=sum(len(v) for v in shares.values()),
    )


def compare_quality(
    tasks: Sequence[str], base_records: Iterable[TrialRecord], treat_records: Iterable[TrialRecord]
) -> QualityComparison | None:
    """The paired quality difference on the common tasks both sides resolved at least once."""
    base, treat = _shares(base_records), _shares(treat_records)
    measured = [t for t in tasks if t in base or t in treat]
    if not measured:
        return None
    deltas = [
        QualityDelta(
            t,
            sum(base[t]) / len(base[t]),
            sum(treat[t]) / len(treat[t]),
            (len(base[t]), len(treat[t])),
        )
        for t in measured
        if t in base and t in treat
    ]
    difference = (
        paired_difference([d.diff for d in deltas], [min(d.trials) for d in deltas])
        if deltas
        else None
    )
    return QualityComparison(deltas, difference, dropped=len(measured) - len(deltas))


def summarise(key: GroupKey, records: Sequence[TrialRecord]) -> GroupSummary:
    valid = [r for r in records if not r.infra_error]
    resolved = sum(r.resolved for r in valid)
    usage = [r.agent.usage for r in valid]
    total_cost = sum(u.cost_usd for u in usage)
    tokens = (
        Tokens(
            input=sum(u.input_tokens for u in usage) / len(usage),
            output=sum(u.output_tokens for u in usage) / len(usage),
            cache_read=sum(u.cache_read_tokens for u in usage) / len(usage),
            cache_write=sum(u.cache_write_tokens for u in usage) / len(usage),
        )
        if usage
        else None
    )
    pass_at, pass_hat = _pass_curves(valid)
    skill_md, references = _reads(valid)
    per_task: dict[str, list[bool]] = defaultdict(list)
    for record in valid:
        per_task[record.spec.task_id].append(record.resolved)
    return GroupSummary(
        key=key,
        trials=len(records),
        infra_errors=len(records) - len(valid),
        resolved=Rate(resolved, len(valid)),
        resolved_over_tasks=clustered_rate_interval([(sum(v), len(v)) for v in per_task.values()]),
        checks=_check_rates(valid),
        pass_at=pass_at,
        pass_hat=pass_hat,
        tokens=tokens,
        cost_per_trial=_mean([u.cost_usd for u in usage]),
        cost_per_resolved=total_cost / resolved if resolved else None,
        wall_s=_mean([r.agent.wall_s for r in valid]),
        turns=_mean([float(r.agent.turns) for r in valid]),
        statuses=dict(Counter(r.agent.status for r in records)),
        skill_md_reads=skill_md,
        reference_reads=references,
        quality=_quality(valid),
    )


def compare(
    baseline: GroupKey,
    treatment: GroupKey,
    base_records: Iterable[TrialRecord],
    treat_records: Iterable[TrialRecord],
) -> Comparison:
    """Per-task resolved-rate differences on the common tasks, and what they say together."""
    sides = [list(base_records), list(treat_records)]
    by_side: list[dict[tuple[str, int], TrialRecord]] = [
        {(r.spec.task_id, r.spec.epoch): r for r in records if not r.infra_error}
        for records in sides
    ]
    base, treat = by_side
    attempted = [{r.spec.task_id for r in records} for records in sides]
    valid = [{t for t, _ in side} for side in by_side]
    tasks = sorted(valid[0] & valid[1])
    dropped = {
        task: "no valid baseline trial" if task not in valid[0] else "no valid treatment trial"
        for task in sorted((attempted[0] | attempted[1]) - set(tasks))
    }
    infra = [[r.spec.task_id for r in records if r.infra_error] for records in sides]
    deltas = [_delta(task, base, treat) for task in tasks]
    weights = [min(d.baseline.trials, d.treatment.trials) for d in deltas]
    return Comparison(
        baseline=baseline,
        treatment=treatment,
        tasks=deltas,
        difference=paired_difference([d.diff for d in deltas], weights) if deltas else None,
        baseline_rate=clustered_rate_interval([_cell(d.baseline) for d in deltas]),
        treatment_rate=clustered_rate_interval([_cell(d.treatment) for d in deltas]),
        dropped=dropped,
        infra_errors=(len(infra[0]), len(infra[1])),
        incomplete=sorted({t for side in infra for t in side} & set(tasks)),
        headroom=sum(d.baseline.successes < d.baseline.trials for d in deltas),
        quality=compare_quality(tasks, sides[0], sides[1]),
    )


@dataclass(frozen=True)
class AreaRow:
    """A comparison restricted to the tasks that rely on one reference file."""

    area: str  # e.g. caching.md
    tasks: list[str]
    resolved: PairedDifference | None
    quality: PairedDifference | None
    quality_tasks: int


def by_area(c: Comparison, references: dict[str, list[str]]) -> list[AreaRow]:
    """Per reference file (the area a task's ``references`` cite), the paired differences of
    resolved and quality over its tasks: where the skill helps, and where it is behind.
    Descriptive: areas share tasks, and most hold too few for an interval to mean much."""
    areas: dict[str, list[str]] = defaultdict(list)
    for delta in c.tasks:
        for area in dict.fromkeys(r.split("#", 1)[0] for r in references.get(delta.task_id, [])):
            areas[area].append(delta.task_id)
    rows: list[AreaRow] = []
    for area, tasks in sorted(areas.items()):
        deltas = [d for d in c.tasks if d.task_id in tasks]
        weights = [min(d.baseline.trials, d.treatment.trials) for d in deltas]
        quality = [q for q in (c.quality.tasks if c.quality else []) if q.task_id in tasks]
        rows.append(
            AreaRow(
                area=area,
                tasks=tasks,
                resolved=paired_difference([d.diff for d in deltas], weights),
                quality=paired_difference(
                    [q.diff for q in quality], [min(q.trials) for q in quality]
                )
                if quality
                else None,
                quality_tasks=len(quality),
            )
        )
    return rows


def _cell(rate: Rate) -> tuple[int, int]:
    return rate.successes, rate.trials


def _delta(
    task: str, base: dict[tuple[str, int], TrialRecord], treat: dict[tuple[str, int], TrialRecord]
) -> TaskDelta:
    """A task both sides attempted: each side's resolved rate and treatment minus baseline."""
    before, after = _rate(base, task), _rate(treat, task)
    diff = after.successes / after.trials - before.successes / before.trials
    return TaskDelta(task, before, after, diff)


def _rate(side: dict[tuple[str, int], TrialRecord], task: str) -> Rate:
    outcomes = [record.resolved for (task_id, _), record in side.items() if task_id == task]
    return Rate(sum(outcomes), len(outcomes))


def _selected(key: GroupKey, selector: Selector, runs: Sequence[Run]) -> bool:
    if key.arm != selector.arm or selector.model not in (None, key.model):
        return False
    return selector.run is None or any(r.label == key.run and r.matches(selector.run) for r in runs)


def _pairs(
    keys: Sequence[GroupKey], baseline: Selector, treatment: Selector, runs: Sequence[Run]
) -> list[tuple[GroupKey, GroupKey]]:
    """Each baseline group against the treatment group that differs only where asked to."""
    pairs: list[tuple[GroupKey, GroupKey]] = []
    for base in (k for k in keys if _selected(k, baseline, runs)):
        for treat in keys:
            same_run = treatment.run is not None or treat.run == base.run
            same_model = treatment.model is not None or treat.model == base.model
            if treat != base and same_run and same_model and _selected(treat, treatment, runs):
                pairs.append((base, treat))
    return pairs


def _order(runs: Sequence[Run]) -> dict[GroupKey, int]:
    order: dict[GroupKey, int] = {}
    for run in runs:
        models = list(run.manifest.models) + sorted({r.spec.model for r in run.records})
        for model in dict.fromkeys(models):
            for arm in ARMS:
                order.setdefault(GroupKey(run.label, model, arm), len(order))
    return order


def _rank(comparisons: list[Comparison]) -> list[Comparison]:
    """The first comparison is primary; the rest are secondary, with Holm-adjusted p-values."""
    if not comparisons:
        return comparisons
    secondary = comparisons[1:]
    raw = [c.difference.p_t if c.difference and c.difference.p_t is not None else 1.0
           for c in secondary]  # fmt: skip
    adjusted = holm(raw)
    return [comparisons[0]] + [
        replace(c, primary=False, p_holm=p) for c, p in zip(secondary, adjusted, strict=True)
    ]


def build_report(
    runs: Sequence[Run],
    baseline: Selector | None = None,
    treatment: Selector | None = None,
) -> Report:
    baseline = baseline or Selector("baseline")
    treatment = treatment or Selector("skill")
    grouped: dict[GroupKey, list[TrialRecord]] = defaultdict(list)
    cells: dict[tuple[str, GroupKey], list[TrialRecord]] = defaultdict(list)
    infra: list[tuple[str, TrialRecord]] = []
    for run in runs:
        for record in run.records:
            key = GroupKey(run.label, record.spec.model, record.spec.arm)
            grouped[key].append(record)
            cells[(record.spec.task_id, key)].append(record)
            if record.infra_error:
                infra.append((run.label, record))
    order = _order(runs)
    keys = sorted(grouped, key=lambda k: order.get(k, len(order)))
    for records in cells.values():
        records.sort(key=lambda r: r.spec.epoch)
    pairs = _pairs(keys, baseline, treatment, runs)
    comparisons = _rank([compare(b, t, grouped[b], grouped[t]) for b, t in pairs])
    return Report(
        runs=list(runs),
        groups=[summarise(k, grouped[k]) for k in keys],
        comparisons=comparisons,
        tasks=sorted({task for task, _ in cells}),
        cells=dict(cells),
        infra=infra,
        baseline=baseline,
        treatment=treatment,
    )
