"""Quality probes: production properties the ticket's context calls for, measured apart.

Each probe is one test in the task's ``quality/`` folder, installed beside the hidden tests. The
probes run in a pytest session of their own, so a probe that hangs or crashes cannot touch the
hidden tests' verdict; the check never fails a trial (``can_fail`` is false): ``resolved`` is
decided by what the ticket demands, and quality is reported beside it.
"""

from __future__ import annotations

from typing import ClassVar

from harness.scoring.checks.base import ScoringContext, Stopwatch
from harness.scoring.checks.pytest_run import run_pytest
from harness.scoring.checks.tamper import HIDDEN_TESTS_DIR
from harness.scoring.result import CheckResult, Finding, ProbeOutcome
from harness.task.model import CheckName, Task


def probe_outcomes(task: Task, check: CheckResult | None) -> list[ProbeOutcome] | None:
    """Each probe's outcome read back from the quality check's findings (None: not measured)."""
    if check is None or check.error is not None or not task.spec.quality:
        return None
    failed = {
        (f.code or "").removeprefix("probe:"): f.message
        for f in check.findings
        if (f.code or "").startswith("probe:")
    }
    return [
        ProbeOutcome(
            name=p.name,
            reference=p.reference,
            passed=p.name not in failed,
            message=failed.get(p.name, ""),
        )
        for p in task.spec.quality
    ]


class QualityCheck:
    name: ClassVar[CheckName] = "quality"
    can_fail: ClassVar[bool] = False
    mutates: ClassVar[bool] = False

    def applies(self, task: Task) -> bool:
        return bool(task.spec.quality)

    def run(self, ctx: ScoringContext) -> CheckResult:
        watch = Stopwatch()
        probes = ctx.task.spec.quality
        files = sorted({f"{HIDDEN_TESTS_DIR}/{p.file}" for p in probes})
        run = run_pytest(
            ctx.workdir,
            ctx.scratch_for("quality"),
            files,
            timeout_s=ctx.task.spec.time_limits.tests_seconds,
        )
        outcomes: dict[tuple[str, str], list[str]] = {}
        for case in run.cases:
            module = case.module.rpartition(".")[2] + ".py"
            outcomes.setdefault((module, case.function), []).append(
                "" if case.outcome == "passed" else f"{case.outcome}: {case.message}"
            )
        findings: list[Finding] = []
        for probe in probes:
            results = outcomes.get((probe.file, probe.function))
            if not results:
                why = run.problem or "the probe did not run"
            else:
                why = next((r for r in results if r), "")
            if why:
                findings.append(
                    Finding(
                        path=f"{HIDDEN_TESTS_DIR}/{probe.test}",
                        code=f"probe:{probe.name}",
                        message=why.strip()[:800] or "failed",
                    )
                )
        passed = len(probes) - len(findings)
        return CheckResult(
            name=self.name,
            passed=not findings,
            can_fail=False,
            summary=f"{passed}/{len(probes)} quality probes passed"
            + (f" ({run.problem})" if run.problem else ""),
            counts={"probes_passed": passed, "probes_total": len(probes)},
            findings=findings,
            duration_s=watch.elapsed,
        )
