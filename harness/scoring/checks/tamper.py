"""Tamper guard: restore protected paths from the starting repository and record every change.

Protected: the visible tests (everything under ``tests/`` in the start), any ``conftest.py``,
tool configuration files (``pyproject.toml`` and friends), the hidden tests' location, the
task's own ``protected`` paths, and interpreter start-up hooks (``sitecustomize.py``,
``usercustomize.py``, ``*.pth``), which are always removed.

One exception: a test helper module (``tests/fakes.py``: under ``tests/``, not a test module,
not a conftest) may be *extended* with new definitions, which are kept, because a new port
method needs its fake; see :mod:`harness.scoring.checks.helpers`. Any other change to it is
restored like the rest.
"""

from __future__ import annotations

import difflib
import shutil
import tomllib
from pathlib import PurePosixPath
from typing import ClassVar

from harness.scoring.checks.base import ScoringContext, Stopwatch
from harness.scoring.checks.helpers import added_names
from harness.scoring.result import CheckResult, Finding
from harness.task.model import CheckName, Task
from harness.workspace.tree import iter_files, read_text_or_none

HIDDEN_TESTS_DIR = "tests/hidden"
CONFIG_FILES = frozenset(
    {
        "pyproject.toml",
        "setup.cfg",
        "tox.ini",
        "pytest.ini",
        "mypy.ini",
        ".mypy.ini",
        "ruff.toml",
        ".ruff.toml",
        ".importlinter",
    }
)
STARTUP_HOOKS = frozenset({"sitecustomize.py", "usercustomize.py"})


def _under(rel: PurePosixPath, prefix: str) -> bool:
    return rel.as_posix() == prefix or rel.as_posix().startswith(prefix.rstrip("/") + "/")


def is_protected(rel: PurePosixPath, task: Task) -> bool:
    return (
        _under(rel, "tests")
        or rel.name == "conftest.py"
        or rel.name in CONFIG_FILES
        or rel.name in STARTUP_HOOKS
        or rel.suffix == ".pth"
        or any(_under(rel, p) for p in task.spec.protected)
    )


def is_extendable_helper(rel: PurePosixPath, task: Task) -> bool:
    return (
        _under(rel, "tests")
        and not _under(rel, HIDDEN_TESTS_DIR)
        and rel.suffix == ".py"
        and not rel.name.startswith("test_")
        and rel.name != "conftest.py"
        and not any(_under(rel, p) for p in task.spec.protected)
    )


def _describe_change(rel: str, before: str | None, after: str | None) -> str:
    if rel.endswith("pyproject.toml") and before is not None and after is not None:
        try:
            old_tool = tomllib.loads(before).get("tool")
            new_tool = tomllib.loads(after).get("tool")
        except tomllib.TOMLDecodeError:
            return "modified (no longer valid TOML); restored"
        if old_tool != new_tool:
            changed = sorted(
                k
                for k in set(old_tool or {}) | set(new_tool or {})
                if (old_tool or {}).get(k) != (new_tool or {}).get(k)
            )
            return f"tool configuration changed ([tool.{'], [tool.'.join(changed)}]); restored"
        return "modified outside [tool] (dependencies or metadata); restored, not tampering"
    if before is None or after is None:
        return "modified; restored"
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    changed_lines = [d for d in diff if d[:1] in "+-" and not d.startswith(("+++", "---"))]
    excerpt = " | ".join(changed_lines[:4])
    return f"modified ({len(changed_lines)} changed lines: {excerpt[:300]}); restored"


class TamperGuard:
    name: ClassVar[CheckName] = "tamper"
    can_fail: ClassVar[bool] = False
    mutates: ClassVar[bool] = True

    def applies(self, task: Task) -> bool:
        return True

    def run(self, ctx: ScoringContext) -> CheckResult:
        watch = Stopwatch()
        start, work = ctx.baseline.start, ctx.workdir
        start_files = {PurePosixPath(p.as_posix()) for p in iter_files(start)}
        work_files = {PurePosixPath(p.as_posix()) for p in iter_files(work)}
        findings: list[Finding] = []
        restored = removed = extended = 0
        tool_config_changed = False
        for rel in sorted(start_files):
            if not is_protected(rel, ctx.task):
                continue
            source, target = start / rel, work / rel
            if rel not in work_files:
                findings.append(Finding(path=str(rel), code="deleted", message="deleted; restored"))
            elif source.read_bytes() != target.read_bytes():
                before, after = read_text_or_none(source), read_text_or_none(target)
                added = (
                    added_names(before, after)
                    if is_extendable_helper(rel, ctx.task) and before and after
                    else None
                )
                if added is not None:  # new definitions only: kept
                    extended += 1
                    message = f"extended with {', '.join(added) or 'nothing new'}; kept"
                    findings.append(Finding(path=str(rel), code="extended", message=message))
                    continue
                message = _describe_change(
                    str(rel), read_text_or_none(source), read_text_or_none(target)
                )
                tool_config_changed |= message.startswith("tool configuration")
                findings.append(Finding(path=str(rel), code="modified", message=message))
            else:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            restored += 1
        for rel in sorted(work_files - start_files):
            if is_protected(rel, ctx.task) and not (
                _under(rel, "tests") and rel.name.startswith("test_") and rel.suffix == ".py"
            ):
                (work / rel).unlink()
                removed += 1
                findings.append(Finding(path=str(rel), code="added", message="added; removed"))
            elif _under(rel, HIDDEN_TESTS_DIR):
                (work / rel).unlink()
                removed += 1
                findings.append(
                    Finding(path=str(rel), code="added", message="written where hidden tests go")
                )
        counts = {
            "restored": restored,
            "removed": removed,
            "extended": extended,
            "tool_config_changed": int(tool_config_changed),
        }
        summary = (
            "no protected path touched"
            if not findings
            else f"{restored} protected file(s) restored, {removed} removed, {extended} extended"
        )
        return CheckResult(
            name=self.name,
            passed=True,
            can_fail=self.can_fail,
            summary=summary,
            counts=counts,
            findings=findings,
            duration_s=watch.elapsed,
        )
