"""For tasks where the agent writes tests: they must pass, and fail on every mutant.

Each mutant is an overlay (a deliberately broken implementation) applied to a copy of the scored
workspace; the agent's test files (``mutation.test_paths``) are run against it in the sandbox.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

from harness.scoring.checks.base import ScoringContext, Stopwatch
from harness.scoring.checks.pytest_run import PytestRun, run_pytest
from harness.scoring.result import CheckResult, Finding
from harness.scoring.sandbox import isolation
from harness.task.model import CheckName, Task
from harness.workspace.tree import apply_overlay, copy_tree


def _killed(run: PytestRun) -> bool:
    """A mutant is killed when the tests ran and at least one of them failed."""
    if run.timed_out:
        return True  # a mutant that makes the tests hang is detected, not survived
    return bool(run.cases) and any(c.outcome in ("failed", "error") for c in run.cases)


class MutationCheck:
    name: ClassVar[CheckName] = "mutation"
    can_fail: ClassVar[bool] = True
    mutates: ClassVar[bool] = False

    def applies(self, task: Task) -> bool:
        return task.spec.mutation is not None

    def run(self, ctx: ScoringContext) -> CheckResult:
        watch = Stopwatch()
        spec = ctx.task.spec.mutation
        assert spec is not None
        timeout = ctx.task.spec.time_limits.tests_seconds
        present = [p for p in spec.test_paths if (ctx.workdir / p).is_file()]
        findings: list[Finding] = []
        counts = {"tests": 0, "mutants": len(spec.mutants), "killed": 0}
        if not present:
            return self._result(
                False, f"no tests written at {', '.join(spec.test_paths)}", counts, [], watch
            )
        original = run_pytest(ctx.workdir, ctx.scratch_for("mutation-original"), present, timeout)
        counts["tests"] = len(original.cases)
        failing = [c for c in original.cases if c.outcome != "passed"]
        if original.problem or failing or len(original.cases) < spec.min_tests:
            detail = original.problem or (
                f"{len(failing)} of the agent's tests fail on the correct implementation"
                if failing
                else f"{len(original.cases)} test(s) ran; at least {spec.min_tests} required"
            )
            findings = [Finding(path=c.node_id, code=c.outcome, message=c.message) for c in failing]
            return self._result(False, detail, counts, findings, watch)

        def run_mutant(name: str) -> tuple[str, PytestRun]:
            copy = ctx.scratch_for(f"mutant-{name}") / "repo"
            shutil.rmtree(copy, ignore_errors=True)
            copy_tree(ctx.workdir, copy)
            apply_overlay(ctx.task.mutant_dir(name), copy)
            return name, run_pytest(copy, ctx.scratch_for(f"mutant-{name}"), present, timeout)

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = list(pool.map(run_mutant, spec.mutants))
        for name, run in outcomes:
            if _killed(run):
                counts["killed"] += 1
            else:
                findings.append(
                    Finding(code="survived", message=f"mutant {name!r} survived the agent's tests")
                )
        survived = counts["mutants"] - counts["killed"]
        summary = (
            f"{counts['killed']}/{counts['mutants']} mutants killed by {counts['tests']} tests"
        )
        return self._result(survived == 0, summary, counts, findings, watch)

    def _result(
        self,
        passed: bool,
        summary: str,
        counts: dict[str, int],
        findings: list[Finding],
        watch: Stopwatch,
    ) -> CheckResult:
        return CheckResult(
            name=self.name,
            passed=passed,
            can_fail=True,
            summary=summary,
            counts=counts,
            findings=findings,
            duration_s=watch.elapsed,
            isolation=isolation()[1].description,
        )
