"""New ways of silencing a check, counted in the change (reported, never failing by itself)."""

from __future__ import annotations

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
    "noqa": re.compile(r"#\s*(?:ruff:\s*)?noqa", re.IGNORECASE),
    "mypy_inline_config": re.compile(r"#\s*mypy:"),
    "any": re.compile(r"\bAny\b"),
    "cast": re.compile(r"\bcast\("),
}
_COMMENT_KINDS = frozenset({"type_ignore", "noqa", "mypy_inline_config"})


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
        counts = dict.fromkeys(PATTERNS, 0)
        findings: list[Finding] = []
        for rel in iter_files(ctx.workdir):
            posix = rel.as_posix()
            if rel.suffix != ".py" or posix.startswith(HIDDEN_TESTS_DIR + "/"):
                continue
            after = read_text_or_none(ctx.workdir / rel) or ""
            before = read_text_or_none(ctx.baseline.start / rel)
            if before == after:
                continue
            for lineno, line in added_lines(before, after):
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
