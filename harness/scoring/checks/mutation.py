"""For tasks where the agent writes tests: they must pass, fail on every mutant, and pass on
every behaviour-preserving rewrite.

Each mutant is an overlay (a deliberately broken implementation) applied to a copy of the scored
workspace; the agent's test files (``mutation.test_paths``) are run against it in the jail,
which shows the copy at the original's path, so a test cannot tell a mutant from the original
by where it runs. Each equivalent is an overlay that changes how the code is written and
nothing it does: tests that fail on one check the text or shape of the code (a checksum of the
module, its source lines), not its behaviour, and would kill any mutant for the wrong reason.
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

        def run_variant(kind: str, name: str) -> tuple[str, PytestRun]:
            scratch = ctx.scratch_for(f"{kind}-{name}")
            copy = scratch / "repo"
            shutil.rmtree(copy, ignore_errors=True)
            copy_tree(ctx.workdir, copy)
            overlay = (
                ctx.task.mutant_dir(name) if kind == "mutant" else ctx.task.equivalent_dir(name)
            )
            apply_overlay(overlay, copy)
            return name, run_pytest(ctx.workdir, scratch, present, timeout, view=copy)

        with ThreadPoolExecutor(max_workers=2) as pool:
            rewrites = list(pool.map(lambda n: run_variant("equivalent", n), spec.equivalents))
            outcomes = list(pool.map(lambda n: run_variant("mutant", n), spec.mutants))
        counts["equivalents"] = len(rewrites)
        brittle = [(name, run) for name, run in rewrites if run.problem or _killed(run)]
        if brittle:
            for name, run in brittle:
                failed = [c.node_id for c in run.cases if c.outcome != "passed"]
                findings.append(
                    Finding(
                        code="brittle",
                        message=f"fails on {name!r}, a rewrite that keeps every behaviour:"
                        f" {', '.join(failed[:5]) or run.problem}",
                    )
                )
            detail = (
                f"the tests fail on {len(brittle)} behaviour-preserving rewrite(s): they check how"
                " the code is written, not what it does"
            )
            return self._result(False, detail, counts, findings, watch)
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
