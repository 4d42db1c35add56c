"""`skill-eval tasks` and `skill-eval prepare`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from harness.console import sized_console
from harness.errors import HarnessError


def register(sub: Any) -> None:
    tasks = sub.add_parser(
        "tasks",
        help="list the benchmark's tasks, or show one",
        description="List the benchmark's tasks; `skill-eval tasks show ID` prints one task's"
        " ticket, references, quality probes and measured difficulty.",
        epilog="examples:\n  skill-eval tasks\n  skill-eval tasks show cached-product-read",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tasks.add_argument("--json", action="store_true", help="print JSON instead of a table")
    tasks.add_argument(
        "show", nargs="*", metavar="show ID", help="print the task ID's ticket and what it checks"
    )
    tasks.set_defaults(handler=run_tasks)

    prep = sub.add_parser("prepare", help="write a task's starting repository as a git repository")
    prep.add_argument("task", help="task id or folder")
    prep.add_argument("dest", type=Path, help="destination (must not exist, or be empty)")
    prep.add_argument("--solution", action="store_true", help="apply the reference solution on top")
    prep.set_defaults(handler=run_prepare)


def run_tasks(args: argparse.Namespace) -> int:
    from rich.table import Table

    from harness.task import load_suite

    if args.show:
        if args.show[0] != "show" or len(args.show) != 2:
            raise HarnessError("usage: skill-eval tasks [--json] | skill-eval tasks show ID")
        return show_task(args.show[1], args.json)
    suite = load_suite()
    if args.json:
        rows = [
            {
                "id": t.id,
                "title": t.spec.title,
                "difficulty": t.spec.difficulty,
                "references": t.spec.references,
                "negatives": [n.name for n in t.spec.negatives],
                "quality": [p.name for p in t.spec.quality],
                "fixture": t.spec.fixture,
            }
            for t in suite
        ]
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"{len(suite)} tasks")
    for column in ("id", "difficulty", "title", "references", "probes"):
        table.add_column(column, overflow="fold")
    for t in suite:
        table.add_row(
            t.id,
            t.spec.difficulty,
            t.spec.title,
            "\n".join(t.spec.references),
            str(len(t.spec.quality)),
        )
    sized_console().print(table)
    return 0


def show_task(task_id: str, as_json: bool) -> int:
    """One task as an agent and a reviewer meet it: the ticket, and what the scorer checks."""
    from harness.task import load_task
    from harness.task.model import ArmMeasure

    task = load_task(task_id)
    spec = task.spec
    if as_json:
        print(json.dumps(spec.model_dump(mode="json"), indent=2))
        return 0
    lines = [
        f"{spec.id}: {spec.title}",
        f"difficulty {spec.difficulty}; starting repository evals/{spec.fixture}",
        "",
        spec.prompt.rstrip(),
        "",
        "references: " + ", ".join(spec.references),
        "negatives: "
        + ", ".join(f"{n.name} (rejected by {n.rejected_by})" for n in spec.negatives),
    ]
    if spec.quality:
        lines += ["", "quality probes (never decide resolved):"]
        lines += [f"  {p.name} [{p.reference}]: {p.rationale}" for p in spec.quality]
    if spec.measured is not None:
        m = spec.measured

        def arm(name: str, a: ArmMeasure) -> str:
            quality = "" if a.quality is None else f", quality {a.quality:.0%} on resolved"
            return f"{name} {a.resolved}/{a.attempts} resolved{quality}"

        lines += [
            "",
            f"measured {m.date} ({m.solvers}):",
            f"  {arm('baseline', m.baseline)}; {arm('skill', m.skill)}",
        ]
    print("\n".join(lines))
    return 0


def run_prepare(args: argparse.Namespace) -> int:
    from harness.task import load_task
    from harness.workspace.prepare import prepare

    task = load_task(args.task)
    dest = prepare(task, args.dest, "solution" if args.solution else "start")
    what = "starting repository + reference solution (uncommitted)" if args.solution else "start"
    print(f"{task.id}: {what} written to {dest}")
    return 0
