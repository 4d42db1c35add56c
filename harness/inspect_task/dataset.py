"""One Inspect sample per benchmark task: the ticket, the starting repository, what identifies it.

The starting repository travels as the sample's ``files`` (each file of the task's starting
tree, by its path relative to the sandbox's working directory) and becomes a git repository
with one commit by the sample's ``setup`` script, so any sandbox provider (this project's
jail, docker, Kubernetes) starts from the same tree. The scorer reads the final tree without
git and diffs it against this starting tree (:mod:`harness.inspect_task.scorer`). Hidden
tests, the reference solution and the quality probes never enter the sample: they stay on the
host, where the scorer uses them.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from inspect_ai.dataset import Sample
from pydantic import BaseModel, ConfigDict

from harness import __version__
from harness.paths import cache_dir
from harness.store.models import Arm
from harness.task.model import Task
from harness.workspace.prepare import build_start
from harness.workspace.tree import iter_files

METADATA_KEY = "skill_eval"

SETUP_SCRIPT = """\
#!/usr/bin/env bash
set -euo pipefail
export GIT_CONFIG_NOSYSTEM=1
git init --quiet --initial-branch=main .
git add --all
git -c user.name=skill-eval -c user.email=skill-eval@localhost \\
    commit --quiet --no-gpg-sign -m "Starting repository for task {task_id}"
"""


class SampleInfo(BaseModel):
    """What a sample's metadata says about the trial (read back from logs by the reports)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str
    task_hash: str
    arm: Arm
    skill_hash: str | None
    harness_version: str = __version__


def start_tree(task: Task) -> Path:
    """The task's starting repository (no git metadata), built once per task content."""
    final = cache_dir() / "inspect-start" / f"{task.id}-{task.content_hash[:16]}"
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        build_start(task, staging / "tree")
        try:
            (staging / "tree").rename(final)
        except OSError:  # built meanwhile by another process: theirs is the same tree
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def task_sample(task: Task, arm: Arm, skill_hash: str | None) -> Sample:
    tree = start_tree(task)
    info = SampleInfo(task_id=task.id, task_hash=task.content_hash, arm=arm, skill_hash=skill_hash)
    return Sample(
        id=task.id,
        input=task.spec.prompt,
        files={path.as_posix(): str(tree / path) for path in iter_files(tree)},
        setup=SETUP_SCRIPT.format(task_id=task.id),
        metadata={METADATA_KEY: info.model_dump(mode="json")},
    )
