"""Task validity: the start is clean, the oracle always passes, nop fails, negatives are caught,
and the hidden tests are ruff and mypy --strict clean."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from harness.scoring.baseline import ensure_baseline
from harness.scoring.checks.base import Baseline
from harness.scoring.checks.static import ToolError, copy_cache, mypy_findings, ruff_findings
from harness.scoring.checks.tamper import HIDDEN_TESTS_DIR
from harness.scoring.result import Finding, ScoreResult
from harness.scoring.scorer import install_hidden_tests, score
from harness.task.model import Task
from harness.workspace.prepare import apply_negative, apply_patch, apply_solution, build_start


@dataclass
class NegativeOutcome:
    name: str
    rejected_by: str
    rejected: bool
    failed_checks: list[str]


@dataclass
class TaskValidity:
    task_id: str
    start_problems: list[str] = field(default_factory=list)
    oracle: list[bool] = field(default_factory=list)
    oracle_failures: list[str] = field(default_factory=list)
    nop_rejected: bool = False
    nop_failed_checks: list[str] = field(default_factory=list)
    negatives: list[NegativeOutcome] = field(default_factory=list)
    hidden_test_problems: list[str] = field(default_factory=list)
    # known-good alternative solutions: name -> why it was not resolved ("" when it was)
    alternatives: dict[str, str] = field(default_factory=dict)
    # quality probes: each passes on the reference and fails on what it names in fails_on
    probes: int = 0
    quality_problems: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def rejected_alternatives(self) -> list[str]:
        return [name for name, why in self.alternatives.items() if why]

    @property
    def valid(self) -> bool:
        return (
            not self.start_problems
            and len(self.oracle) > 0
            and all(self.oracle)
            and self.nop_rejected
            and all(n.rejected for n in self.negatives)
            and not self.hidden_test_problems
            and not self.rejected_alternatives
            and not self.quality_problems
        )


def _score_variant(task: Task, make: Callable[[Path], None]) -> ScoreResult:
    tmp = Path(tempfile.mkdtemp(prefix=f"skill-eval-validate-{task.id}-"))
    try:
        workspace = tmp / "repo"
        build_start(task, workspace)
        make(workspace)
        return score(task, workspace)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def hidden_test_problems(task: Task, baseline: Baseline) -> list[str]:
    """ruff and mypy --strict findings in the hidden tests, on the reference solution.

    The scorer leaves the hidden tests out of the agent's static checks, so this is the only
    place they are checked: installed where the scorer puts them, on top of the solution, with
    the task suite's configuration. Both tools run on the whole tree, as the scorer's checks do
    but without excluding the hidden tests, so imports resolve as they do there (``fakes`` from
    ``tests/``); only findings in the hidden tests count. One line per finding, naming the file
    in the task folder (``hidden/...``) and the rule.
    """
    if not task.hidden_test_files():
        return []
    tmp = Path(tempfile.mkdtemp(prefix=f"skill-eval-hidden-lint-{task.id}-"))
    try:
        workspace = tmp / "repo"
        build_start(task, workspace)
        apply_solution(task, workspace)
        install_hidden_tests(task, workspace, baseline.start)
        copy_cache(baseline.mypy_cache, tmp / "mypy-cache")
        problems: list[str] = []
        tools: tuple[tuple[str, Callable[[], list[Finding]]], ...] = (
            ("ruff", lambda: ruff_findings(workspace, include_hidden=True)),
            ("mypy", lambda: mypy_findings(workspace, tmp / "mypy-cache", include_hidden=True)),
        )
        for tool, run in tools:
            try:
                findings = run()
            except (ToolError, json.JSONDecodeError) as exc:
                problems.append(f"{tool} failed on the hidden tests: {exc}")
                continue
            problems += [_in_task_folder(f).render() for f in findings if _is_hidden(f)]
        return problems
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _is_hidden(finding: Finding) -> bool:
    return (finding.path or "").startswith(HIDDEN_TESTS_DIR + "/")


def _in_task_folder(finding: Finding) -> Finding:
    """``tests/hidden/test_x.py`` in the workspace is ``hidden/test_x.py`` in the task folder
    (and a probe's ``tests/hidden/quality_x.py`` is ``quality/quality_x.py``)."""
    rel = (finding.path or "").removeprefix(HIDDEN_TESTS_DIR + "/")
    folder = "quality" if rel.startswith("quality_") and "/" not in rel else "hidden"
    return finding.model_copy(update={"path": f"{folder}/{rel}"})


def _reasons(result: ScoreResult) -> str:
    return "; ".join(
        f"{c.name}: {c.error or c.summary}" for c in result.checks if c.can_fail and not c.passed
    )


def validate_task(task: Task, oracle_runs: int, jobs: int = 2) -> TaskValidity:
    started = time.monotonic()
    outcome = TaskValidity(task_id=task.id)
    baseline = ensure_baseline(task)
    for kind, findings in (
        ("ruff", baseline.ruff),
        ("mypy", baseline.mypy),
        ("layers", baseline.layers),
    ):
        if findings:
            first = findings[0].render()
            outcome.start_problems.append(f"{len(findings)} {kind} finding(s), e.g. {first}")

    def nothing(_: Path) -> None:
        return None

    def solution(path: Path) -> None:
        apply_solution(task, path)

    def negative(name: str) -> Callable[[Path], None]:
        return lambda path: apply_negative(task, name, path)

    variants: list[tuple[str, Callable[[Path], None]]] = [("nop", nothing)]
    variants += [(f"oracle-{i}", solution) for i in range(oracle_runs)]
    variants += [(f"negative:{n.name}", negative(n.name)) for n in task.spec.negatives]

    def alternative(patch: Path) -> Callable[[Path], None]:
        return lambda path: apply_patch(patch, path)

    variants += [(f"alternative:{p.stem}", alternative(p)) for p in task.alternative_patches()]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        hidden_lint = pool.submit(hidden_test_problems, task, baseline)
        results = dict(
            zip(
                [name for name, _ in variants],
                pool.map(lambda v: _score_variant(task, v[1]), variants),
                strict=True,
            )
        )
        outcome.hidden_test_problems = hidden_lint.result()

    nop = results["nop"]
    tests = nop.check("tests")
    if tests is not None:
        broken_visible = sum(
            tests.counts.get(f"visible_{k}", 0) for k in ("failed", "error", "skipped", "missing")
        )
        if broken_visible or tests.counts.get("visible_passed", 0) == 0:
            outcome.start_problems.append(
                f"visible tests do not all pass on the start ({broken_visible} broken)"
            )
    outcome.nop_failed_checks = nop.failed_checks
    outcome.nop_rejected = not nop.resolved and (
        "tests" in nop.failed_checks or "mutation" in nop.failed_checks
    )
    for i in range(oracle_runs):
        result = results[f"oracle-{i}"]
        outcome.oracle.append(result.resolved)
        if not result.resolved:
            outcome.oracle_failures.append(_reasons(result))
    for spec in task.spec.negatives:
        result = results[f"negative:{spec.name}"]
        named = result.check(spec.rejected_by)
        rejected = named is not None and not named.passed and named.error is None
        outcome.negatives.append(
            NegativeOutcome(spec.name, spec.rejected_by, rejected, result.failed_checks)
        )
    for patch in task.alternative_patches():
        result = results[f"alternative:{patch.stem}"]
        outcome.alternatives[patch.stem] = "" if result.resolved else _reasons(result)
    outcome.probes = len(task.spec.quality)
    outcome.quality_problems = probe_problems(task, results)
    outcome.duration_s = round(time.monotonic() - started, 2)
    return outcome


def _failed_probes(result: ScoreResult) -> set[str] | None:
    if result.quality is None:
        return None
    return {p.name for p in result.quality.probes if not p.passed}


def probe_problems(task: Task, results: dict[str, ScoreResult]) -> list[str]:
    """Why the task's quality probes cannot be trusted: each must pass on the reference, fail on
    every solution its ``fails_on`` names, and an alternative must fail exactly the probes that
    name it (so the record of which real solution misses what stays true)."""
    probes = task.spec.quality
    if not probes:
        return []
    problems: list[str] = []
    for variant, result in sorted(results.items()):
        check = result.check("quality")
        if check is not None and check.error:
            problems.append(f"{variant}: the quality check crashed: {check.error}")
    for variant, result in sorted(results.items()):
        if not variant.startswith("oracle-"):
            continue
        failed = _failed_probes(result)
        if failed is None:
            problems.append(f"{variant}: the quality probes did not run")
            continue
        for outcome in result.quality.probes if result.quality else []:
            if not outcome.passed:
                why = next((x for x in outcome.message.splitlines() if x.strip()), "")
                problems.append(f"probe {outcome.name!r} fails on the reference solution: {why}")
    negatives = {n.name for n in task.spec.negatives}
    for probe in probes:
        for name in probe.fails_on:
            kind = "negative" if name in negatives else "alternative"
            failed = _failed_probes(results[f"{kind}:{name}"])
            if failed is not None and probe.name not in failed:
                problems.append(f"probe {probe.name!r} passes on {kind} {name!r} (fails_on)")
    for patch in task.alternative_patches():
        failed = _failed_probes(results[f"alternative:{patch.stem}"])
        listed = {p.name for p in probes if patch.stem in p.fails_on}
        for name in sorted((failed or set()) - listed):
            problems.append(
                f"alternative {patch.stem!r} fails probe {name!r}, whose fails_on does not list it"
            )
    return list(dict.fromkeys(problems))


def reference_coverage(
    tasks: list[Task], references: Path
) -> tuple[dict[str, list[str]], list[str]]:
    """Which tasks exercise each reference, and the problems: dead anchors, unexercised files."""
    from harness.skillpack.markdown import parse

    anchors = {
        path.name: parse(path.read_text(encoding="utf-8")).anchors
        for path in sorted(references.glob("*.md"))
    }
    by_file: dict[str, list[str]] = {name: [] for name in anchors}
    problems: list[str] = []
    for task in tasks:
        cited = [(ref, "references") for ref in task.spec.references]
        cited += [(p.reference, f"quality probe {p.name!r}") for p in task.spec.quality]
        for ref, where in cited:
            name, _, anchor = ref.partition("#")
            if name not in anchors:
                problems.append(f"{task.id}: task.yaml {where} cites {ref}: no such reference file")
            elif anchor not in anchors[name]:
                problems.append(f"{task.id}: task.yaml {where} cites {ref}: no such section")
            elif task.id not in by_file[name]:
                by_file[name].append(task.id)
    problems += [f"{name}: no task exercises it" for name, ids in by_file.items() if not ids]
    return by_file, problems
