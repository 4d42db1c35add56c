"""`skill-eval eval`: the main job behind `make eval` (validates the suite until runs exist)."""

from __future__ import annotations

import argparse
from typing import Any

from harness.commands.validate_cmd import ORACLE_RUNS, run_validate


def register(sub: Any) -> None:
    parser = sub.add_parser("eval", help="the main job: validate the whole benchmark")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    return run_validate(
        argparse.Namespace(tasks=[], jobs=args.jobs, oracle_runs=ORACLE_RUNS, json=False)
    )
