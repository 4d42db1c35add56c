"""The check plug-in protocol and what every check receives."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from harness.scoring.result import CheckResult, Finding
from harness.task.model import CheckName, Task


@dataclass(frozen=True)
class Baseline:
    """What the starting repository looks like to the static checks, computed once per task."""

    start: Path  # the starting repository's files
    mypy_cache: Path  # a mypy cache warmed on the starting repository
    ruff: tuple[Finding, ...]
    mypy: tuple[Finding, ...]
    layers: tuple[Finding, ...]
    visible_tests: tuple[str, ...]  # repo-relative paths of the start's visible test files


@dataclass(frozen=True)
class ScoringContext:
    task: Task
    baseline: Baseline
    workdir: Path  # a fresh copy of the workspace, with hidden tests added; checks may read it
    scratch: Path  # outside the workdir: JUnit files, mypy cache copies

    def scratch_for(self, name: str) -> Path:
        path = self.scratch / name
        path.mkdir(parents=True, exist_ok=True)
        return path


class Check(Protocol):
    """A scoring check. ``mutates`` checks run first and alone; the others run concurrently."""

    name: ClassVar[CheckName]
    can_fail: ClassVar[bool]
    mutates: ClassVar[bool]

    def applies(self, task: Task) -> bool: ...

    def run(self, ctx: ScoringContext) -> CheckResult: ...


class Stopwatch:
    def __init__(self) -> None:
        self._start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return round(time.monotonic() - self._start, 3)


def introduced(current: Iterable[Finding], baseline: Iterable[Finding]) -> list[Finding]:
    """The findings in ``current`` beyond those the baseline already had (compared by key)."""
    allowance = Counter(f.key() for f in baseline)
    extra: list[Finding] = []
    for finding in current:
        key = finding.key()
        if allowance[key] > 0:
            allowance[key] -= 1
        else:
            extra.append(finding)
    return extra
