"""What a run stores: its manifest and one record per trial (task x arm x model x epoch)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.scoring.result import ScoreResult

Arm = Literal["baseline", "skill", "inline"]
ARMS: tuple[Arm, ...] = ("baseline", "skill", "inline")
AgentStatus = Literal["completed", "turn_limit", "time_limit", "token_limit", "infra_error"]


class Usage(BaseModel):
    """Token usage summed over an agent's API calls, and its cost from the price table."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = Field(default=0, description="calls whose model has no price entry")

    def plus(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
            unpriced_calls=self.unpriced_calls + other.unpriced_calls,
        )


class AgentResult(BaseModel):
    """What an agent returns: how it ended, what it cost, what it read, what it was refused."""

    status: AgentStatus
    detail: str = ""
    turns: int = 0
    wall_s: float = 0.0
    usage: Usage = Field(default_factory=Usage)
    skill_reads: list[str] = Field(
        default_factory=list, description="skill files opened, relative to the skill folder"
    )
    refused: list[str] = Field(
        default_factory=list, description="tool calls refused: escapes, hidden-test reads"
    )
    retries: list[str] = Field(default_factory=list, description="API retries and their causes")
    transcript: list[dict[str, Any]] = Field(default_factory=list, exclude=True)

    @property
    def infra_error(self) -> bool:
        return self.status == "infra_error"


class TrialSpec(BaseModel):
    """Everything that determines a trial. Its hash is the trial's key."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    task_hash: str
    arm: Arm
    agent: str
    model: str
    agent_settings: dict[str, Any]
    skill_hash: str | None
    harness_version: str
    epoch: int

    def key(self) -> str:
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:20]

    def settings_fingerprint(self) -> str:
        """The part that must match for trials to belong to one run (all but task and epoch)."""
        data = self.model_dump(mode="json", exclude={"task_id", "task_hash", "epoch", "arm"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


class TrialRecord(BaseModel):
    key: str
    spec: TrialSpec
    agent: AgentResult
    score: ScoreResult | None = None
    started_at: datetime
    finished_at: datetime
    diff_lines: int = 0
    scoring_error: str | None = None  # the scorer crashed or a check did not finish

    @property
    def infra_error(self) -> bool:
        return (
            self.agent.infra_error
            or self.scoring_error is not None
            or (self.score is not None and self.score.infra_error is not None)
        )

    @property
    def resolved(self) -> bool:
        return self.score is not None and self.score.resolved


class RunManifest(BaseModel):
    run_id: str
    created_at: datetime
    harness_version: str
    tool_versions: dict[str, str]
    agent: str
    models: list[str]
    arms: list[Arm]
    epochs: int
    tasks: dict[str, str] = Field(description="task id -> content hash")
    skill_hash: str | None
    skill_dir: str | None
    agent_settings: dict[str, Any]
    settings_fingerprints: dict[str, str] = Field(
        default_factory=dict, description="model -> fingerprint of the trial settings"
    )
