"""Score a workspace: copy it, guard it, add the hidden tests, run the checks concurrently."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from harness import __version__
from harness.errors import HarnessError
from harness.paths import scoring_root
from harness.scoring.baseline import ensure_baseline
from harness.scoring.checks import Check, ScoringContext, default_checks
from harness.scoring.checks.quality import probe_outcomes
from harness.scoring.checks.tamper import HIDDEN_TESTS_DIR, START_HELPER_PREFIX, is_helper
from harness.scoring.result import CheckResult, Finding, QualityResult, ScoreResult
from harness.task.model import Task
from harness.workspace.tree import copy_tree, iter_files, remove_path


def install_hidden_tests(task: Task, workdir: Path, start: Path) -> None:
    """Add the task's hidden tests to ``workdir`` where the scorer runs them (``tests/hidden``).

    Beside them go the starting repository's own test helpers, each ``tests/<name>.py`` as
    ``start_<name>.py`` (``from start_fakes import FakeUnitOfWork``): the hidden tests' doubles
    are the harness's, never the agent's (which the agent may change), so weakening a fake
    cannot buy a pass.
    """
    target = workdir / HIDDEN_TESTS_DIR
    remove_path(target)  # whatever the agent left there goes
    copy_tree(task.hidden_dir, target) if task.hidden_dir.is_dir() else target.mkdir(parents=True)
    helpers = start / "tests"
    for helper in sorted(helpers.glob("*.py")) if helpers.is_dir() else []:
        if is_helper(PurePosixPath("tests", helper.name)):
            shutil.copyfile(helper, target / f"{START_HELPER_PREFIX}{helper.name}")
    for probe_file in task.quality_files():  # run apart, by the quality check
        shutil.copyfile(probe_file, target / probe_file.name)
    if (workdir / "tests" / "__init__.py").is_file() and not (target / "__init__.py").exists():
        (target / "__init__.py").write_text("")


MAX_WORKSPACE_BYTES = 200 * 1024**2
MAX_FILE_BYTES = 50 * 1024**2
MAX_FILES = 20_000  # the starting repository has about 50


def oversize(workspace: Path) -> str | None:
    """Why the workspace is too large to score (apparent sizes, so sparse files count), if it is."""
    total = 0
    for count, rel in enumerate(iter_files(workspace), start=1):
        if count > MAX_FILES:
            return f"the workspace holds more than {MAX_FILES} files"
        size = (workspace / rel).stat().st_size
        if size > MAX_FILE_BYTES:
            return f"{rel.as_posix()} is {size} bytes (at most {MAX_FILE_BYTES} per file)"
        total += size
        if total > MAX_WORKSPACE_BYTES:
            return f"the workspace's files exceed {MAX_WORKSPACE_BYTES} bytes"
    return None


def _rejected(task: Task, workspace: Path, why: str, started: float) -> ScoreResult:
    guard = CheckResult(
        name="tamper",
        passed=False,
        can_fail=True,
        summary=f"not scored: {why}",
        findings=[Finding(code="too-large", message=why)],
    )
    return ScoreResult(
        task_id=task.id,
        task_hash=task.content_hash,
        harness_version=__version__,
        resolved=False,
        checks=[guard],
        duration_s=round(time.monotonic() - started, 3),
        workspace=str(workspace),
    )


def _safe_run(check: Check, ctx: ScoringContext) -> CheckResult:
    started = time.monotonic()
    try:
        return check.run(ctx)
    except Exception as exc:  # a crashing check is the harness's failure, not the agent's
        return CheckResult(
            name=check.name,
            passed=False,
            can_fail=check.can_fail,
            summary="the check crashed; no verdict",
            error=f"{type(exc).__name__}: {exc}",
            duration_s=round(time.monotonic() - started, 3),
        )


def score(
    task: Task,
    workspace: Path,
    checks: Sequence[Check] | None = None,
    keep_dir: Path | None = None,
) -> ScoreResult:
    """Score ``workspace`` against ``task``; the workspace itself is never modified."""
    if not workspace.is_dir():
        raise HarnessError(f"{workspace}: workspace not found (expected a directory)")
    started = time.monotonic()
    too_large = oversize(workspace)
    if too_large is not None:  # never copied: a sparse 10 GB file would fill the disk
        return _rejected(task, workspace, too_large, started)
    baseline = ensure_baseline(task)
    selected = [c for c in (checks if checks is not None else default_checks()) if c.applies(task)]
    scoring_root().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{task.id}-", dir=scoring_root()))
    try:
        workdir, scratch = tmp / "repo", tmp / "scratch"
        copy_tree(workspace, workdir)
        scratch.mkdir()
        ctx = ScoringContext(task=task, baseline=baseline, workdir=workdir, scratch=scratch)
        results = {c.name: _safe_run(c, ctx) for c in selected if c.mutates}
        concurrent = [c for c in selected if not c.mutates]
        if any(r.error for r in results.values()):  # fail closed: nothing runs on that tree
            concurrent = []
        else:
            install_hidden_tests(task, workdir, baseline.start)
        with ThreadPoolExecutor(max_workers=max(1, len(concurrent))) as pool:
            for result in pool.map(lambda c: _safe_run(c, ctx), concurrent):
                results[result.name] = result
        ordered = [results[c.name] for c in selected if c.name in results]
        if keep_dir is not None:
            shutil.copytree(workdir, keep_dir, dirs_exist_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    crashed = [f"{r.name}: {r.error}" for r in ordered if r.error]
    probes = probe_outcomes(task, results.get("quality"))
    return ScoreResult(
        task_id=task.id,
        task_hash=task.content_hash,
        harness_version=__version__,
        # A check that did not finish is no verdict: never a pass, whatever it is.
        resolved=not crashed and all(r.passed for r in ordered if r.can_fail),
        infra_error="; ".join(crashed) or None,
        checks=ordered,
        duration_s=round(time.monotonic() - started, 3),
        workspace=str(workspace),
        quality=None if probes is None else QualityResult(probes=probes),
    )
