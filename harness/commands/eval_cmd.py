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

PROGRAM = ".venv/bin/skill-eval"  # as `make eval` runs it, from the repository's root
HOW_TO = f"""
To evaluate a model, with and without the skill:
  export ANTHROPIC_API_KEY=...
  {PROGRAM} run --agent anthropic --model {DEFAULT_MODEL} --arms baseline,skill \\
      --epochs 3 -j 4
(it prints the report command for its run when it ends)
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
        code = run_run(_run_options("anthropic", "baseline,skill", run_dir, args.jobs, args.model))
        print("\n".join(["", *next_steps({args.model: run_dir})]))
        return code
    print("ANTHROPIC_API_KEY is not set: running the oracle and nop agents on every task.")
    runs = {agent: args.runs_dir / f"{stamp}-{agent}" for agent in ("oracle", "nop")}
    codes = [
        run_run(_run_options(agent, "baseline", d, args.jobs, "")) for agent, d in runs.items()
    ]
    print(HOW_TO)
    print("\n".join(next_steps(runs, args.runs_dir / f"{stamp}-report.html")))
    return max(codes)


def next_steps(runs: dict[str, Path], html: Path | None = None) -> list[str]:
    """The closing lines of `make eval`: where its runs are, and the commands that read them.

    ``runs`` maps what ran (a model, or the oracle and nop agents) to its run directory."""
    dirs = list(runs.values())
    lines = ["results: " + ", ".join(f"{d} ({name})" for name, d in runs.items())]
    out = html or dirs[0] / "report.html"
    lines.append(f"report:   {PROGRAM} report {' '.join(map(str, dirs))} --format html --out {out}")
    if set(runs) == {"oracle", "nop"}:  # the bounds, as a paired comparison
        lines.append(
            f"compare:  {PROGRAM} compare {runs['nop']} {runs['oracle']}"
            "   # what doing nothing misses and the reference solutions resolve"
        )
    else:
        lines.append(f"failures: {PROGRAM} failures {dirs[0]}")
    return lines
