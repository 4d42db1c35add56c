"""`skill-eval skill lint|build|install|uninstall`: check, package and install the skill pack."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.skillpack.build import (
    LintFailedError,
    build_skill,
    default_out_dir,
    is_stale,
)
from harness.skillpack.install import AGENTS, SCOPES, install_skill, skills_dir, uninstall_skill
from harness.skillpack.lint import (
    MAX_BODY_LINES,
    MAX_BODY_TOKENS,
    TOKEN_ESTIMATOR,
    LintOptions,
    lint,
    pack_stats,
)
from harness.skillpack.pack import SKILL_NAME, find_pack_root


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "skill", help="lint, build and install the skill"
    )
    actions = parser.add_subparsers(dest="skill_command", required=True, metavar="ACTION")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root",
        type=Path,
        default=None,
        help="repository holding skill/SKILL.md and references/ (default: found from the cwd)",
    )

    lint_parser = actions.add_parser(
        "lint", parents=[common], help="check the skill format, links and every Python block"
    )
    lint_parser.add_argument(
        "--no-run", action="store_true", help="skip ruff, mypy and running the complete blocks"
    )
    lint_parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds per complete block run (default 30)"
    )
    lint_parser.set_defaults(handler=_lint)

    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--out", type=Path, default=None, help="output directory (default: dist/)")
    out.add_argument("--no-lint", action="store_true", help="build even if the lint fails")

    build_parser = actions.add_parser(
        "build", parents=[common, out], help="write dist/<skill>/ and dist/<skill>.zip"
    )
    build_parser.set_defaults(handler=_build)

    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("--agent", required=True, choices=AGENTS, help="which agent to install for")
    target.add_argument("--scope", required=True, choices=SCOPES, help="project or user ($HOME)")
    target.add_argument(
        "--project-dir", type=Path, default=None, help="project for --scope project (default: cwd)"
    )
    target.add_argument(
        "--force", action="store_true", help="replace or remove a folder that is not ours"
    )

    install_parser = actions.add_parser(
        "install",
        parents=[common, out, target],
        help="copy the built skill to the agent's skills folder (builds first if needed)",
    )
    install_parser.set_defaults(handler=_install)

    uninstall_parser = actions.add_parser(
        "uninstall", parents=[target], help="remove a skill this command installed"
    )
    uninstall_parser.set_defaults(handler=_uninstall)


def _root(args: argparse.Namespace) -> Path:
    root: Path | None = args.root
    if root is None:
        return find_pack_root()
    if not root.is_dir():
        raise HarnessError(f"--root {root}: not a directory")
    return root.resolve()


def _lint(args: argparse.Namespace) -> int:
    root = _root(args)
    started = time.monotonic()
    findings = lint(root, LintOptions(check_complete=not args.no_run, timeout=args.timeout))
    elapsed = time.monotonic() - started
    for finding in findings:
        print(finding)
    stats = pack_stats(root)
    print(
        f"SKILL.md body: {stats.body_lines} lines, ~{stats.body_tokens} tokens "
        f"(estimate: {TOKEN_ESTIMATOR} of {stats.body_chars} chars; "
        f"limits: under {MAX_BODY_LINES} lines, under {MAX_BODY_TOKENS} tokens)"
    )
    print(f"references: {len(stats.reference_lines)}")
    width = max((len(name) for name in stats.reference_lines), default=0)
    for name, lines in sorted(stats.reference_lines.items()):
        print(f"  {name:<{width}}  {lines:>4} lines")
    checked = "not run (--no-run)" if args.no_run else "ruff, mypy --strict and run"
    print(f"complete blocks: {stats.complete_blocks} ({checked})")
    print(f"lint: {len(findings)} finding(s) in {elapsed:.1f} s")
    return 1 if findings else 0


def _print_build(root: Path, out: Path | None, no_lint: bool) -> None:
    try:
        result = build_skill(root, out, run_lint=not no_lint)
    except LintFailedError as exc:
        for finding in exc.findings:
            print(finding)
        raise
    print(f"skill folder: {result.folder}")
    print(f"upload zip:   {result.zip_path}  (sha256 {result.zip_sha256})")
    print(f"content hash: {result.content_hash}")


def _build(args: argparse.Namespace) -> int:
    _print_build(_root(args), args.out, args.no_lint)
    return 0


def _check_project_dir(args: argparse.Namespace) -> None:
    """A mistyped --project-dir is refused, never created and installed into."""
    if args.project_dir is not None and not args.project_dir.is_dir():
        raise HarnessError(f"--project-dir {args.project_dir}: no such directory")


def _install(args: argparse.Namespace) -> int:
    _check_project_dir(args)
    root = _root(args)
    out: Path = (args.out or default_out_dir(root)).resolve()
    if is_stale(root, out):
        print(f"building {SKILL_NAME} first ({out} is missing or out of date)")
        _print_build(root, out, args.no_lint)
    destination = skills_dir(args.agent, args.scope, args.project_dir)
    result = install_skill(out / SKILL_NAME, destination, force=args.force)
    where = f"{args.agent}, {args.scope} scope"
    if result.action == "unchanged":
        print(f"already installed: {result.path} ({where})")
    else:
        print(f"{result.action} {SKILL_NAME} -> {result.path} ({where})")
    return 0


def _uninstall(args: argparse.Namespace) -> int:
    _check_project_dir(args)
    target = skills_dir(args.agent, args.scope, args.project_dir) / SKILL_NAME
    result = uninstall_skill(target, force=args.force)
    if result.action == "absent":
        print(f"not installed: {target}")
    else:
        print(f"removed {target}")
    return 0
