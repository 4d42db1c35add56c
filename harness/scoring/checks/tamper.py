"""Ownership guard: put back what the harness owns, keep what the agent owns, record both.

The rule (stated to agents in the starting repository's README and the built-in agent's prompt):

- **the agent owns** its source, its new test modules, and the test helpers: any module under
  ``tests/`` that is not a test module, not a ``conftest.py`` and not ``tests/__init__.py``
  (``tests/fakes.py``, a new ``tests/builders.py``). These are scored as the agent left them:
  ruff and mypy judge them, and the visible tests run against them;
- **the harness owns** the starting repository's test modules (the pass-to-pass tests), every
  ``conftest.py``, ``tests/__init__.py``, tool configuration files, the hidden tests' location
  and the task's own ``protected`` paths. A change to one of them is undone (the original is
  restored, a new one removed) and recorded; interpreter start-up hooks (``sitecustomize.py``,
  ``usercustomize.py``, ``*.pth``) are always removed.

The hidden tests never import the agent's helpers (they bring their own copy of the starting
repository's, see :func:`harness.scoring.scorer.install_hidden_tests`), so weakening a fake
cannot buy a pass; the visible tests run against the agent's helpers on purpose.

Anything unusual where a harness-owned file belongs (a directory, a symlink, a fifo) is
removed and the original put back. The guard fails closed: if it cannot finish, the scorer
records the trial as an infrastructure error, never as a pass.
"""

from __future__ import annotations

import difflib
import os
import shutil
import stat
import tomllib
from pathlib import Path, PurePosixPath
from typing import ClassVar

from harness.scoring.checks.base import ScoringContext, Stopwatch
from harness.scoring.result import CheckResult, Finding
from harness.task.model import CheckName, Task
from harness.workspace.tree import iter_files, read_text_or_none, remove_path

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
START_HELPER_PREFIX = "start_"  # tests/<name>.py of the start, installed for the hidden tests


def _under(rel: PurePosixPath, prefix: str) -> bool:
    return rel.as_posix() == prefix or rel.as_posix().startswith(prefix.rstrip("/") + "/")


def is_test_module(rel: PurePosixPath) -> bool:
    return rel.suffix == ".py" and (rel.name.startswith("test_") or rel.stem.endswith("_test"))


def is_helper(rel: PurePosixPath) -> bool:
    """A test helper module: the agent's to change (grow a fake when a port grows)."""
    return (
        _under(rel, "tests")
        and not _under(rel, HIDDEN_TESTS_DIR)
        and rel.suffix == ".py"
        and not is_test_module(rel)
        and rel.name != "conftest.py"
        and rel.as_posix() != "tests/__init__.py"
    )


def harness_owned(rel: PurePosixPath, task: Task, *, in_start: bool) -> bool:
    """Whether the harness owns ``rel`` (a file of the start when ``in_start``, else a new one)."""
    if any(_under(rel, p) for p in task.spec.protected) or _under(rel, HIDDEN_TESTS_DIR):
        return True
    if rel.name in STARTUP_HOOKS or rel.suffix == ".pth":
        return True
    if rel.name == "conftest.py" or rel.name in CONFIG_FILES:
        return True
    if rel.as_posix() == "tests/__init__.py":
        return True
    if _under(rel, "tests") and rel.name.startswith(START_HELPER_PREFIX):
        return True  # the names the hidden tests import the starting helpers under
    # The start's test modules and data files under tests/ are the pass-to-pass tests; new test
    # modules and every helper module are the agent's.
    return in_start and _under(rel, "tests") and not is_helper(rel)


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


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except FileNotFoundError:
        return False


def _clear_parents(work: Path, rel: PurePosixPath) -> None:
    """Make every parent of ``rel`` a real directory: a file or symlink in the way goes."""
    current = work
    for part in rel.parent.parts:
        current = current / part
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            current.unlink()


class TamperGuard:
    name: ClassVar[CheckName] = "tamper"
    can_fail: ClassVar[bool] = False
    mutates: ClassVar[bool] = True

    def applies(self, task: Task) -> bool:
        return True

    def run(self, ctx: ScoringContext) -> CheckResult:
        watch = Stopwatch()
        start, work = ctx.baseline.start, ctx.workdir
        findings = _remove_unreadable_names(work)
        start_files = {PurePosixPath(p.as_posix()) for p in iter_files(start)}
        work_files = {PurePosixPath(p.as_posix()) for p in iter_files(work)}
        restored, removed, helpers_changed = 0, len(findings), 0
        tool_config_changed = False
        for rel in sorted(start_files):
            source, target = start / rel, work / rel
            if not harness_owned(rel, ctx.task, in_start=True):
                if is_helper(rel) and rel in work_files and _differs(source, target):
                    helpers_changed += 1
                    findings.append(
                        Finding(path=str(rel), code="helper", message="test helper changed; kept")
                    )
                continue
            _clear_parents(work, rel)
            if not _is_regular(target):
                what = "deleted" if not target.exists() and not target.is_symlink() else "replaced"
                findings.append(Finding(path=str(rel), code="deleted", message=f"{what}; restored"))
                remove_path(target)
            elif source.read_bytes() != target.read_bytes():
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
            if harness_owned(rel, ctx.task, in_start=False):
                remove_path(work / rel)
                removed += 1
                message = (
                    "written where hidden tests go; removed"
                    if _under(rel, HIDDEN_TESTS_DIR)
                    else "added; removed"
                )
                findings.append(Finding(path=str(rel), code="added", message=message))
        counts = {
            "restored": restored,
            "removed": removed,
            "helpers_changed": helpers_changed,
            "tool_config_changed": int(tool_config_changed),
        }
        undone = restored + removed
        summary = (
            "no harness-owned path touched"
            if not undone
            else f"{restored} harness-owned file(s) restored, {removed} removed"
        )
        if helpers_changed:
            summary += f"; {helpers_changed} test helper(s) changed (the agent's; kept)"
        return CheckResult(
            name=self.name,
            passed=True,
            can_fail=self.can_fail,
            summary=summary,
            counts=counts,
            findings=findings,
            duration_s=watch.elapsed,
        )


def _remove_unreadable_names(work: Path) -> list[Finding]:
    """Files and folders whose names are not UTF-8 text: no module has one, and the tools
    (mypy, import-linter) crash on them. They are removed, so they cannot turn a failing trial
    into an infrastructure error."""
    findings: list[Finding] = []
    for dirpath, dirnames, filenames in os.walk(work):
        for name in [*dirnames, *filenames]:
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                path = Path(dirpath) / name
                rel = path.relative_to(work).as_posix().encode("utf-8", "replace").decode()
                remove_path(path)
                findings.append(
                    Finding(
                        path=rel, code="added", message="a file name that is not UTF-8; removed"
                    )
                )
        dirnames[:] = [d for d in dirnames if (Path(dirpath) / d).is_dir()]
    return findings


def _differs(a: Path, b: Path) -> bool:
    return not _is_regular(b) or a.read_bytes() != b.read_bytes()
