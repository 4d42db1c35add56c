"""From trial records to the numbers a report shows.

A *group* is the trials of one (run, model, arm). Infrastructure failures (``agent.status ==
"infra_error"``) are counted and listed but left out of every rate, mean and comparison.
A *comparison* pairs a baseline group with a treatment group on the tasks both attempted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from harness.report.runs import Run
from harness.report.stats import (
    mcnemar_exact,
    paired_bootstrap_ci,
    pass_at_k,
    pass_hat_k,
    wilson_interval,
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

    @property
    def ci(self) -> tuple[float, float]:
        """Wilson 95% interval."""
        return wilson_interval(self.successes, self.trials)


@dataclass(frozen=True)
class Tokens:
    input: float
    output: float
    cache_read: float
    cache_write: float


@dataclass(frozen=True)
class GroupSummary:
    key: GroupKey
    trials: int
    infra_errors: int
    resolved: Rate
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


@dataclass(frozen=True)
class TaskDelta:
    task_id: str
    baseline: Rate
    treatment: Rate
    diff: float


@dataclass(frozen=True)
class Comparison:
    baseline: GroupKey
    treatment: GroupKey
    tasks: list[TaskDelta]
    uplift: float | None
    uplift_ci: tuple[float, float] | None
    pairs: int
    baseline_only: int
    treatment_only: int

    def delta(self, task_id: str) -> TaskDelta | None:
        return next((d for d in self.tasks if d.task_id == task_id), None)

    @property
    def p_value(self) -> float:
        """Exact McNemar p on matched (task, epoch) trials where exactly one side resolved."""
        return mcnemar_exact(self.baseline_only, self.treatment_only)


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
        """A group's name, leaving out parts every group shares (one run, one model)."""
        parts = []
        if len({g.key.run for g in self.groups}) > 1:
            parts.append(key.run)
        if len({g.key.model for g in self.groups}) > 1:
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
    return GroupSummary(
        key=key,
        trials=len(records),
        infra_errors=len(records) - len(valid),
        resolved=Rate(resolved, len(valid)),
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
    )


def compare(
    baseline: GroupKey,
    treatment: GroupKey,
    base_records: Iterable[TrialRecord],
    treat_records: Iterable[TrialRecord],
    seed: int = 0,
) -> Comparison:
    """Per-task resolved-rate differences, their mean with a bootstrap CI, and McNemar counts."""
    by_side: list[dict[tuple[str, int], TrialRecord]] = [
        {(r.spec.task_id, r.spec.epoch): r for r in records if not r.infra_error}
        for records in (base_records, treat_records)
    ]
    base, treat = by_side
    tasks = sorted({t for t, _ in base} & {t for t, _ in treat})
    deltas = [_delta(task, base, treat) for task in tasks]
    diffs = [d.diff for d in deltas]
    matched = [(base[k].resolved, treat[k].resolved) for k in base.keys() & treat.keys()]
    return Comparison(
        baseline=baseline,
        treatment=treatment,
        tasks=deltas,
        uplift=_mean(diffs),
        uplift_ci=paired_bootstrap_ci(diffs, seed=seed) if diffs else None,
        pairs=len(matched),
        baseline_only=sum(b and not t for b, t in matched),
        treatment_only=sum(t and not b for b, t in matched),
    )


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


def build_report(
    runs: Sequence[Run],
    baseline: Selector | None = None,
    treatment: Selector | None = None,
    seed: int = 0,
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
    comparisons = [compare(b, t, grouped[b], grouped[t], seed) for b, t in pairs]
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
