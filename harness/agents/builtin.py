"""Agents that need no model: the reference solution, no change, and given patches.

:class:`PatchAgent` applies one diff to every trial, or replays a folder of recorded solutions
(work an agent did elsewhere, e.g. blind solvers), one diff per task, arm and epoch (from 1)::

    DIR/solver.json                        {"model": "blind-solvers-2026-11", "notes": "..."}
    DIR/<task>/<arm>-<epoch>.patch         the solution, a diff onto the starting repository
    DIR/<task>/<arm>-<epoch>.json          optional: {"turns": 41, "wall_s": 600,
                                           "skill_reads": ["SKILL.md", "references/x.md"]}

A trial with no recorded solution is an infrastructure error (nothing to replay), never a
failure of the solver.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.agents.base import AgentRequest
from harness.errors import HarnessError
from harness.store.models import AgentResult
from harness.workspace.prepare import apply_solution


@dataclass
class OracleAgent:
    """Applies the task's reference solution: the upper bound every task must reach."""

    name: str = "oracle"
    model: str = "oracle"

    def settings(self) -> dict[str, Any]:
        return {}

    def run(self, request: AgentRequest) -> AgentResult:
        started = time.monotonic()
        apply_solution(request.task, request.workspace)
        return AgentResult(status="completed", wall_s=round(time.monotonic() - started, 3))


@dataclass
class NopAgent:
    """Changes nothing: every valid task must fail it."""

    name: str = "nop"
    model: str = "nop"

    def settings(self) -> dict[str, Any]:
        return {}

    def run(self, request: AgentRequest) -> AgentResult:
        return AgentResult(status="completed")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SolverInfo(_Strict):
    """``solver.json``: who produced a folder of recorded solutions."""

    model: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    notes: str = ""


class SolutionRecord(_Strict):
    """``<arm>-<epoch>.json``: the solver's own record of one solution."""

    turns: int = Field(default=0, ge=0)
    wall_s: float = Field(default=0.0, ge=0)
    skill_reads: list[str] = []
    notes: str = ""


def _load(model: type[_Strict], path: Path) -> Any:
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "the document"
        raise HarnessError(f"{path}: field '{where}': {err['msg']}") from None


def _digest(root: Path) -> str:
    """sha256 of a patch file, or of a folder's relative paths and file contents."""
    if root.is_file():
        return hashlib.sha256(root.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@dataclass
class PatchAgent:
    """Applies a unified diff with ``git apply``: one file for every trial, or a folder of
    recorded solutions replayed per task, arm and epoch (see the module docstring)."""

    patch: Path
    name: str = "patch"
    model: str = field(init=False)
    _sha256: str = field(init=False, repr=False)  # hashed once, not per planned trial

    def __post_init__(self) -> None:
        if self.patch.is_dir():
            info = self.patch / "solver.json"
            if not info.is_file():
                raise HarnessError(f"--patch {self.patch}: a folder of solutions needs solver.json")
            self.model = _load(SolverInfo, info).model
        elif not self.patch.is_file():
            raise HarnessError(f"--patch {self.patch}: file not found")
        self._sha256 = _digest(self.patch)
        if self.patch.is_file():
            self.model = "patch-" + self._sha256[:12]

    def settings(self) -> dict[str, Any]:
        return {"patch_sha256": self._sha256}

    def run(self, request: AgentRequest) -> AgentResult:
        record = SolutionRecord()
        patch = self.patch
        if self.patch.is_dir():
            stem = self.patch / request.task.id / f"{request.arm}-{request.epoch}"
            patch = stem.with_suffix(".patch")
            if not patch.is_file():
                return AgentResult(
                    status="infra_error", detail=f"no recorded solution: {patch} is missing"
                )
            if stem.with_suffix(".json").is_file():
                record = _load(SolutionRecord, stem.with_suffix(".json"))
        replayed = AgentResult(
            status="completed",
            turns=record.turns,
            wall_s=record.wall_s,
            skill_reads=record.skill_reads if request.arm != "baseline" else [],
            detail=record.notes,
        )
        if not patch.read_text(encoding="utf-8", errors="replace").strip():
            return replayed  # the solver changed nothing
        done = subprocess.run(
            ["git", "apply", "--whitespace=nowarn", str(patch.resolve())],
            cwd=request.workspace,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return replayed.model_copy(update={"detail": f"patch did not apply: {done.stderr}"})
        return replayed
