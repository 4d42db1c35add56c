"""Build a task's starting repository, and workspaces derived from it.

The starting repository is the fixture with the task's setup overlay applied. A prepared
workspace is that tree as a git repository with one commit, so an agent's change is ``git diff``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from harness.errors import HarnessError
from harness.task.model import Task
from harness.workspace.tree import apply_overlay, copy_tree

Variant = Literal["start", "solution"]

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "skill-eval",
    "GIT_AUTHOR_EMAIL": "skill-eval@localhost",
    "GIT_COMMITTER_NAME": "skill-eval",
    "GIT_COMMITTER_EMAIL": "skill-eval@localhost",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def build_start(task: Task, dest: Path) -> None:
    """Write the task's starting repository (no git metadata) into ``dest``."""
    copy_tree(task.fixture, dest)
    if task.setup_patch.is_file():
        apply_patch(task.setup_patch, dest)
    else:
        apply_overlay(task.setup_dir, dest, task.spec.setup_delete)


def apply_solution(task: Task, dest: Path) -> None:
    if task.solution_patch.is_file():
        apply_patch(task.solution_patch, dest)
    else:
        apply_overlay(task.solution_dir, dest, task.spec.solution_delete)


def apply_negative(task: Task, name: str, dest: Path) -> None:
    """Turn a starting repository in ``dest`` into the named known-bad solution."""
    spec = next((n for n in task.spec.negatives if n.name == name), None)
    if spec is None:
        known = ", ".join(n.name for n in task.spec.negatives)
        raise HarnessError(f"task {task.id}: no negative named {name!r} (known: {known})")
    if spec.base == "solution":
        apply_solution(task, dest)
    patch = task.negative_patch(name)
    if patch.is_file():
        apply_patch(patch, dest)
    else:
        apply_overlay(task.negative_dir(name), dest, spec.delete)


def apply_patch(patch: Path, dest: Path) -> None:
    """Apply a unified diff (``a/``/``b/`` prefixes) to the tree in ``dest``."""
    env = {
        **os.environ,
        **_GIT_ENV,
        "HOME": str(dest),
        # never let git find a repository above dest and apply there instead
        "GIT_CEILING_DIRECTORIES": str(dest.resolve().parent),
    }
    done = subprocess.run(
        ["git", "apply", "--whitespace=nowarn", str(patch.resolve())],
        cwd=dest,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[:1] or ["no reason given"]
        raise HarnessError(f"{patch}: does not apply: {reason[0]}")


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **_GIT_ENV, "HOME": str(cwd)}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise HarnessError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip()}")
    return done.stdout


def init_repository(root: Path, message: str) -> None:
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--no-gpg-sign", "-m", message)


def prepare(task: Task, dest: Path, variant: Variant = "start") -> Path:
    """Create ``dest`` as a git repository holding the starting state (one commit).

    With ``variant="solution"`` the reference solution is applied on top as an uncommitted change.
    ``dest`` must not exist or be an empty directory; it is written via a temporary sibling and
    renamed, so a failure leaves nothing half-written.
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise HarnessError(f"{dest}: destination exists and is not empty; refusing to overwrite it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        build_start(task, staging)
        init_repository(staging, f"Starting repository for task {task.id}")
        if variant == "solution":
            apply_solution(task, staging)
        if dest.exists():
            dest.rmdir()
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest
