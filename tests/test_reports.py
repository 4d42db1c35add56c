"""Reports and the failures digest, from run directories built in tmp_path.

The runs are written with the real :class:`RunStore`; the tasks they name live in a copy of the
mini suite, so the reports load prompts and references the way they do on a real run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
import yaml

from harness import cli
from harness.commands import report_cmd
from harness.report import charts, fmt
from harness.report.aggregate import Selector, build_report
from harness.report.failures import collect_sections, failures_digest, rank_sections
from harness.report.html import render_html, transcript_entries
from harness.report.markdown import render_markdown
from harness.report.runs import load_runs
from harness.scoring.result import CheckResult, Finding, ScoreResult
from harness.store.models import AgentResult, Arm, RunManifest, TrialRecord, TrialSpec, Usage
from harness.store.run_store import RunStore

MINI_SUITE = Path(__file__).parent / "data" / "suite"
CHROMIUM = Path("/usr/bin/chromium")
# A developer machine may lack Chromium; CI installs it (.ci/run), so there a missing browser
# fails the test instead of skipping it.
NEEDS_CHROMIUM = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI") != "true",
    reason="needs /usr/bin/chromium (apt-get install chromium)",
)
Outcome = Literal["pass", "fail", "infra"]

# task id -> the reference sections its spec names
TASKS = {
    "cached-read": ["caching.md#invalidation"],
    "money-type": ["domain-driven-design.md#money"],
    "keyset-page": ["api-design.md#pagination", "database-patterns.md#keyset-pagination"],
    "retry-client": ["caching.md#invalidation", "architecture-patterns.md#ports"],
}


@pytest.fixture(autouse=True)
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The mini suite with one copy of its task per entry of TASKS."""
    root = tmp_path / "suite"
    shutil.copytree(MINI_SUITE / "fixture", root / "fixture")
    for task_id, references in TASKS.items():
        folder = root / "tasks" / task_id
        shutil.copytree(MINI_SUITE / "tasks" / "add-discount", folder)
        spec = yaml.safe_load((folder / "task.yaml").read_text())
        spec.update(id=task_id, references=references, prompt=f"{task_id}: {spec['prompt']}")
        (folder / "task.yaml").write_text(yaml.safe_dump(spec))
    monkeypatch.setenv("SKILL_EVAL_SUITE", str(root))
    return root


def _score(task_id: str, resolved: bool) -> ScoreResult:
    failing = [] if resolved else ["tests", "layers"]
    findings = {
        "tests": [
            Finding(
                path="tests/hidden/test_x.py::test_invalidates_on_write",
                code="hidden:failed",
                message="AssertionError: assert 'stale' == 'fresh'",
            )
        ],
        "layers": [
            Finding(
                path="src/minisvc/domain/pricing.py",
                line=3,
                code="domain-is-pure",
                message="minisvc.domain.pricing -> sqlalchemy (l.3)",
            )
        ],
        "ruff": [],
    }
    checks = [
        CheckResult(
            name=name,
            passed=name not in failing,
            can_fail=True,
            summary="ok" if name not in failing else f"{name} failed",
            findings=findings[name] if name in failing else [],
        )
        for name in ("ruff", "layers", "tests")
    ]
    return ScoreResult(
        task_id=task_id,
        task_hash="h",
        harness_version="0.1.0",
        resolved=resolved,
        checks=checks,
        duration_s=1.0,
        workspace="/tmp/ws",
    )


def _record(
    task_id: str, arm: Arm, epoch: int, outcome: Outcome, model: str, reads: list[str]
) -> TrialRecord:
    spec = TrialSpec(
        task_id=task_id,
        task_hash="h",
        arm=arm,
        agent="claude-code",
        model=model,
        agent_settings={},
        skill_hash=None if arm == "baseline" else "s",
        harness_version="0.1.0",
        epoch=epoch,
    )
    cost = {"baseline": 0.10, "skill": 0.14, "inline": 0.20}[arm]
    now = datetime(2025, 1, 1, tzinfo=UTC)
    return TrialRecord(
        key=spec.key(),
        spec=spec,
        agent=AgentResult(
            status="infra_error" if outcome == "infra" else "completed",
            detail="API overloaded" if outcome == "infra" else "",
            turns=12,
            wall_s=60.0,
            usage=Usage(
                calls=12,
                input_tokens=20_000,
                output_tokens=3_000,
                cache_read_tokens=50_000,
                cache_write_tokens=4_000,
                cost_usd=cost,
            ),
            skill_reads=[] if arm == "baseline" else reads,
        ),
        score=None if outcome == "infra" else _score(task_id, outcome == "pass"),
        started_at=now,
        finished_at=now,
        diff_lines=3,
    )


TRANSCRIPT: list[dict[str, Any]] = [
    {"role": "user", "content": "Fix it <please>"},
    {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Reading the cache module."},
            {"type": "tool_use", "id": "t1", "name": "read_file", "input": {"path": "src/x.py"}},
        ],
    },
    {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "SECRET_TOOL_OUTPUT"}],
    },
]
DIFF = "--- a/src/x.py\n+++ b/src/x.py\n@@ -1 +1 @@\n-old = 1\n+new = '<script>'\n"

RunSpec = dict[tuple[str, Arm], list[Outcome]]


def make_run(
    root: Path,
    outcomes: RunSpec,
    *,
    run_id: str = "run-a",
    models: tuple[str, ...] = ("claude-test",),
    reads: list[str] | None = None,
    diff: str = DIFF,
) -> Path:
    """A run directory holding one trial per (task, arm, epoch) outcome."""
    arms = sorted({arm for _, arm in outcomes})
    epochs = max(len(v) for v in outcomes.values())
    manifest = RunManifest(
        run_id=run_id,
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        harness_version="0.1.0",
        tool_versions={},
        agent="claude-code",
        models=list(models),
        arms=[a for a in ("baseline", "skill", "inline") if a in arms],
        epochs=epochs,
        tasks={task: "h" for task, _ in outcomes},
        skill_hash="s",
        skill_dir=None,
        agent_settings={},
    )
    store = RunStore.create(root, manifest)
    for model in models:
        for (task, arm), results in outcomes.items():
            for epoch, outcome in enumerate(results):
                record = _record(task, arm, epoch, outcome, model, reads or ["SKILL.md"])
                store.save(record, TRANSCRIPT, diff)
    return root


P: Outcome = "pass"
F: Outcome = "fail"
X: Outcome = "infra"
STANDARD: RunSpec = {
    ("cached-read", "baseline"): [F, F, F],
    ("cached-read", "skill"): [P, P, F],
    ("money-type", "baseline"): [P, F, P],
    ("money-type", "skill"): [P, P, P],
    ("keyset-page", "baseline"): [F, F, F],
    ("keyset-page", "skill"): [P, X, F],
    ("retry-client", "baseline"): [P, P, P],
    ("retry-client", "skill"): [P, P, P],
}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run-a", STANDARD, reads=["SKILL.md", "references/caching.md"])


Cli = Callable[..., int]


@pytest.fixture
def skill_eval(monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`harness.cli.main`, with a parser holding just the report verbs."""

    def parser() -> argparse.ArgumentParser:
        built = argparse.ArgumentParser(prog="skill-eval")
        report_cmd.register(built.add_subparsers(dest="command", required=True))
        return built

    monkeypatch.setattr(cli, "build_parser", parser)

    def run(*argv: str | Path) -> int:
        return cli.main([str(a) for a in argv])

    return run


# --- aggregation ----------------------------------------------------------------------------


def test_infra_errors_are_counted_apart_and_left_out_of_rates(run_dir: Path) -> None:
    report = build_report(load_runs([run_dir]))
    baseline, skill = report.groups
    assert (baseline.trials, baseline.infra_errors) == (12, 0)
    assert (skill.trials, skill.infra_errors) == (12, 1)
    # skill: cached 2/3, money 3/3, keyset 1/2 (one infra), retry 3/3 -> 9 of 11 valid
    assert (skill.resolved.successes, skill.resolved.trials) == (9, 11)
    assert (baseline.resolved.successes, baseline.resolved.trials) == (5, 12)
    assert skill.checks["tests"].trials == 11
    assert skill.cost_per_trial == pytest.approx(0.14)
    assert skill.cost_per_resolved == pytest.approx(0.14 * 11 / 9)
    assert skill.tokens is not None
    assert skill.tokens.cache_read == 50_000
    assert report.infra[0][1].spec.task_id == "keyset-page"


def test_pass_at_k_and_pass_hat_k_average_over_tasks_with_enough_epochs(run_dir: Path) -> None:
    skill = build_report(load_runs([run_dir])).groups[1]
    # k=1: mean of 2/3, 3/3, 1/2, 3/3 = 0.791667
    assert skill.pass_at[1] == pytest.approx((2 / 3 + 1 + 1 / 2 + 1) / 4)
    # k=3 leaves out keyset-page (2 valid trials): pass@3 = 1, 1, 1; pass^3 = 0, 1, 1
    assert skill.pass_at[3] == pytest.approx(1.0)
    assert skill.pass_hat[3] == pytest.approx(2 / 3)
    # k=2: pass^2 = C(2,2)/C(3,2)=1/3, 1, C(1,2)/C(2,2)=0, 1 -> 7/12
    assert skill.pass_hat[2] == pytest.approx((1 / 3 + 1 + 0 + 1) / 4)


def test_reads_of_skill_md_and_each_reference(run_dir: Path) -> None:
    baseline, skill = build_report(load_runs([run_dir])).groups
    assert skill.skill_md_reads.value == 1.0
    assert skill.reference_reads["references/caching.md"].value == 1.0
    assert baseline.skill_md_reads.successes == 0


def test_the_comparison_is_over_common_tasks_weighted_by_valid_trials(run_dir: Path) -> None:
    (c,) = build_report(load_runs([run_dir])).comparisons
    diffs = {d.task_id: d.diff for d in c.tasks}
    # cached 2/3 - 0, money 1 - 2/3, keyset 1/2 - 0 (infra trial left out), retry 1 - 1
    assert diffs == pytest.approx(
        {"cached-read": 2 / 3, "money-type": 1 / 3, "keyset-page": 1 / 2, "retry-client": 0.0}
    )
    # weights min(n_B, n_T) = 3, 3, 2, 3: (3*2/3 + 3*1/3 + 2*1/2 + 0) / 11 = 4/11
    assert c.uplift == pytest.approx(4 / 11)
    d = c.difference
    assert d is not None
    assert (d.better, d.worse, d.tied) == (3, 0, 1)
    # signed weighted terms 2, 1, 1: only the all-equal sign patterns reach |4|: 2 of 8
    assert d.p_sign == pytest.approx(0.25)
    assert c.uplift_ci is not None
    assert c.uplift_ci[0] < 4 / 11 < c.uplift_ci[1]
    assert c.infra_errors == (0, 1)
    assert c.incomplete == ["keyset-page"]
    assert not c.complete
    assert c.headroom == 3  # the baseline always solved retry-client only
    assert c.primary


def test_two_runs_compare_one_arm_across_runs(run_dir: Path, tmp_path: Path) -> None:
    worse: RunSpec = {key: [F, F, F] for key in STANDARD if key[1] == "skill"}
    run_b = make_run(tmp_path / "run-b", worse, run_id="run-b")
    report = build_report(
        load_runs([run_dir, run_b]),
        Selector("skill", run="run-a"),
        Selector("skill", run=str(run_b)),
    )
    (c,) = report.comparisons
    assert (c.baseline.run, c.treatment.run) == ("run-a", "run-b")
    # weights 3, 3, 2 (run-a's keyset-page has 2 valid trials), 3
    assert c.uplift == pytest.approx(-(3 * 2 / 3 + 3 + 2 * 1 / 2 + 3) / 11)
    assert report.label(c.treatment) == "run-b / skill"


def test_two_models_in_one_run_are_compared_model_against_model(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", STANDARD, models=("model-a", "model-b"))
    runs = load_runs([run])
    per_model = build_report(runs)
    assert [(c.baseline.model, c.treatment.model) for c in per_model.comparisons] == [
        ("model-a", "model-a"),
        ("model-b", "model-b"),
    ]
    (c,) = build_report(
        runs, Selector("skill", "model-a"), Selector("skill", "model-b")
    ).comparisons
    assert (c.uplift, len(c.tasks)) == (0.0, 4)


def test_the_same_run_twice_gets_distinct_labels(run_dir: Path) -> None:
    assert [r.label for r in load_runs([run_dir, run_dir])] == ["run-a", "run-a#2"]


# --- renderers --------------------------------------------------------------------------------


def test_markdown_leads_with_infra_warning_and_answers_the_question(run_dir: Path) -> None:
    text = render_markdown(build_report(load_runs([run_dir])))
    assert text.index("Infrastructure failures") < text.index("## Does the skill help?")
    assert "1 of 24 trials failed for infrastructure reasons" in text
    assert "| baseline → skill | 4 | +36.4 pp [" in text
    assert "| 3 / 0 / 1 |" in text
    assert "| 0.250 | 3/4 |" in text  # the sign-flip p and the headroom
    assert "| skill | 12 | 4 | 1 | 82% (9/11) |" in text
    assert "keyset-page" in text.split("## Resolved rate")[0]  # lost trials are named
    assert "95% CI over tasks" in text
    assert "| `keyset-page` | ❌❌❌ | ✅⚠❌ |" in text
    assert "`references/caching.md`" in text


def test_html_is_self_contained_with_matrix_svg_and_escaped_trial_details(run_dir: Path) -> None:
    report = build_report(load_runs([run_dir]))
    page = render_html(report)
    assert page.count("<svg") == 3  # uplift, resolved rate, cost scatter
    assert 'id="matrix"' in page
    for records in report.cells.values():
        for r in records:
            assert page.count(f'href="#t-run-a-{r.key}"') >= 1
            assert f'id="t-run-a-{r.key}"' in page
    assert "keyset-page: Add `minisvc.domain.pricing.discounted" in page  # the task's prompt
    assert "<summary>tool call: read_file</summary>" in page
    assert "SECRET_TOOL_OUTPUT" in page
    assert "AssertionError: assert &#39;stale&#39; == &#39;fresh&#39;" in page
    assert "minisvc.domain.pricing -&gt; sqlalchemy (l.3)" in page
    assert "+new = &#39;&lt;script&gt;&#39;" in page
    assert "Fix it &lt;please&gt;" in page
    assert "<script" not in page
    assert "<link" not in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "Infrastructure failures" in page


# --- the command line -------------------------------------------------------------------------


def test_report_prints_terminal_tables(
    run_dir: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert skill_eval("report", run_dir) == 0
    out = capsys.readouterr().out
    assert "infrastructure failures" in out
    assert "+36.4 pp" in out
    assert "3 / 0 / 1" in out
    assert "CI over" in out  # the header wraps in an 80-column terminal
    assert "headroom 3/4 tasks" in out
    assert "keyset-page" in out  # the task that lost a trial is named


def _demo(tmp_path: Path, name: str, tasks: dict[str, tuple[list[Outcome], list[Outcome]]]) -> Path:
    """A run of many tasks: (baseline outcomes, skill outcomes) per task."""
    spec: RunSpec = {}
    for task, (base, skill) in tasks.items():
        spec[(task, "baseline")] = base
        spec[(task, "skill")] = skill
    return make_run(tmp_path / name, spec, run_id=name)


def _demo_a(tmp_path: Path) -> Path:
    """The review's Demo A: 4 of 23 tasks go 0/3 -> 3/3, 19 tie (at 2/3)."""
    tasks = {f"gain-{i}": ([F, F, F], [P, P, P]) for i in range(4)}
    tasks |= {f"tie-{i}": ([P, P, F], [P, F, P]) for i in range(19)}
    return _demo(tmp_path, "demo-a", tasks)


@pytest.mark.parametrize(
    ("gate", "code", "says"),
    [
        # mean +17.4 pp, 95% CI [+0.6, +34.2]; one-sided lower bound +3.5 pp
        (["--min-uplift", "0"], 0, ""),
        (["--min-uplift", "10"], 1, "one-sided 95% lower bound +3.5 pp is below +10.0 pp"),
        (["--max-regression", "5"], 0, ""),
        # skill: 4 tasks at 3/3, 19 at 2/3: 50/69 = 72%; one-sided lower bound over tasks 62.5%
        (["--fail-under", "0.6"], 0, ""),
        (["--fail-under", "0.7"], 1, "one-sided 95% lower bound 62.5% is below 70%"),
    ],
)
def test_gates_decide_on_bounds_over_tasks(
    tmp_path: Path,
    skill_eval: Cli,
    capsys: pytest.CaptureFixture[str],
    gate: list[str],
    code: int,
    says: str,
) -> None:
    assert skill_eval("report", _demo_a(tmp_path), "--format", "markdown", *gate) == code
    out = capsys.readouterr().out
    assert ("gate failed" in out) == bool(code)
    assert says in out
    if code:
        assert "95%" in out  # every message prints the interval it decided on


def test_a_point_estimate_above_the_bar_is_not_enough(
    tmp_path: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """The mean is +17.4 pp, over a +15 pp bar; the lower bound is not, so the gate fails."""
    assert skill_eval("report", _demo_a(tmp_path), "--min-uplift", "15") == 1


def test_gates_refuse_incomplete_data(
    run_dir: Path, tmp_path: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    # the standard run lost one skill trial to the infrastructure
    for gate in (["--min-uplift", "0"], ["--fail-under", "0.1"], ["--max-regression", "50"]):
        assert skill_eval("report", run_dir, "--format", "markdown", *gate) == 2
        assert "gate cannot decide" in capsys.readouterr().out
    # the review's Demo D: the skill arm's 3 hardest tasks are all infrastructure errors
    tasks = {f"hard-{i}": ([F, F, F], [X, X, X]) for i in range(3)}
    tasks |= {f"easy-{i}": ([P, P, F], [P, P, F]) for i in range(9)}
    assert skill_eval("report", _demo(tmp_path, "demo-d", tasks), "--fail-under", "0.6") == 2
    out = capsys.readouterr().out
    assert "infrastructure error" in out


def test_a_ceiling_cannot_pass_a_gate(
    tmp_path: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """The review's Demo C: every task ties; that is no information, not a precise zero."""
    tasks = {f"solved-{i}": ([P, P, P], [P, P, P]) for i in range(20)}
    run = _demo(tmp_path, "demo-c", tasks)
    assert skill_eval("report", run, "--min-uplift", "0") == 2
    out = capsys.readouterr().out
    assert "no informative tasks" in out


def test_gate_on_a_missing_arm_is_a_user_error(
    run_dir: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert skill_eval("report", run_dir, "--treatment-arm", "inline", "--min-uplift", "1") == 2
    assert capsys.readouterr().err == (
        "skill-eval: error: --treatment-arm inline: no trial has that arm (arms: baseline, skill)\n"
    )


def test_a_side_naming_no_given_run_is_a_user_error(
    run_dir: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert skill_eval("report", run_dir, "--baseline-run", "nope") == 2
    assert capsys.readouterr().err == (
        "skill-eval: error: --baseline-run nope: not one of the runs given (run-a)\n"
    )


def test_the_same_run_given_twice_is_counted_once(
    run_dir: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert skill_eval("report", run_dir, run_dir, "--format", "markdown") == 0
    out = capsys.readouterr().out
    assert "#2" not in out
    assert out.count("- run `run-a`") == 1


def test_fail_under_takes_a_rate_or_a_percentage(
    run_dir: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    for percent, rate in (("60%", "0.6"), ("10%", "0.1")):
        code = skill_eval("report", run_dir, "--fail-under", percent)
        as_percent = capsys.readouterr()
        assert skill_eval("report", run_dir, "--fail-under", rate) == code
        assert capsys.readouterr() == as_percent  # the same gate, the same words
    with pytest.raises(SystemExit) as exited:
        skill_eval("report", run_dir, "--fail-under", "160%")
    assert exited.value.code == 2
    assert "160% is not a rate between 0 and 1" in capsys.readouterr().err


def test_bad_run_dir_is_a_one_line_error(
    tmp_path: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert skill_eval("report", tmp_path / "nope") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not a run directory" in err


def test_out_is_written_atomically_and_never_over_a_directory(
    run_dir: Path, tmp_path: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports" / "report.html"
    assert skill_eval("report", run_dir, "--format", "html", "--out", out) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temporary left
    assert out.stat().st_mode & 0o044  # readable by others, unlike a mkstemp file
    assert skill_eval("report", run_dir, "--out", tmp_path / "reports") == 2
    assert "is a directory" in capsys.readouterr().err
    text_out = tmp_path / "report.txt"
    assert skill_eval("report", run_dir, "--out", text_out) == 0
    assert "\x1b[" not in text_out.read_text()
    assert "baseline → skill" in text_out.read_text()


# --- failures digest ---------------------------------------------------------------------------

FAILING: RunSpec = {
    ("cached-read", "skill"): [F, F, P],
    ("cached-read", "baseline"): [F],
    ("keyset-page", "skill"): [F, P, P],
    ("keyset-page", "baseline"): [F, F, F],
    ("money-type", "skill"): [P],
    ("money-type", "baseline"): [F],
    ("retry-client", "skill"): [F, X],
    ("retry-client", "baseline"): [P],
}
LONG_DIFF = "".join(f"+line {i}\n" for i in range(50))


@pytest.fixture
def failing_run(tmp_path: Path) -> Path:
    reads = ["SKILL.md", "references/caching.md"]
    return make_run(tmp_path / "failing", FAILING, reads=reads, diff=LONG_DIFF)


def test_failures_are_grouped_by_reference_and_ranked(failing_run: Path) -> None:
    (run,) = load_runs([failing_run])
    ranked = rank_sections(collect_sections(run))
    # caching: cached-read skill x2 + baseline x1, retry-client skill x1 -> 3 with skill, 4 in all
    # api/database (keyset): skill x1 + baseline x3; ports (retry): skill x1; money: baseline x1
    assert [(s.reference, s.with_skill, len(s.failures)) for s in ranked] == [
        ("caching.md#invalidation", 3, 4),
        ("api-design.md#pagination", 1, 4),
        ("database-patterns.md#keyset-pagination", 1, 4),
        ("architecture-patterns.md#ports", 1, 1),
        ("domain-driven-design.md#money", 0, 1),
    ]
    assert ranked[0].read_and_failed == 3
    assert ranked[1].read_and_failed == 0


def test_failures_digest_shows_the_evidence(failing_run: Path) -> None:
    (run,) = load_runs([failing_run])
    text = failures_digest(run)
    assert "1 trial(s) failed for infrastructure reasons" in text
    assert "9 failing trial(s) of 14 scored, on 4 task(s)" in text
    # the ranking comes first, then the sections, then each trial's evidence once
    ranking = text.index("## Sections most worth improving")
    assert ranking < text.index("## By section") < text.index("## The failing trials")
    ranked = text[ranking : text.index("## By section")]
    assert ranked.index("caching.md#invalidation") < ranked.index("domain-driven-design.md")
    assert "| 1 | `caching.md#invalidation` | 3 | 4 | 3 | 2 |" in ranked
    caching = text[text.index("### `caching.md#invalidation`") : text.index("### `api-design.md")]
    links = [line for line in caching.splitlines() if line.startswith("- [`")]
    assert len(links) == 4
    assert all("](#trial-" in line for line in links)
    assert "yes, opened `references/caching.md`" in caching
    assert "n/a (baseline: no skill)" in caching
    api = text[text.index("### `api-design.md") : text.index("### `database-patterns")]
    assert "**no**, never opened `references/api-design.md`" in api
    trials = text[text.index("## The failing trials") :]
    assert trials.count('<a id="trial-') == 9  # once each, though cited by several sections
    for link in links:
        target = link.split("](#", 1)[1].split(")", 1)[0]
        assert f'<a id="{target}"></a>' in trials
    assert trials.count("Diff (first 30 of 50 lines):") == 9
    assert "**tests** failed: tests failed" in trials
    assert "AssertionError: assert 'stale' == 'fresh'" in trials
    assert "minisvc.domain.pricing -> sqlalchemy (l.3)" in trials
    assert "+line 29\n... (20 more lines)" in trials
    assert "+line 30" not in trials


def test_a_multi_line_finding_is_fenced_not_squeezed_into_a_code_span() -> None:
    from harness.report.failures import evidence

    record = _record("cached-read", "skill", 0, "fail", "m", [])
    assert record.score is not None
    tests = record.score.check("tests")
    assert tests is not None
    traceback = "def test_x():\n>   assert price == 'fresh'\nE   AssertionError"
    multi = Finding(path="tests/hidden/test_x.py::test_x", code="hidden:failed", message=traceback)
    checks = [c.model_copy(update={"findings": [multi]}) if c.name == "tests" else c
              for c in record.score.checks]  # fmt: skip
    record = record.model_copy(update={"score": record.score.model_copy(update={"checks": checks})})
    lines = evidence(record)
    start = lines.index("    ```text")
    assert lines[start - 2] == "  - finding:"
    assert lines[start + 1] == "    tests/hidden/test_x.py::test_x: [hidden:failed] def test_x():"
    assert lines[start + 2] == "    >   assert price == 'fresh'"
    assert lines[start + 4] == "    ```"


class _FakeMessagesAPI(BaseHTTPRequestHandler):
    """A scripted Messages API: records each request and answers with one text block."""

    requests: ClassVar[list[tuple[str, dict[str, str], dict[str, Any]]]] = []
    reply: ClassVar[str] = ""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        headers = {k.lower(): v for k, v in self.headers.items()}
        type(self).requests.append((self.path, headers, body))
        payload = json.dumps(
            {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": type(self).reply}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 100, "output_tokens": 50},
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def messages_api() -> Iterator[str]:
    _FakeMessagesAPI.requests = []
    server = HTTPServer(("127.0.0.1", 0), _FakeMessagesAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


PATCH = (
    "--- a/references/caching.md\n+++ b/references/caching.md\n@@ -1,3 +1,4 @@\n"
    " ## Invalidation\n \n+Delete the key after the commit, never before.\n"
    " Invalidate on every write.\n"
)


def test_propose_drafts_a_patch_through_the_messages_api(
    failing_run: Path,
    tmp_path: Path,
    messages_api: str,
    skill_eval: Cli,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pack = tmp_path / "pack"
    (pack / "skill").mkdir(parents=True)
    (pack / "skill" / "SKILL.md").write_text("# Skill\n")
    (pack / "references").mkdir()
    (pack / "references" / "caching.md").write_text(
        "# Caching\n\n## Invalidation\n\nInvalidate on every write.\n\n## Serialisation\n\nJSON.\n"
    )
    _FakeMessagesAPI.reply = f"Say when to invalidate.\n\n```diff\n{PATCH}```\n"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", messages_api)
    patch = tmp_path / "proposal.patch"
    digest = tmp_path / "digest.md"
    argv = ["failures", failing_run, "--out", digest, "--propose", "--model", "claude-fake"]
    code = skill_eval(*argv, "--sections", "1", "--root", pack, "--patch", patch)
    assert code == 0
    assert patch.read_text() == PATCH
    assert digest.read_text().startswith("# What went wrong")
    assert "nothing was applied" in capsys.readouterr().out
    ((path, headers, body),) = _FakeMessagesAPI.requests
    assert path == "/v1/messages"
    credential = headers.get("x-api-key") or headers.get("authorization", "")
    assert credential.endswith("test-key")  # ANTHROPIC_API_KEY, however this SDK sends it
    assert body["model"] == "claude-fake"
    prompt = body["messages"][0]["content"]
    assert "## Invalidation\n\nInvalidate on every write." in prompt
    assert "## Serialisation" not in prompt  # only the cited section
    assert "AssertionError: assert 'stale' == 'fresh'" in prompt
    assert (pack / "references" / "caching.md").read_text().count("Delete the key") == 0


def test_propose_without_credentials_is_a_one_line_error(
    failing_run: Path,
    tmp_path: Path,
    skill_eval: Cli,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ANTHROPIC_CONFIG_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no profile on disk either
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    argv = ["failures", failing_run, "--out", tmp_path / "d.md", "--propose", "--model", "m"]
    root = Path(__file__).parents[1]
    assert skill_eval(*argv, "--sections", "1", "--root", root) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "ANTHROPIC_API_KEY" in err


def test_propose_needs_a_model(
    failing_run: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert skill_eval("failures", failing_run, "--propose") == 2
    assert "--propose needs --model" in capsys.readouterr().err


# --- the page in a real browser ----------------------------------------------------------------


@NEEDS_CHROMIUM
def test_html_renders_in_headless_chromium(run_dir: Path, tmp_path: Path) -> None:
    report = build_report(load_runs([run_dir]))
    page = tmp_path / "report.html"
    page.write_text(render_html(report))
    shot = tmp_path / "report.png"
    first = report.cells[("cached-read", report.groups[1].key)][0]
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1240,2400",
            f"--screenshot={shot}",
            f"{page.as_uri()}#t-run-a-{first.key}",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 50_000  # a blank page of this size compresses to a few kB


def test_long_transcripts_are_clipped_to_a_budget() -> None:
    big = {"type": "tool_result", "tool_use_id": "t", "content": "x" * 10_000}
    messages: list[dict[str, Any]] = [{"role": "user", "content": [big]} for _ in range(40)]
    entries = transcript_entries(messages, budget=20_000)
    assert all(len(e.body) < 4_100 for e in entries)
    assert entries[-1].title == "transcript clipped"
    assert entries[-1].body.startswith(f"{40 - len(entries) + 1} more entries")


def test_an_incomplete_run_is_said_and_cannot_pass_a_gate(
    tmp_path: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = dict(STANDARD)
    spec[("keyset-page", "skill")] = [P, F, F]
    spec[("retry-client", "skill")] = [P]  # two of its epochs never ran
    run = make_run(tmp_path / "partial", spec, run_id="partial")
    text = render_markdown(build_report(load_runs([run])))
    assert "**Incomplete run.** run partial holds 22 of 24 planned trials" in text
    assert skill_eval("report", run, "--format", "markdown", "--min-uplift", "0") == 2
    assert "holds 22 of 24 planned trials" in capsys.readouterr().out
    page = render_html(build_report(load_runs([run])))
    assert "Incomplete run: run partial holds 22 of 24 planned trials" in page
    assert skill_eval("report", run) == 0  # the terminal says it too, in a panel
    assert "run partial holds 22 of 24 planned trials" in capsys.readouterr().out


def test_markdown_breaks_the_primary_comparison_down_by_reference_area(run_dir: Path) -> None:
    markdown = render_markdown(build_report(load_runs([run_dir])))
    rows = [line for line in markdown.splitlines() if line.startswith("| `") and ".md` |" in line]
    none = fmt.DASH  # no quality probes in these runs
    assert rows == [
        f"| `api-design.md` | 1 | +50.0 pp (one task: no interval) | {none} |",
        f"| `architecture-patterns.md` | 1 | no informative tasks (all 1 tied) | {none} |",
        f"| `caching.md` | 2 | +33.3 pp [-390.2, +456.9] | {none} |",
        f"| `database-patterns.md` | 1 | +50.0 pp (one task: no interval) | {none} |",
        f"| `domain-driven-design.md` | 1 | +33.3 pp (one task: no interval) | {none} |",
    ]


def test_compare_writes_each_side_as_run_model_arm(
    run_dir: Path, tmp_path: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    # the same run, both arms: the report's primary comparison, with fewer flags
    assert skill_eval("compare", run_dir, run_dir, "--format", "markdown") == 0
    short = capsys.readouterr().out
    assert skill_eval("report", run_dir, "--format", "markdown") == 0
    full = capsys.readouterr().out
    line = "| baseline → skill | 4 |"
    assert line in short
    assert [x for x in short.splitlines() if x.startswith(line)] == [
        x for x in full.splitlines() if x.startswith(line)
    ]
    # two one-arm runs: each side's arm is its run's only arm
    other = make_run(
        tmp_path / "run-b", {("cached-read", "skill"): [P, P], ("money-type", "skill"): [P, P]},
        run_id="run-b",
    )  # fmt: skip
    only_base = make_run(
        tmp_path / "run-c",
        {("cached-read", "baseline"): [F, F], ("money-type", "baseline"): [P, F]},
        run_id="run-c",
    )
    assert skill_eval("compare", only_base, other, "--format", "markdown") == 0
    out = capsys.readouterr().out
    assert "| run-c / baseline → run-b / skill | 2 | +75.0 pp [" in out
    # an arm the run does not have is named, with the arms it has
    assert skill_eval("compare", f"{only_base}::skill", other) == 2
    assert capsys.readouterr().err == (
        f"skill-eval: error: BASELINE {only_base}::skill: no trial has arm 'skill'"
        " (arms: baseline)\n"
    )


# --- two runs side by side: labels, widths, the comparison of two agents -----------------------

ONE_ARM: RunSpec = {
    ("cached-read", "baseline"): [P, P],
    ("money-type", "baseline"): [P, F],
    ("keyset-page", "baseline"): [F, F],
    ("retry-client", "baseline"): [P, P],
}


def _agent_runs(tmp_path: Path) -> tuple[Path, Path]:
    """The review's probe 52/53: an oracle run and a nop run, one arm each, long run ids."""
    oracle = make_run(tmp_path / "20261129-132308-oracle", ONE_ARM,
                      run_id="20261129-132308-oracle", models=("oracle",))  # fmt: skip
    nothing = {key: [F] * len(v) for key, v in ONE_ARM.items()}
    nop = make_run(tmp_path / "20261129-132400-nop", nothing,
                   run_id="20261129-132400-nop", models=("nop",))  # fmt: skip
    return oracle, nop


def test_labels_leave_out_the_run_when_the_models_tell_groups_apart(
    run_dir: Path, tmp_path: Path
) -> None:
    oracle, nop = _agent_runs(tmp_path)
    report = build_report(load_runs([oracle, nop]))
    assert [report.label(g.key) for g in report.groups] == ["oracle / baseline", "nop / baseline"]
    # the same model in two runs: only the run tells them apart, so it stays
    other = make_run(tmp_path / "run-b", STANDARD, run_id="run-b")
    both = build_report(load_runs([run_dir, other]))
    assert {both.label(g.key) for g in both.groups} == {
        "run-a / baseline", "run-a / skill", "run-b / baseline", "run-b / skill",
    }  # fmt: skip


def test_terminal_tables_keep_labels_and_task_ids_whole(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from harness.report.terminal import render_terminal

    oracle, nop = _agent_runs(tmp_path)
    report = build_report(load_runs([oracle, nop]))
    for width in (100, 140):
        buffer = io.StringIO()
        render_terminal(report, Console(file=buffer, width=width, no_color=True))
        rows = buffer.getvalue().splitlines()
        assert sum("│ oracle / baseline " in row for row in rows) >= 4  # every group table
        assert any(row.startswith("│ cached-read ") for row in rows)  # the matrix's task column
        assert not any("…" in row for row in rows)


def test_report_in_a_log_is_as_wide_as_its_tables(
    tmp_path: Path,
    skill_eval: Cli,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Output that is not a terminal used to be folded at 80 columns (probe 61)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    oracle, nop = _agent_runs(tmp_path)
    assert skill_eval("report", oracle, nop) == 0
    out = capsys.readouterr().out
    header = "run 20261129-132308-oracle  agent claude-code  models oracle  arms baseline  epochs 2"
    assert header in out
    assert any("95% CI over tasks" in line for line in out.splitlines())  # a header on one line


def test_compare_two_agents_needs_only_their_runs(
    tmp_path: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probe 53: nop against oracle took five flags; a side's only model is now its model."""
    oracle, nop = _agent_runs(tmp_path)
    assert skill_eval("compare", nop, oracle, "--format", "markdown") == 0
    out = capsys.readouterr().out
    assert "| nop / baseline → oracle / baseline | 4 | +" in out
    assert skill_eval("compare", f"{nop}:gpt:baseline", oracle) == 2
    assert capsys.readouterr().err == (
        f"skill-eval: error: BASELINE {nop}:gpt:baseline: no trial has model 'gpt' (models: nop)\n"
    )


def test_two_one_arm_runs_report_what_they_hold_and_how_to_compare_them(
    tmp_path: Path, skill_eval: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """No skill arm anywhere: the default sides find nothing, which is no error; the report
    says which sides it looked for and lists the ones it could compare."""
    oracle, nop = _agent_runs(tmp_path)
    assert skill_eval("report", oracle, nop, "--format", "markdown") == 0
    out = capsys.readouterr().out
    assert (
        "Nothing to compare: no task has trials on both sides (baseline: arm baseline;"
        f" treatment: arm skill). The runs hold {oracle}:oracle:baseline, {nop}:nop:baseline;"
        " compare two with: skill-eval compare RUN:MODEL:ARM RUN:MODEL:ARM."
    ) in out
    # an arm given by hand must exist (probe 32)
    assert skill_eval("report", oracle, nop, "--treatment-arm", "skil") == 2
    assert "--treatment-arm skil: no trial has that arm (arms: baseline)" in capsys.readouterr().err


# --- the HTML at scale: overlapping points, labels that fit, failing trials only ----------------


def _svg_boxes(svg: str) -> tuple[list[tuple[float, float]], list[charts.Box]]:
    """The circles' centres and the label boxes of a scatter chart."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    centres = [(float(c.get("cx", 0)), float(c.get("cy", 0))) for c in root.iter(f"{ns}circle")]
    boxes = [
        charts.Box(*(float(r.get(k, 0)) for k in ("x", "y", "width", "height")))
        for r in root.iter(f"{ns}rect")
        if r.get("class") == "label-box"
    ]
    return centres, boxes


def test_points_at_the_same_place_are_set_apart_and_labels_never_overprint() -> None:
    same = [charts.Point(f"run-{i} / claude-sonnet-4-6 / skill", "skill", 0.0, 1.0)
            for i in range(6)]  # fmt: skip
    same += [charts.Point(f"group {i}", "baseline", 0.12, 0.5) for i in range(4)]
    svg = str(charts.cost_scatter(same))
    centres, boxes = _svg_boxes(svg)
    assert len(centres) == len(boxes) == 10
    r = charts.POINT_RADIUS
    for i, (x, y) in enumerate(centres):
        for other in centres[i + 1 :]:
            assert math.dist((x, y), other) >= 2 * r  # no two points overprint
    for i, box in enumerate(boxes):
        assert not any(box.intersects(other) for other in boxes[i + 1 :])
        assert not any(box.intersects(charts.Box(x - r, y - r, 2 * r, 2 * r)) for x, y in centres)
    for point in same:
        assert f">{point.label}</text>" in svg
    width = float(svg.split('width="', 1)[1].split('"', 1)[0])
    assert all(box.x >= 0 and box.x + box.w <= width for box in boxes)  # inside the chart
    assert str(charts.cost_scatter(same)) == svg  # deterministic


def test_a_point_with_room_stays_at_its_value() -> None:
    svg = str(charts.cost_scatter([charts.Point("a", "skill", 0.5, 0.5),
                                   charts.Point("b", "baseline", 1.0, 1.0)]))  # fmt: skip
    centres, _ = _svg_boxes(svg)
    # x: 50 + 300 * cost / (1.15 * the largest cost); y: 14 + 200 * (1 - rate)
    assert centres[0] == pytest.approx((50 + 300 * 0.5 / 1.15, 114), abs=0.1)
    assert centres[1] == pytest.approx((50 + 300 / 1.15, 14), abs=0.1)


def test_bar_labels_have_room_left_of_the_bars() -> None:
    long = "20261129-132308-oracle / claude-sonnet-4-6 / baseline"
    svg = str(charts.rate_chart([charts.RateBar(long, "baseline", 0.5, 0.2, 0.8)]))
    x = float(svg.split(f'text-anchor="end" >{long}', 1)[0].rsplit('x="', 1)[1].split('"')[0])
    assert x - charts.CHAR_WIDTH * len(long) >= 0


def test_html_offers_failing_trials_only_without_a_script(run_dir: Path) -> None:
    import re

    page = render_html(build_report(load_runs([run_dir])))
    assert '<input type="checkbox" id="failing-only">' in page
    assert '<label for="failing-only">Failing trials only</label>' in page
    assert "#failing-only:checked ~ table.trials tr.pass" in page
    assert "#failing-only:checked ~ table.matrix tr.all-pass" in page
    control = page.index('id="failing-only"')
    assert control < page.index('<table class="matrix">') < page.index('<table class="trials">')
    trials = page[page.index('<table class="trials">') :]
    trials = trials[: trials.index("</table>")]
    rows = re.findall(r'<tr class="(\w+)"><td class="l"><a href="#(t-[^"]+)">', trials)
    # STANDARD: 24 trials; 14 resolved, 9 not resolved, 1 infrastructure failure
    assert sorted(Counter(state for state, _ in rows).items()) == [
        ("fail", 9), ("infra", 1), ("pass", 14),
    ]  # fmt: skip
    assert all(f'id="{target}"' in page for _, target in rows)  # each opens its trial
    matrix = page[page.index('<table class="matrix">') : page.index('<table class="trials">')]
    assert re.findall(r'<tr class="all-pass"><td class="l">([\w-]+)</td>', matrix) == [
        "retry-client"
    ]
    assert "<script" not in page


@NEEDS_CHROMIUM
def test_a_report_of_two_runs_fits_1280_px_its_wide_tables_scroll_in_their_box(
    run_dir: Path, tmp_path: Path
) -> None:
    """Probe 56: the page never scrolls sideways at 1280 px; long labels, many references."""
    reads = ["SKILL.md", *(f"references/a-long-reference-name-{i}.md" for i in range(12))]
    long_id = "20261129-132308-claude-sonnet-4-6-skill-second-edition"
    other = make_run(tmp_path / long_id, STANDARD, run_id=long_id, reads=reads)
    page = render_html(build_report(load_runs([run_dir, other])))
    probe = (
        "<script>document.body.setAttribute('data-scroll-width',"
        " document.documentElement.scrollWidth)</script>"
    )
    measured = tmp_path / "measure.html"
    measured.write_text(page.replace("</body>", probe + "</body>"))
    dom = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
         "--dump-dom", measured.as_uri()],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    width = int(dom.split('data-scroll-width="', 1)[1].split('"', 1)[0])
    assert width <= 1280
    assert "a-long-reference-name-11.md" in page  # the wide table is there, in its box
