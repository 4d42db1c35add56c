"""Agents that need no model: the reference solution, no change, and a given patch."""

from __future__ import annotations

import hashlib
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass
class PatchAgent:
    """Applies a unified diff (e.g. one an external agent produced) with ``git apply``."""

    patch: Path
    name: str = "patch"
    model: str = field(init=False)

    def __post_init__(self) -> None:
        if not self.patch.is_file():
            raise HarnessError(f"--patch {self.patch}: file not found")
        self.model = "patch-" + hashlib.sha256(self.patch.read_bytes()).hexdigest()[:12]

    def settings(self) -> dict[str, Any]:
        return {"patch_sha256": hashlib.sha256(self.patch.read_bytes()).hexdigest()}

    def run(self, request: AgentRequest) -> AgentResult:
        done = subprocess.run(
            ["git", "apply", "--whitespace=nowarn", str(self.patch.resolve())],
            cwd=request.workspace,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return AgentResult(status="completed", detail=f"patch did not apply: {done.stderr}")
        return AgentResult(status="completed")
