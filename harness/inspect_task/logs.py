"""Inspect eval logs as runs: what ``skill-eval report``, ``compare`` and ``failures`` read.

A log file (``.eval`` or ``.json``), or a folder of them read as one run (so the baseline and
skill arms of ``inspect eval-set`` or of two ``inspect eval`` calls pair up), becomes the same
:class:`~harness.report.runs.Run` a run directory gives: one :class:`TrialRecord` per sample
and epoch, with the :class:`ScoreResult` the scorer kept in the score's metadata, the agent's
turns, time and token usage, the skill files it opened, its diff and its conversation. A log
whose samples carry no skill-eval metadata is refused with a one-line error naming the file,
and so are logs of one folder that disagree on a task's hash, or on the skill's hash for the
same model and arm.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspect_ai.log import EvalLog, EvalSample, read_eval_log
from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool
from pydantic import ValidationError

from harness.agents.pricing import load_prices
from harness.errors import HarnessError
from harness.inspect_task.dataset import METADATA_KEY, SampleInfo
from harness.report.runs import Run
from harness.scoring.result import ScoreResult
from harness.store.models import (
    AgentResult,
    AgentStatus,
    Arm,
    RunManifest,
    TrialRecord,
    TrialSpec,
    Usage,
)

AGENT = "inspect"
SCORER = "skill_eval_scorer"
_LIMITS: dict[str, AgentStatus] = {
    "message": "turn_limit",
    "token": "token_limit",
    "context": "token_limit",
    "time": "time_limit",
    "working": "time_limit",
}
_NOT_LOGS = {"logs.json", "eval-set.json"}  # what an eval-set folder keeps beside its logs


class LogEvidence:
    """Transcripts and diffs of the trials read from Inspect logs, by trial key."""

    def __init__(self) -> None:
        self.transcripts: dict[str, list[dict[str, Any]]] = {}
        self.diffs: dict[str, str] = {}

    def transcript(self, key: str) -> list[dict[str, Any]]:
        return self.transcripts.get(key, [])

    def diff(self, key: str) -> str:
        return self.diffs.get(key, "")


def log_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = [p for p in sorted(path.iterdir()) if p.suffix in (".eval", ".json")]
    return [p for p in files if p.name not in _NOT_LOGS]


def _read(path: Path) -> EvalLog:
    try:
        return read_eval_log(str(path))
    except Exception as exc:  # any reader failure: the file is not a readable Inspect log
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HarnessError(f"{path}: not a readable Inspect eval log ({reason})") from None


def _info(path: Path, sample: EvalSample) -> SampleInfo:
    raw = sample.metadata.get(METADATA_KEY)
    if raw is None:
        raise HarnessError(
            f"{path}: not a skill-eval Inspect log (sample {sample.id!r} has no"
            f" '{METADATA_KEY}' metadata; run the skill_eval/backend task)"
        )
    try:
        return SampleInfo.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise HarnessError(
            f"{path}: sample {sample.id!r}: metadata field '{METADATA_KEY}.{where}': {err['msg']}"
        ) from None


def _time(value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return default
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _usage(sample: EvalSample, turns: int) -> Usage:
    prices = load_prices()
    total = Usage()
    for model, used in sample.model_usage.items():
        call = Usage(
            calls=turns,
            input_tokens=used.input_tokens,
            output_tokens=used.output_tokens,
            cache_read_tokens=used.input_tokens_cache_read or 0,
            cache_write_tokens=used.input_tokens_cache_write or 0,
        )
        name = model.split("/", 1)[-1]  # "anthropic/claude-sonnet-4-6" -> the price table's key
        if used.total_cost is not None:
            call.cost_usd = used.total_cost
        elif prices.price(name) is not None:
            call.cost_usd = prices.cost(name, call)
        else:
            call.unpriced_calls = turns
        total = total.plus(call)
    return total


def _status(sample: EvalSample) -> tuple[AgentStatus, str]:
    if sample.error is not None:
        return "infra_error", sample.error.message.strip().splitlines()[0][:500]
    if sample.limit is not None:
        return _LIMITS.get(sample.limit.type, "turn_limit"), sample.limit.reason or ""
    return "completed", ""


def transcript(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Inspect's messages in the shape of the built-in agent's transcript (for the HTML report)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        blocks: list[dict[str, Any]] = []
        if isinstance(message, ChatMessageTool):
            text = message.error.message if message.error else message.text
            blocks.append({"type": "tool_result", "content": text})
            out.append({"role": "user", "content": blocks})
            continue
        if message.text:
            blocks.append({"type": "text", "text": message.text})
        if isinstance(message, ChatMessageAssistant):
            for call in message.tool_calls or []:
                blocks.append({"type": "tool_use", "name": call.function, "input": call.arguments})
        out.append({"role": message.role, "content": blocks})
    return out


def _record(path: Path, log: EvalLog, sample: EvalSample) -> tuple[TrialRecord, str, SampleInfo]:
    info = _info(path, sample)
    turns = sum(isinstance(m, ChatMessageAssistant) for m in sample.messages)
    status, detail = _status(sample)
    score = (sample.scores or {}).get(SCORER)
    meta: dict[str, Any] = ((score.metadata or {}) if score else {}).get(METADATA_KEY, {})
    result: ScoreResult | None = None
    scoring_error: str | None = meta.get("scoring_error")
    if meta.get("score") is not None:
        try:
            result = ScoreResult.model_validate(meta["score"])
        except ValidationError as exc:
            raise HarnessError(
                f"{path}: sample {sample.id!r} epoch {sample.epoch}: invalid score metadata"
                f" ({exc.errors()[0]['msg']})"
            ) from None
    elif status != "infra_error" and scoring_error is None:
        scoring_error = "the sample has no skill-eval score (scorer not run)"
    diff = str(meta.get("diff") or "")
    created = _time(log.eval.created, datetime.now(UTC))
    spec = TrialSpec(
        task_id=info.task_id,
        task_hash=info.task_hash,
        arm=info.arm,
        agent=AGENT,
        model=log.eval.model,
        agent_settings={"solver": log.eval.solver or "react", "task": log.eval.task},
        skill_hash=info.skill_hash,
        harness_version=info.harness_version,
        epoch=sample.epoch,
    )
    agent = AgentResult(
        status=status,
        detail=detail,
        turns=turns,
        wall_s=round(sample.total_time or 0.0, 3),
        usage=_usage(sample, turns),
        skill_reads=[str(r) for r in meta.get("skill_reads", [])] if info.arm != "baseline" else [],
    )
    record = TrialRecord(
        key=spec.key(),
        spec=spec,
        agent=agent,
        score=result,
        started_at=_time(sample.started_at, created),
        finished_at=_time(sample.completed_at, created),
        diff_lines=sum(1 for line in diff.splitlines() if line[:1] in "+-"),
        scoring_error=scoring_error,
    )
    return record, diff, info


def _same(
    seen: dict[tuple[str, str], tuple[str | None, Path]],
    key: tuple[str, str],
    value: str | None,
    file: Path,
) -> None:
    """Refuse to merge logs that disagree on a hash: a task's content, or the skill a model
    ran in one arm (the logs would be different experiments)."""
    first = seen.setdefault(key, (value, file))
    if first[0] != value:
        field, what = key
        raise HarnessError(
            f"{file}: {field} {value} for {what} differs from {first[0]} in {first[1]};"
            " these logs are not one run"
        )


def load_inspect_run(path: Path) -> Run:
    """A log file, or a folder of log files, as one run (see the module docstring)."""
    files = log_files(path)
    if not files:
        raise HarnessError(f"{path}: no Inspect logs (.eval, .json) in this folder")
    evidence = LogEvidence()
    records: dict[str, TrialRecord] = {}
    tasks: dict[str, str] = {}
    models: set[str] = set()
    arms: set[Arm] = set()
    epochs = 1
    skill_hash: str | None = None
    created: datetime | None = None
    run_id = path.name
    seen: dict[tuple[str, str], tuple[str | None, Path]] = {}
    for file in files:
        log = _read(file)
        if path.is_file():
            run_id = log.eval.run_id or log.eval.eval_id or path.stem
        samples = log.samples or []
        if not samples:
            raise HarnessError(f"{file}: an Inspect log with no samples (was it --no-log-samples?)")
        models.add(log.eval.model)
        epochs = max(epochs, log.eval.config.epochs or 1)
        when = _time(log.eval.created, datetime.now(UTC))
        created = when if created is None else min(created, when)
        for sample in samples:
            record, diff, info = _record(file, log, sample)
            _same(seen, ("task_hash", info.task_id), info.task_hash, file)
            _same(seen, ("skill_hash", f"{log.eval.model} {info.arm}"), info.skill_hash, file)
            tasks[info.task_id] = info.task_hash
            arms.add(info.arm)
            skill_hash = skill_hash or info.skill_hash
            # a sample retried in a later log replaces its earlier try
            records[record.key] = record
            evidence.diffs[record.key] = diff
            evidence.transcripts[record.key] = transcript(sample.messages)
    manifest = RunManifest(
        run_id=run_id,
        created_at=created or datetime.now(UTC),
        harness_version=next(iter(records.values())).spec.harness_version,
        tool_versions={},
        agent=AGENT,
        models=sorted(models),
        arms=[a for a in ("baseline", "skill", "inline") if a in arms],
        epochs=epochs,
        tasks=dict(sorted(tasks.items())),
        skill_hash=skill_hash,
        skill_dir=None,
        agent_settings={},
    )
    ordered = sorted(records.values(), key=lambda r: (r.spec.task_id, r.spec.arm, r.spec.epoch))
    return Run(manifest.run_id, path, evidence, manifest, tuple(ordered))
