"""The agent protocol: a prepared workspace, the task prompt and the arm in; a result out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harness.store.models import AgentResult, Arm
from harness.task.model import Task


@dataclass(frozen=True)
class SkillBundle:
    """The skill as an agent receives it in the skill and inline arms."""

    name: str
    description: str
    body: str  # SKILL.md without its frontmatter
    folder: Path  # a per-trial copy: SKILL.md + references/
    content_hash: str


@dataclass(frozen=True)
class Limits:
    max_turns: int = 60
    max_output_tokens: int = 16_000
    wall_seconds: float = 1800.0
    command_timeout_s: float = 120.0


@dataclass(frozen=True)
class AgentRequest:
    task: Task
    workspace: Path
    arm: Arm
    skill: SkillBundle | None
    limits: Limits
    hidden: tuple[Path, ...]  # directories the agent must never read
    epoch: int = 0


class Agent(Protocol):
    name: str
    model: str

    def settings(self) -> dict[str, Any]:
        """What determines this agent's behaviour (part of every trial's key)."""
        ...

    def run(self, request: AgentRequest) -> AgentResult: ...
