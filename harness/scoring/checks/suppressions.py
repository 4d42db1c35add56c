"""New ways of silencing a check, counted in the change (reported, never failing by itself).

Counted per silenced unit: a line-level comment counts once, a comment that silences a whole
file counts the file's lines, and the ``else`` branch of ``if TYPE_CHECKING:`` (which mypy never
checks) counts its lines.
"""

from __future__ import annotations

import ast
import difflib
import re
from typing import ClassVar

from harness.scoring.checks.base import ScoringContext, Stopwatch
from harness.scoring.checks.tamper import HIDDEN_TESTS_DIR
from harness.scoring.result import CheckResult, Finding
from harness.task.model import CheckName, Task
from harness.workspace.tree import iter_files, read_text_or_none

PATTERNS: dict[str, re.Pattern[str]] = {
    "type_ignore": re.compile(r"#\s*type:\s*ignore"),
    "noqa": re.compile(r"#\s*(?:ruff:\s*|flake8:\s*)?noqa", re.IGNORECASE),
    "mypy_inline_config": re.compile(r"#\s*mypy:"),
    "any": re.compile(r"\bAny\b"),
    "cast": re.compile(r"\bcast\("),
    "no_type_check": re.compile(r"\bno_type_check\b"),
}
_COMMENT_KINDS = frozenset({"type_ignore", "noqa", "mypy_inline_config"})
# A comment that silences a whole file: it counts every line of the file, not one.
FILE_WIDE = re.compile(
    r"^\s*#\s*(?:(?:ruff|flake8):\s*noqa\s*$|mypy:\s*ignore-errors|type:\s*ignore\s*$)",
    re.IGNORECASE,
)
KINDS = (*PATTERNS, "file_wide_lines", "unchecked_branch_lines")


def _unchecked_branches(source: str) -> list[tuple[int, int]]:
    """(first, last) lines of ``else`` branches of ``if TYPE_CHECKING:``: mypy skips them."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    spans: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.If) or not node.orelse:
            continue
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            first, last = node.orelse[0].lineno, node.orelse[-1].end_lineno or node.lineno
            spans.append((first, last))
    return spans


def _code_part(line: str) -> str:
    """The line without a trailing comment (good enough: '#' inside strings is rare here)."""
    return line.split("#", 1)[0]


def added_lines(before: str | None, after: str) -> list[tuple[int, str]]:
    old = (before or "").splitlines()
    new = after.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    added: list[tuple[int, str]] = []
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            added.extend((j + 1, new[j]) for j in range(j1, j2))
    return added


class SuppressionsCheck:
    name: ClassVar[CheckName] = "suppressions"
    can_fail: ClassVar[bool] = False
    mutates: ClassVar[bool] = False

    def applies(self, task: Task) -> bool:
        return True

    def run(self, ctx: ScoringContext) -> CheckResult:
        watch = Stopwatch()
        counts = dict.fromkeys(KINDS, 0)
        findings: list[Finding] = []
        for rel in iter_files(ctx.workdir):
            posix = rel.as_posix()
            if rel.suffix != ".py" or posix.startswith(HIDDEN_TESTS_DIR + "/"):
                continue
            after = read_text_or_none(ctx.workdir / rel) or ""
            before = read_text_or_none(ctx.baseline.start / rel)
            if before == after:
                continue
            added = added_lines(before, after)
            added_numbers = {n for n, _ in added}
            for lineno, line in added:
                if FILE_WIDE.search(line):
                    silenced = len(after.splitlines())
                    counts["file_wide_lines"] += silenced
                    message = f"{line.strip()[:120]} (silences all {silenced} lines)"
                    findings.append(
                        Finding(path=posix, line=lineno, code="file_wide", message=message)
                    )
            for first, last in _unchecked_branches(after):
                if first in added_numbers:
                    counts["unchecked_branch_lines"] += last - first + 1
                    findings.append(
                        Finding(
                            path=posix,
                            line=first,
                            code="unchecked_branch",
                            message=f"else branch of if TYPE_CHECKING: lines {first}-{last}"
                            " are never type-checked",
                        )
                    )
            for lineno, line in added:
                for kind, pattern in PATTERNS.items():
                    text = line if kind in _COMMENT_KINDS else _code_part(line)
                    if pattern.search(text):
                        counts[kind] += 1
                        findings.append(
                            Finding(path=posix, line=lineno, code=kind, message=line.strip()[:200])
                        )
        total = sum(counts.values())
        summary = (
            "no new suppressions"
            if not total
            else ", ".join(f"{n} {k}" for k, n in counts.items() if n) + " added"
        )
        return CheckResult(
            name=self.name,
            passed=True,
            can_fail=False,
            summary=summary,
            counts=counts,
            findings=findings,
            duration_s=watch.elapsed,
        )
