"""The `skill-eval` command line: one sub-command per pipeline stage.

Each command module exposes ``register(subparsers)``, which adds its parser and sets ``handler``
(a callable taking the parsed namespace and returning an exit code).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from harness import __version__
from harness.errors import HarnessError

Handler = Callable[[argparse.Namespace], int]

# Commands that score many trials in one process: the warm pytest zygote they start goes with
# them, so CI leaves nothing running. `score` leaves its zygote up for the next call.
BATCH_COMMANDS = frozenset({"validate", "run", "eval"})


def build_parser() -> argparse.ArgumentParser:
    from harness.commands import (
        eval_cmd,
        report_cmd,
        run_cmd,
        score_cmd,
        skill_cmd,
        tasks_cmd,
        validate_cmd,
    )

    parser = argparse.ArgumentParser(
        prog="skill-eval",
        description="Build the python-backend-architecture skill and measure whether it helps.",
    )
    parser.add_argument("--version", action="version", version=f"skill-eval {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (tasks_cmd, score_cmd, validate_cmd, run_cmd, report_cmd, skill_cmd, eval_cmd):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except HarnessError as exc:
        print(f"skill-eval: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `skill-eval tasks --json | head`: the reader left; so do we
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:  # a read-only folder, a full disk: one line naming the path
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"skill-eval: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("skill-eval: interrupted", file=sys.stderr)
        return 130
    finally:
        if args.command in BATCH_COMMANDS:
            from harness.scoring import zygote

            zygote.stop_started()


if __name__ == "__main__":
    sys.exit(main())
