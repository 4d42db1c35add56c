"""Run trials: prepare a workspace, run the agent, score, store; resumable and interruptible.

Agent concurrency (API-bound) and scoring concurrency (CPU-bound) are limited separately: ``jobs``
trials run their agents at once, and at most ``scoring_jobs`` of them score at once.
"""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from harness.agents.base import Agent, AgentRequest, Limits, SkillBundle
from harness.agents.skill import stage
from harness.paths import REPO_ROOT, cache_dir, scoring_root
from harness.scoring.baseline import ensure_baseline
from harness.scoring.scorer import score
from harness.store.models import AgentResult, TrialRecord, TrialSpec
from harness.store.run_store import RunStore
from harness.task.model import Task
from harness.workspace.diff import tree_diff
from harness.workspace.prepare import prepare


@dataclass(frozen=True)
class PlannedTrial:
    spec: TrialSpec
    task: Task
    agent: Agent

    @property
    def key(self) -> str:
        return self.spec.key()


Progress = Callable[[TrialRecord], bool | None]  # False: start no more trials
Started = Callable[[PlannedTrial], None]


@dataclass
class Runner:
    store: RunStore
    limits: Limits
    skill_source: Path | None
    hidden: tuple[Path, ...]
    jobs: int = 2
    scoring_jobs: int = 2
    keep_workspaces: bool = False

    def __post_init__(self) -> None:
        self._scoring = threading.Semaphore(self.scoring_jobs)

    def run(
        self, trials: list[PlannedTrial], progress: Progress, started: Started | None = None
    ) -> None:
        """Run every trial; on Ctrl-C, stop starting new ones and lose only those in flight.

        ``started`` hears of each trial as it starts, ``progress`` of each as it finishes."""
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        pending: set[Future[TrialRecord]] = set()
        queue = list(trials)
        try:
            while queue or pending:
                while queue and len(pending) < self.jobs:
                    trial = queue.pop(0)
                    if started is not None:
                        started(trial)
                    pending.add(pool.submit(self.run_one, trial))
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    if progress(future.result()) is False:
                        queue.clear()  # the trials in flight finish; no new one starts
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def run_one(self, trial: PlannedTrial) -> TrialRecord:
        work = self.store.root / "work" / trial.key
        shutil.rmtree(work, ignore_errors=True)
        started = datetime.now(UTC)
        workspace = prepare(trial.task, work / "repo")
        skill = self._stage_skill(trial, work)
        limits = self.limits
        if not limits.wall_seconds:  # no --wall-seconds: the task's own limit
            limits = replace(limits, wall_seconds=trial.task.spec.time_limits.agent_seconds)
        request = AgentRequest(
            task=trial.task,
            workspace=workspace,
            arm=trial.spec.arm,
            skill=skill,
            limits=limits,
            hidden=self.hidden + self._hidden_for(trial),
            epoch=trial.spec.epoch,
        )
        try:
            result = trial.agent.run(request)
        except Exception as exc:  # the agent's plumbing broke: not a verdict on the agent
            result = AgentResult(status="infra_error", detail=f"{type(exc).__name__}: {exc}")
        diff = workspace_diff(trial.task, workspace)
        scored = None
        scoring_error = None
        if not result.infra_error:
            try:
                with self._scoring:
                    scored = score(trial.task, workspace)
            except Exception as exc:  # the scorer's failure, not the agent's: an infra error
                scoring_error = f"{type(exc).__name__}: {exc}"
        record = TrialRecord(
            key=trial.key,
            spec=trial.spec,
            agent=result,
            score=scored,
            started_at=started,
            finished_at=datetime.now(UTC),
            diff_lines=sum(1 for line in diff.splitlines() if line[:1] in "+-"),
            scoring_error=scoring_error,
        )
        self.store.save(record, result.transcript, diff)
        if not self.keep_workspaces:
            shutil.rmtree(work, ignore_errors=True)
        return record

    def _stage_skill(self, trial: PlannedTrial, work: Path) -> SkillBundle | None:
        if trial.spec.arm == "baseline" or self.skill_source is None:
            return None
        return stage(self.skill_source, work / "skills")

    def _hidden_for(self, trial: PlannedTrial) -> tuple[Path, ...]:
        """Other trials' workspaces and records; in the baseline arm, every copy of the skill."""
        others = [p for p in (self.store.root / "work").glob("*") if p.name != trial.key]
        hidden = [self.store.root / "trials", *others]
        if trial.spec.arm == "baseline":
            hidden += skill_locations(self.skill_source)
        return tuple(hidden)


def skill_locations(skill_source: Path | None) -> list[Path]:
    """Where a baseline agent could otherwise find the skill: the repository and installs."""
    home = Path.home()
    places = [REPO_ROOT / "skill", REPO_ROOT / "references", REPO_ROOT / "dist"]
    places += [
        home / ".claude" / "skills",
        home / ".agents" / "skills",
        home / ".codex" / "skills",
        home / ".gemini" / "skills",
        home / ".cursor" / "skills",
        home / ".config" / "opencode" / "skills",
    ]
    if skill_source is not None:
        places.append(skill_source)
    return places


def workspace_diff(task: Task, workspace: Path) -> str:
    """The agent's change against the task's starting tree, new files included."""
    try:
        return tree_diff(ensure_baseline(task).start, workspace)
    except Exception as exc:  # the trial still gets scored; record why there is no diff
        return f"# no diff: {exc}\n"


# What an agent's tools need from this checkout: the interpreter and tools, the harness's code.
REPOSITORY_SHOWN = frozenset({".venv", "harness"})


def default_hidden(suite: Path, keep: tuple[Path, ...] = ()) -> tuple[Path, ...]:
    """What no agent may read: the tasks (hidden tests, solutions), scoring copies, caches, and
    the rest of this checkout (its git history holds every solution; its runs hold resolved
    diffs; its tests hold the mini suite's answers). ``keep``: folders that must stay visible
    (the run directory holding the agent's workspace)."""
    fixed = (suite / "tasks", scoring_root(), cache_dir() / "tasks")
    return fixed + repository_hidden(REPO_ROOT, (Path(sys.prefix), *keep))


def repository_hidden(root: Path, keep: tuple[Path, ...]) -> tuple[Path, ...]:
    """Every folder of the checkout ``root`` except :data:`REPOSITORY_SHOWN`, and except the
    way down to each kept folder, whose siblings are hidden instead (the jail hides folders,
    never an ancestor of one it must show). Nothing when ``root`` is not a checkout (an
    installed package: its folder is site-packages)."""
    if not (root / "pyproject.toml").is_file():
        return ()
    kept = [path.resolve() for path in keep]
    hidden: list[Path] = []

    def walk(folder: Path) -> None:
        for child in sorted(folder.iterdir()):
            if not child.is_dir() or child.is_symlink():
                continue
            resolved = child.resolve()
            if folder == root and child.name in REPOSITORY_SHOWN:
                continue
            if any(k == resolved or k.is_relative_to(resolved) for k in kept):
                if not any(resolved == k for k in kept):
                    walk(child)  # on the way to a kept folder: hide its other children
                continue
            hidden.append(child)

    walk(root)
    return tuple(hidden)
