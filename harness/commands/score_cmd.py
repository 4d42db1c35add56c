"""`skill-eval score TASK WORKSPACE`: score any workspace (hand-made, external agent, harness)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from harness.scoring.result import ScoreResult


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


def run_score(args: argparse.Namespace) -> int:
    from rich.console import Console

    from harness.scoring.scorer import score
    from harness.task import load_task

    task = load_task(args.task)
    if args.out is not None and args.out.exists() and args.out.is_dir():
        raise SystemExit(f"skill-eval: error: --out {args.out} is a directory")
    result = score(task, args.workspace.resolve(), keep_dir=args.keep)
    payload = result.model_dump_json(indent=2)
    if args.out is not None:
        tmp = args.out.with_name(args.out.name + ".tmp")
        tmp.write_text(payload)
        tmp.replace(args.out)
    if args.json:
        print(payload)
    else:
        print_result(result, Console())
    return 0 if result.resolved else 1
