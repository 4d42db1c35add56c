"""The hidden tests (fail-to-pass) and the starting repository's visible tests (pass-to-pass)."""

from __future__ import annotations

from typing import ClassVar

from harness.scoring import jail
from harness.scoring.checks.base import ScoringContext, Stopwatch
from harness.scoring.checks.pytest_run import PytestRun, TestCase, expected_tests, run_pytest
from harness.scoring.checks.tamper import HIDDEN_TESTS_DIR
from harness.scoring.result import CheckResult, Finding
from harness.scoring.sandbox import isolation, jail_available
from harness.task.model import CheckName, Task

Key = tuple[str, str | None, str]


def _tally(
    expected: set[Key], cases: list[TestCase], kind: str
) -> tuple[dict[str, int], list[Finding]]:
    by_key: dict[Key, list[TestCase]] = {}
    for case in cases:
        by_key.setdefault((case.module, case.cls, case.function), []).append(case)
    counts = {f"{kind}_{o}": 0 for o in ("passed", "failed", "error", "skipped", "missing")}
    findings: list[Finding] = []
    for key in sorted(expected, key=lambda k: (k[0], k[1] or "", k[2])):
        module, cls, function = key
        ran = by_key.get(key, [])
        if not ran:
            counts[f"{kind}_missing"] += 1
            node = "::".join(p for p in (module.replace(".", "/") + ".py", cls, function) if p)
            findings.append(Finding(path=node, code=f"{kind}:missing", message="did not run"))
            continue
        for case in ran:
            counts[f"{kind}_{case.outcome}"] += 1
            if case.outcome != "passed":
                findings.append(
                    Finding(
                        path=case.node_id,
                        code=f"{kind}:{case.outcome}",
                        message=case.message or case.outcome,
                    )
                )
    return counts, findings


def collection_errors(run: PytestRun, expected: set[Key]) -> list[Finding]:
    """Failing reported cases that match no expected test: collection errors and the like."""
    return [
        Finding(path=case.node_id, code=f"collect:{case.outcome}", message=case.message)
        for case in run.cases
        if (case.module, case.cls, case.function) not in expected and case.outcome != "passed"
    ]


class TestsCheck:
    name: ClassVar[CheckName] = "tests"
    can_fail: ClassVar[bool] = True
    mutates: ClassVar[bool] = False

    def applies(self, task: Task) -> bool:
        return True

    def run(self, ctx: ScoringContext) -> CheckResult:
        watch = Stopwatch()
        root = ctx.workdir
        visible = list(ctx.baseline.visible_tests)
        hidden = sorted(
            p.relative_to(root).as_posix() for p in (root / HIDDEN_TESTS_DIR).rglob("test_*.py")
        )
        expected_visible = {k for path in visible for k in expected_tests(root, path)}
        expected_hidden = {k for path in hidden for k in expected_tests(root, path)}
        run = run_pytest(
            root,
            ctx.scratch_for("tests"),
            visible + hidden,
            timeout_s=ctx.task.spec.time_limits.tests_seconds,
        )
        counts_h, findings_h = _tally(expected_hidden, run.cases, "hidden")
        counts_v, findings_v = _tally(expected_visible, run.cases, "visible")
        stray = collection_errors(run, expected_hidden | expected_visible)
        findings = findings_h + findings_v + stray
        counts = {**counts_h, **counts_v, "reported": len(run.cases)}
        problems: list[str] = []
        if run.problem:
            problems.append(run.problem)
        if not run.cases and not run.problem:
            problems.append("zero tests ran")
        if not expected_hidden and ctx.task.spec.mutation is None:
            problems.append("no hidden tests were found to run")
        if findings:
            problems.append(
                f"{len(findings)} test(s) did not pass"
                f" ({counts_h['hidden_passed']}/{sum(counts_h.values())} hidden and"
                f" {counts_v['visible_passed']}/{sum(counts_v.values())} visible passed)"
            )
        if problems:
            findings.append(Finding(code="output", message=run.output_tail[-1500:]))
        summary = (
            "; ".join(problems)
            if problems
            else f"{counts_h['hidden_passed']} hidden and {counts_v['visible_passed']} visible"
            " tests passed"
        )
        return CheckResult(
            name=self.name,
            passed=not problems,
            can_fail=True,
            summary=summary,
            counts=counts,
            findings=findings,
            duration_s=watch.elapsed,
            isolation=(jail.strength() if jail_available() else isolation()[1].description)
            + ("; pytest forked from the warm zygote" if run.warm else "; pytest started fresh"),
        )
