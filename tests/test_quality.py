"""Quality probes: scored apart from resolved, proved by validate, reported with a paired test.

The scoring and validity tests run on a copy of the mini suite whose task gains probes and
recorded alternatives; the report tests build runs with the real run store.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError
from harness.report.aggregate import build_report
from harness.report.failures import failures_digest, probe_misses
from harness.report.markdown import render_markdown
from harness.report.runs import load_runs
from harness.scoring.result import ProbeOutcome, QualityResult
from harness.scoring.scorer import score
from harness.store.models import AgentResult, Arm, RunManifest, TrialRecord, TrialSpec, Usage
from harness.store.run_store import RunStore
from harness.task import Task, load_task
from harness.validity import validate_task
from harness.workspace.diff import tree_diff
from harness.workspace.prepare import apply_solution, build_start

from .conftest import MINI_SUITE
from .test_reports import _score

PRICING = "src/minisvc/domain/pricing.py"
PROBES = """\
from minisvc.domain.pricing import discounted


def test_exact_for_large_totals() -> None:
    total = 10**20 + 1
    assert discounted(total, 33) == total * 67 // 100


def test_error_names_the_percent() -> None:
    try:
        discounted(100, 250)
    except ValueError as exc:
        assert "250" in str(exc)
    else:
        raise AssertionError("no ValueError")
"""
FLOAT_MATH = '''"""Prices in cents."""


def total(prices: list[int]) -> int:
    return sum(prices)


def discounted(total: int, percent: int) -> int:
    if not 0 <= percent <= 100:
        raise ValueError(f"percent must be within 0..100, got {percent}")
    return int(total * (1 - percent / 100))
'''
VAGUE_ERROR = '''"""Prices in cents."""


def total(prices: list[int]) -> int:
    return sum(prices)


def discounted(total: int, percent: int) -> int:
    if not 0 <= percent <= 100:
        raise ValueError("percent out of range")
    return total * (100 - percent) // 100
'''


def _probe(name: str, test: str, fails_on: list[str]) -> dict[str, object]:
    return {
        "name": name,
        "rationale": f"{name}: a property the ticket's context calls for",
        "reference": "domain-driven-design.md#money",
        "test": f"quality_pricing.py::{test}",
        "fails_on": fails_on,
    }


def _suite(tmp_path: Path, probes: list[dict[str, object]], extra: str = "") -> Task:
    """A copy of the mini suite whose task has ``probes`` and two recorded alternatives."""
    root = tmp_path / "suite"
    shutil.copytree(MINI_SUITE, root)
    folder = root / "tasks" / "add-discount"
    (folder / "quality").mkdir()
    (folder / "quality" / "quality_pricing.py").write_text(PROBES + extra)
    start = tmp_path / "start"
    build_start(load_task(folder, root), start)
    (folder / "alternatives").mkdir()
    for name, text in (("float-math", FLOAT_MATH), ("vague-error", VAGUE_ERROR)):
        variant = tmp_path / name
        shutil.copytree(start, variant)
        (variant / PRICING).write_text(text)
        (folder / "alternatives" / f"{name}.patch").write_text(tree_diff(start, variant))
    spec = yaml.safe_load((folder / "task.yaml").read_text())
    spec["quality"] = probes
    spec["time_limits"] = {"tests_seconds": 6}
    (folder / "task.yaml").write_text(yaml.safe_dump(spec))
    return load_task(folder, root)


GOOD = [
    _probe("exact-for-large-totals", "test_exact_for_large_totals", ["float-math"]),
    _probe("error-names-the-percent", "test_error_names_the_percent", ["vague-error"]),
]


def _outcomes(task: Task, workspace: Path) -> dict[str, bool]:
    result = score(task, workspace)
    assert result.quality is not None
    return {p.name: p.passed for p in result.quality.probes}


# --- scoring ----------------------------------------------------------------------------------


def test_probes_are_scored_apart_and_never_decide_resolved(tmp_path: Path) -> None:
    task = _suite(tmp_path, GOOD)
    workspace = tmp_path / "ws"
    build_start(task, workspace)
    (workspace / PRICING).write_text(FLOAT_MATH)
    result = score(task, workspace)
    assert result.resolved  # the ticket is met ...
    assert result.quality is not None  # ... and one probe is missed
    assert {p.name: p.passed for p in result.quality.probes} == {
        "exact-for-large-totals": False,
        "error-names-the-percent": True,
    }
    assert result.quality.share == 0.5
    check = result.check("quality")
    assert check is not None
    assert not check.can_fail
    assert check.counts == {"probes_passed": 1, "probes_total": 2}
    missed = result.quality.probes[0]
    assert missed.reference == "domain-driven-design.md#money"
    assert "assert" in missed.message
    tests = result.check("tests")
    assert tests is not None
    assert tests.counts["hidden_passed"] == 4


def test_a_probe_that_hangs_is_a_missed_probe_not_a_failed_trial(tmp_path: Path) -> None:
    hang = "\n\ndef test_hangs() -> None:\n    import time\n\n    time.sleep(60)\n"
    probes = [*GOOD, _probe("does-not-hang", "test_hangs", ["float-math"])]
    task = _suite(tmp_path, probes, extra=hang)
    workspace = tmp_path / "ws"
    build_start(task, workspace)
    apply_solution(task, workspace)
    result = score(task, workspace)
    assert result.resolved
    assert result.infra_error is None
    assert result.quality is not None
    assert result.quality.passed == 0
    check = result.check("quality")
    assert check is not None
    assert "timed out" in check.summary


def test_the_agent_cannot_plant_its_own_probe(tmp_path: Path) -> None:
    task = _suite(tmp_path, GOOD)
    workspace = tmp_path / "ws"
    build_start(task, workspace)
    (workspace / PRICING).write_text(FLOAT_MATH)
    planted = workspace / "tests" / "hidden" / "quality_pricing.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("def test_exact_for_large_totals() -> None:\n    pass\n")
    assert _outcomes(task, workspace)["exact-for-large-totals"] is False


# --- the task format and validate ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"test": "quality_pricing.py::test_nothing"}, "defines no test_nothing()"),
        ({"test": "quality_other.py::test_x"}, "quality_other.py is missing"),
        ({"fails_on": ["no-such"]}, "field 'fails_on' names 'no-such'"),
        ({"test": "pricing.py::test_x"}, "field 'quality.0.test'"),
    ],
)
def test_probe_mistakes_are_one_line_errors(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    task = _suite(tmp_path, GOOD)
    spec = yaml.safe_load((task.folder / "task.yaml").read_text())
    spec["quality"][0].update(change)
    (task.folder / "task.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(HarnessError, match=r"task\.yaml") as caught:
        load_task(task.folder, task.folder.parent.parent)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_validate_proves_each_probe_can_pass_and_fail(tmp_path: Path) -> None:
    outcome = validate_task(_suite(tmp_path, GOOD), oracle_runs=1)
    assert outcome.probes == 2
    assert outcome.quality_problems == []
    assert outcome.valid


def test_validate_keeps_the_record_of_who_misses_what_true(tmp_path: Path) -> None:
    wrong = [
        # right: float-math misses it
        _probe("exact-for-large-totals", "test_exact_for_large_totals", ["float-math"]),
        # wrong: float-math keeps the message, and vague-error (which misses it) is not listed
        _probe("error-names-the-percent", "test_error_names_the_percent", ["float-math"]),
        # the reference itself misses it
        _probe("rejects-bool", "test_rejects_bool", ["wrong-math"]),
    ]
    extra = (
        "\n\ndef test_rejects_bool() -> None:\n"
        "    try:\n        discounted(100, True)\n    except TypeError:\n        return\n"
        "    raise AssertionError('bool accepted')\n"
    )
    outcome = validate_task(_suite(tmp_path, wrong, extra=extra), oracle_runs=1)
    assert not outcome.valid
    assert sorted(outcome.quality_problems) == sorted(
        [
            "probe 'error-names-the-percent' passes on alternative 'float-math' (fails_on)",
            "alternative 'float-math' fails probe 'rejects-bool', whose fails_on does not list it",
            "alternative 'vague-error' fails probe 'error-names-the-percent',"
            " whose fails_on does not list it",
            "alternative 'vague-error' fails probe 'rejects-bool', whose fails_on does not list it",
            "probe 'rejects-bool' fails on the reference solution: failed: AssertionError:"
            " bool accepted",
        ]
    )


# --- reports ------------------------------------------------------------------------------------


def _trial(task: str, arm: Arm, epoch: int, resolved: bool, passed: list[bool]) -> TrialRecord:
    spec = TrialSpec(
        task_id=task,
        task_hash="h",
        arm=arm,
        agent="claude-code",
        model="m",
        agent_settings={},
        skill_hash=None if arm == "baseline" else "s",
        harness_version="0.2.0",
        epoch=epoch,
    )
    probes = [
        ProbeOutcome(
            name=f"{task}-probe-{i}",
            reference="caching.md#invalidation" if i == 0 else "api-design.md#pagination",
            passed=ok,
            message="" if ok else "AssertionError: stale price served",
        )
        for i, ok in enumerate(passed)
    ]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return TrialRecord(
        key=spec.key(),
        spec=spec,
        agent=AgentResult(
            status="completed",
            turns=3,
            wall_s=10.0,
            usage=Usage(calls=3, cost_usd=0.1),
            skill_reads=["SKILL.md", "references/caching.md"] if arm == "skill" else [],
        ),
        score=_score(task, resolved).model_copy(update={"quality": QualityResult(probes=probes)}),
        started_at=now,
        finished_at=now,
    )


T, F_ = True, False
TRIALS: list[tuple[str, Arm, int, bool, list[bool]]] = [
    # cached-read: both arms resolve; baseline passes 1/2 probes, skill 2/2 then 1/2
    ("cached-read", "baseline", 0, T, [F_, T]),
    ("cached-read", "baseline", 1, T, [F_, T]),
    ("cached-read", "skill", 0, T, [T, T]),
    ("cached-read", "skill", 1, T, [F_, T]),
    # money-type: the baseline's unresolved trial (0/2 probes) must not count
    ("money-type", "baseline", 0, F_, [F_, F_]),
    ("money-type", "baseline", 1, T, [T, T]),
    ("money-type", "skill", 0, T, [T, T]),
    ("money-type", "skill", 1, T, [T, T]),
    # keyset-page: the baseline never resolves: no quality comparison on it
    ("keyset-page", "baseline", 0, F_, [F_, F_]),
    ("keyset-page", "skill", 0, T, [T, F_]),
]


@pytest.fixture
def quality_run(tmp_path: Path) -> Path:
    manifest = RunManifest(
        run_id="run-q",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        harness_version="0.2.0",
        tool_versions={},
        agent="claude-code",
        models=["m"],
        arms=["baseline", "skill"],
        epochs=2,
        tasks={t: "h" for t, *_ in TRIALS},
        skill_hash="s",
        skill_dir=None,
        agent_settings={},
    )
    store = RunStore.create(tmp_path / "run-q", manifest)
    for task, arm, epoch, resolved, passed in TRIALS:
        store.save(_trial(task, arm, epoch, resolved, passed), [], "")
    return tmp_path / "run-q"


def test_quality_is_measured_on_resolved_trials_and_averaged_over_tasks(quality_run: Path) -> None:
    report = build_report(load_runs([quality_run]))
    base, skill = report.groups
    assert base.quality is not None
    assert skill.quality is not None
    # baseline: cached-read 0.5, money-type 1.0 (its unresolved trial left out)
    assert base.quality.mean == pytest.approx(0.75)
    assert (base.quality.tasks, base.quality.trials) == (2, 3)
    # skill: cached-read 0.75, money-type 1.0, keyset-page 0.5
    assert skill.quality.mean == pytest.approx(0.75)
    assert skill.quality.tasks == 3
    misses = probe_misses(load_runs([quality_run])[0])
    assert [
        (m.probe, m.reference, m.tally(False)) for m in misses if m.task_id == "cached-read"
    ] == [("cached-read-probe-0", "caching.md#invalidation", "2/2")]


def test_the_quality_comparison_pairs_tasks_both_sides_resolved(quality_run: Path) -> None:
    (comparison,) = build_report(load_runs([quality_run])).comparisons
    q = comparison.quality
    assert q is not None
    assert q.difference is not None
    assert {d.task_id: d.diff for d in q.tasks} == {"cached-read": 0.25, "money-type": 0.0}
    assert q.dropped == 1  # keyset-page: the baseline resolved none of its trials
    # weighted by the thinner side's resolved trials: cached-read 2, money-type 1
    assert q.difference.mean == pytest.approx((0.25 * 2 + 0.0 * 1) / 3)
    assert (q.difference.better, q.difference.worse, q.difference.tied) == (1, 0, 1)


def test_reports_and_digest_show_quality_by_section(quality_run: Path) -> None:
    runs = load_runs([quality_run])
    markdown = render_markdown(build_report(runs))
    assert "## Is the code better?" in markdown
    assert "| baseline → skill | 2 | +16.7 pp [" in markdown.replace("`run-q` ", "")
    assert "| 1 |" in markdown  # one task left out
    digest = failures_digest(runs[0])
    assert "## Quality probes missed by resolved trials" in digest
    assert (
        "| `caching.md#invalidation` | `cached-read-probe-0` | `cached-read` | 1/2 | 2/2 | 1 |"
        in digest
    )
    assert (
        "| `api-design.md#pagination` | `keyset-page-probe-1` | `keyset-page` | 1/1 | - | 0 |"
        in (digest)
    )
    assert "stale price served" in digest
