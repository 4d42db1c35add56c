"""Median wall time of `skill-eval score` on reference solutions vs the naive sequence.

The naive sequence is what a harness without these optimisations does per trial: a fresh copy,
mypy with a cold cache, then ruff, import-linter and pytest (a fresh interpreter, not the warm
zygote) one after another. Both are measured here in the same run, on the same machine. Both
use the same sandbox, whose HOME is a tmpfs.

`skill-eval score` starts the warm pytest zygote on first use; that first, cold call is timed
apart and printed, and not part of the medians (a run scores many trials per zygote).

    .venv/bin/python benchmarks/score_speed.py [TASK ...] [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.scoring import zygote
from harness.scoring.baseline import ensure_baseline
from harness.scoring.checks.pytest_run import run_pytest
from harness.scoring.checks.static import layer_findings, mypy_findings, ruff_findings
from harness.scoring.scorer import install_hidden_tests
from harness.task import Task, load_suite, load_task
from harness.workspace.prepare import apply_solution, build_start
from harness.workspace.tree import copy_tree

DEFAULT_TASKS = 3


def solution_workspace(task: Task, root: Path) -> Path:
    workspace = root / "solution"
    build_start(task, workspace)
    apply_solution(task, workspace)
    return workspace


def time_cli(task: Task, workspace: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "score", task.id, str(workspace)],
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{task.id}: the reference solution was not resolved")
    return elapsed


def time_naive(task: Task, workspace: Path) -> float:
    os.environ["SKILL_EVAL_ZYGOTE"] = "0"
    try:
        return _time_naive(task, workspace)
    finally:
        del os.environ["SKILL_EVAL_ZYGOTE"]


def _time_naive(task: Task, workspace: Path) -> float:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        copy_tree(workspace, copy)
        install_hidden_tests(task, copy, ensure_baseline(task).start)
        mypy_findings(copy, Path(tmp) / "cold-mypy-cache")
        ruff_findings(copy)
        layer_findings(copy)
        tests = sorted(p.relative_to(copy).as_posix() for p in (copy / "tests").rglob("test_*.py"))
        run_pytest(copy, Path(tmp), tests, timeout_s=task.spec.time_limits.tests_seconds)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tasks = [load_task(t) for t in args.tasks] if args.tasks else load_suite()[:DEFAULT_TASKS]
    zygote.stop(zygote.socket_path())
    deadline = time.monotonic() + 10
    while zygote.socket_path().exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the first timed call must start a new zygote
    cold: float | None = None
    print(f"{'task':32} {'score median s':>15} {'naive median s':>15} {'speed-up':>9}")
    all_fast: list[float] = []
    all_naive: list[float] = []
    for task in tasks:
        ensure_baseline(task)  # built once per task and cached: not part of a trial
        with tempfile.TemporaryDirectory() as tmp:
            workspace = solution_workspace(task, Path(tmp))
            if cold is None:
                cold = time_cli(task, workspace)
            fast = [time_cli(task, workspace) for _ in range(args.repeats)]
            naive = [time_naive(task, workspace) for _ in range(args.repeats)]
        all_fast += fast
        all_naive += naive
        ratio = statistics.median(naive) / statistics.median(fast)
        print(
            f"{task.id:32} {statistics.median(fast):15.2f}"
            f" {statistics.median(naive):15.2f} {ratio:8.1f}x"
        )
    overall = statistics.median(all_naive) / statistics.median(all_fast)
    print(
        f"{'all':32} {statistics.median(all_fast):15.2f}"
        f" {statistics.median(all_naive):15.2f} {overall:8.1f}x"
    )
    print(f"first call, which starts the zygote: {cold:.2f} s")


if __name__ == "__main__":
    main()
