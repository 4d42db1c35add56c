"""`skill-eval score TASK WORKSPACE`: score any workspace (hand-made, external agent, harness)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError

if TYPE_CHECKING:
    from rich.console import Console

    from harness.scoring.result import ScoreResult
    from harness.task import Task


def register(sub: Any) -> None:
    parser = sub.add_parser("score", help="score a workspace against a task")
    parser.add_argument("task", help="task id or folder")
    parser.add_argument("workspace", type=Path, help="the edited repository")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--out", type=Path, help="also write the JSON result to this file")
    parser.add_argument("--keep", type=Path, help="keep the scored copy (with hidden tests) here")
    parser.set_defaults(handler=run_score)


def print_result(result: ScoreResult, console: Console, findings: int = 8) -> None:
    from rich.table import Table

    title = f"{result.task_id}: {'RESOLVED' if result.resolved else 'not resolved'}"
    if result.quality is not None:
        title += f" · quality {result.quality.passed}/{len(result.quality.probes)} probes"
    table = Table(title=title)
    for column in ("check", "verdict", "summary", "s"):
        table.add_column(column, overflow="fold")
    for check in result.checks:
        verdict = "pass" if check.passed else "FAIL"
        verdict = verdict if check.can_fail else "info"
        verdict = "ERROR" if check.error else verdict
        table.add_row(check.name, verdict, check.error or check.summary, f"{check.duration_s:.1f}")
    console.print(table)
    for check in result.checks:
        if check.findings and (not check.passed or not check.can_fail):
            console.print(f"[bold]{check.name}[/bold]")
            for finding in check.findings[:findings]:
                line = finding.render().splitlines()[0][:200]
                if check.name == "quality":  # the probe's name, and the first line that says why
                    name = (finding.code or "").removeprefix("probe:")
                    why = next((x for x in finding.message.splitlines() if x.strip()), "")
                    line = f"{name}: {why[:180]}"
                console.print("  " + line, markup=False)
            if len(check.findings) > findings:
                console.print(f"  ... {len(check.findings) - findings} more")
    console.print(f"scored in {result.duration_s:.1f} s")


def _check_out(out: Path | None) -> None:
    """Refuse an --out the result could not be written to before spending time scoring."""
    if out is None:
        return
    if out.is_dir():
        raise HarnessError(f"--out {out}: is a directory")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise HarnessError(f"--out {out}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise HarnessError(f"--out {out}: folder {parent} is not writable")


# Below this share of the starting repository's files, a folder is not the task's repository
# (an empty folder, another task's or project's checkout); an agent's refactor keeps far more.
MIN_START_FILES_PRESENT = 0.25


def _check_workspace(task: Task, workspace: Path) -> None:
    from harness.scoring.baseline import ensure_baseline
    from harness.workspace.tree import iter_files

    if not workspace.is_dir():
        raise HarnessError(f"{workspace}: workspace not found (expected a directory)")
    start = ensure_baseline(task).start
    expected = [rel for rel in iter_files(start) if rel.parts[0] != ".git"]
    present = sum((workspace / rel).is_file() for rel in expected)
    if expected and present / len(expected) < MIN_START_FILES_PRESENT:
        raise HarnessError(
            f"{workspace}: not {task.id}'s repository ({present} of {len(expected)} starting"
            f" files present); write one with: skill-eval prepare {task.id} DIR"
        )


def run_score(args: argparse.Namespace) -> int:
    from harness.console import sized_console
    from harness.scoring.scorer import score
    from harness.task import load_task

    task = load_task(args.task)
    _check_out(args.out)
    _check_workspace(task, args.workspace)
    result = score(task, args.workspace.resolve(), keep_dir=args.keep)
    payload = result.model_dump_json(indent=2)
    if args.out is not None:
        tmp = args.out.with_name(args.out.name + ".tmp")
        tmp.write_text(payload)
        tmp.replace(args.out)
    if args.json:
        print(payload)
    else:
        print_result(result, sized_console())
    return 0 if result.resolved else 1
