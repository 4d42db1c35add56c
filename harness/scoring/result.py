"""The typed result of scoring a workspace, written as JSON."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from harness.task.model import CheckName


class Finding(BaseModel):
    """One thing a check found: a lint violation, a type error, a broken chain, a failing test."""

    model_config = ConfigDict(frozen=True)

    path: str | None = None
    line: int | None = None
    code: str | None = None
    message: str

    def key(self) -> tuple[str, str, str]:
        """Identity for baseline comparison: line numbers move when code is added above."""
        return (self.path or "", self.code or "", self.message)

    def render(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path and self.line else ""
        where = where or (f"{self.path}: " if self.path else "")
        code = f"[{self.code}] " if self.code else ""
        return f"{where}{code}{self.message}"


class CheckResult(BaseModel):
    name: CheckName
    passed: bool
    can_fail: bool
    summary: str
    counts: dict[str, int] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    duration_s: float = 0.0
    isolation: str | None = None
    error: str | None = Field(
        default=None, description="set when the check itself could not run (not the agent's fault)"
    )


class ProbeOutcome(BaseModel):
    """One quality probe's outcome on one solution."""

    model_config = ConfigDict(frozen=True)

    name: str
    reference: str
    passed: bool
    message: str = ""


class QualityResult(BaseModel):
    """The share of the task's quality probes a solution passed; never part of ``resolved``."""

    probes: list[ProbeOutcome]

    @property
    def passed(self) -> int:
        return sum(p.passed for p in self.probes)

    @property
    def share(self) -> float:
        return self.passed / len(self.probes) if self.probes else 0.0


class ScoreResult(BaseModel):
    task_id: str
    task_hash: str
    harness_version: str
    resolved: bool
    checks: list[CheckResult]
    duration_s: float
    workspace: str
    infra_error: str | None = Field(
        default=None,
        description="a check or stage did not finish: no verdict (resolved is then false)",
    )
    quality: QualityResult | None = Field(
        default=None, description="the task's quality probes (None: the task has none)"
    )

    def check(self, name: CheckName) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def failed_checks(self) -> list[str]:
        return [c.name for c in self.checks if c.can_fail and not c.passed]
