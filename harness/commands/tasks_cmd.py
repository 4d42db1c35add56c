"""`skill-eval tasks` and `skill-eval prepare`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    tasks = sub.add_parser("tasks", help="list the benchmark's tasks")
    tasks.add_argument("--json", action="store_true", help="print JSON instead of a table")
    tasks.set_defaults(handler=run_tasks)

    prep = sub.add_parser("prepare", help="write a task's starting repository as a git repository")
    prep.add_argument("task", help="task id or folder")
    prep.add_argument("dest", type=Path, help="destination (must not exist, or be empty)")
    prep.add_argument("--solution", action="store_true", help="apply the reference solution on top")
    prep.set_defaults(handler=run_prepare)


def run_tasks(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from harness.task import load_suite

    suite = load_suite()
    if args.json:
        rows = [
            {
                "id": t.id,
                "title": t.spec.title,
                "difficulty": t.spec.difficulty,
                "references": t.spec.references,
                "negatives": [n.name for n in t.spec.negatives],
            }
            for t in suite
        ]
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"{len(suite)} tasks")
    for column in ("id", "difficulty", "title", "references"):
        table.add_column(column, overflow="fold")
    for t in suite:
        table.add_row(t.id, t.spec.difficulty, t.spec.title, "\n".join(t.spec.references))
    Console().print(table)
    return 0


def run_prepare(args: argparse.Namespace) -> int:
    from harness.task import load_task
    from harness.workspace.prepare import prepare

    task = load_task(args.task)
    dest = prepare(task, args.dest, "solution" if args.solution else "start")
    what = "starting repository + reference solution (uncommitted)" if args.solution else "start"
    print(f"{task.id}: {what} written to {dest}")
    return 0
