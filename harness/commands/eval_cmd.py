"""`skill-eval eval`: the main job behind `make eval`.

With ``ANTHROPIC_API_KEY`` set it runs a model on the whole suite, with and without the skill.
Without one it runs the oracle and nop agents (the bounds every valid task must respect), so a
fresh checkout shows the pipeline end to end, and it says how to run a model.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.commands.run_cmd import DEFAULT_MODEL, run_run

HOW_TO = f"""
To evaluate a model, with and without the skill:
  export ANTHROPIC_API_KEY=...
  .venv/bin/skill-eval run --agent anthropic --model {DEFAULT_MODEL} --arms baseline,skill \\
      --epochs 3 -j 4
then: .venv/bin/skill-eval report runs/<run-id> --format html --out report.html
"""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "eval",
        help="the main job: a model if a key is set, else the bounds",
        description="The main job behind `make eval`. With ANTHROPIC_API_KEY set: the model on"
        " every task, with and without the skill. Without one: the oracle and nop agents, the"
        " bounds every valid task respects, and how to run a model.",
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=2, help="trials whose agents run at once (default: 2)"
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"model id (default: {DEFAULT_MODEL})"
    )
    parser.add_argument(
        "--runs-dir",
        type=Path,
        default=Path("runs"),
        help="where the runs are stored (default: runs)",
    )
    parser.set_defaults(handler=run_eval)


def _run_options(agent: str, arms: str, run_dir: Path, jobs: int, model: str) -> Any:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    from harness.commands import run_cmd

    run_cmd.register(sub)
    return parser.parse_args(
        ["run", "--agent", agent, "--arms", arms, "--run-dir", str(run_dir), "-j", str(jobs)]
        + (["--model", model] if agent == "anthropic" else [])
    )


def run_eval(args: argparse.Namespace) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    if os.environ.get("ANTHROPIC_API_KEY"):
        run_dir = args.runs_dir / f"{stamp}-{args.model}"
        return run_run(_run_options("anthropic", "baseline,skill", run_dir, args.jobs, args.model))
    print("ANTHROPIC_API_KEY is not set: running the oracle and nop agents on every task.")
    codes = [
        run_run(_run_options(agent, "baseline", args.runs_dir / f"{stamp}-{agent}", args.jobs, ""))
        for agent in ("oracle", "nop")
    ]
    print(HOW_TO)
    return max(codes)
