"""This project's scorer as an Inspect scorer, run on the host, outside the agent's reach.

The final tree leaves the sandbox as a diff against the starting commit (``git add --all`` then
``git diff --cached --binary``, run through ``sandbox().exec``, so any provider works), is
applied to a fresh starting repository on the host, and is scored there by
:func:`harness.scoring.scorer.score`: the hidden tests never enter the sandbox. The value is
``resolved`` (1 or 0); the full :class:`ScoreResult`, the diff and the skill files the agent
opened are kept in the score's metadata, which is what ``skill-eval report`` reads back. A
failure to get or score the tree is that sample's infrastructure error: a score that says so,
never resolved, and the eval goes on.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path
from typing import Any

from inspect_ai.model import ChatMessageAssistant
from inspect_ai.scorer import Score, Scorer, Target, accuracy, scorer, stderr
from inspect_ai.solver import TaskState
from inspect_ai.util import concurrency, sandbox

from harness.inspect_task.dataset import METADATA_KEY, SampleInfo
from harness.scoring.scorer import score
from harness.task.loader import load_task
from harness.workspace.prepare import apply_patch, prepare

STORE_START = "skill_eval:start_commit"
STORE_SKILL_DIR = "skill_eval:skill_dir"
SCORING_JOBS = 2  # scoring is CPU-bound: at most this many samples score at once
MAX_DIFF_CHARS = 400_000  # the diff kept in the log for the reports' evidence

# The sandbox's own git configuration could run commands (core.fsmonitor, hooks): switched off.
_GIT = ["git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"]


class ScoringError(Exception):
    """The tree could not be read or scored: an infrastructure error, not the agent's."""


async def final_diff(start_commit: str) -> str:
    """The sample's change against the starting commit, new files included, binary-safe."""
    box = sandbox()
    added = await box.exec([*_GIT, "add", "--all"], timeout=300)
    if not added.success:
        raise ScoringError(f"git add in the sandbox failed: {added.stderr.strip()}")
    diff = await box.exec(
        [*_GIT, "diff", "--cached", "--binary", "--no-color", "--no-ext-diff", start_commit],
        timeout=300,
    )
    if not diff.success:
        raise ScoringError(f"git diff in the sandbox failed: {diff.stderr.strip()}")
    return diff.stdout


def score_diff(task_id: str, diff: str) -> dict[str, Any]:
    """Apply ``diff`` to a fresh starting repository on the host and score it (blocking)."""
    task = load_task(task_id)
    with tempfile.TemporaryDirectory(prefix="skill-eval-inspect-score-") as tmp:
        workspace = prepare(task, Path(tmp) / "repo")
        if diff.strip():
            patch = Path(tmp) / "change.patch"
            patch.write_text(diff, encoding="utf-8")
            apply_patch(patch, workspace)
        return score(task, workspace).model_dump(mode="json")


def skill_reads(messages: list[Any], skill_dir: str | None) -> list[str]:
    """Skill files (relative to the skill folder) any tool call named, in first-seen order."""
    if not skill_dir:
        return []
    pattern = re.compile(re.escape(skill_dir.rstrip("/")) + r"/([\w./-]+\.md)")
    reads: list[str] = []
    for message in messages:
        if not isinstance(message, ChatMessageAssistant):
            continue
        for call in message.tool_calls or []:
            for value in call.arguments.values():
                for match in pattern.finditer(str(value)):
                    if match.group(1) not in reads:
                        reads.append(match.group(1))
    return reads


@scorer(metrics=[accuracy(), stderr()])
def skill_eval_scorer() -> Scorer:
    """``resolved`` as the value, the full ScoreResult in the metadata (see module docstring)."""

    async def run(state: TaskState, target: Target) -> Score:
        info = SampleInfo.model_validate(state.metadata[METADATA_KEY])
        skill_dir = state.store.get(STORE_SKILL_DIR)
        meta: dict[str, Any] = {
            "skill_reads": skill_reads(state.messages, skill_dir),
            "diff": "",
            "score": None,
            "scoring_error": None,
        }
        try:
            start = state.store.get(STORE_START)
            if not start:
                raise ScoringError("the sample has no starting commit (its setup did not run)")
            diff = await final_diff(str(start))
            meta["diff"] = diff[:MAX_DIFF_CHARS]
            async with concurrency("skill-eval-scoring", SCORING_JOBS):
                result = await asyncio.to_thread(score_diff, info.task_id, diff)
        except Exception as exc:  # any failure here is the harness's, never the agent's
            meta["scoring_error"] = f"{type(exc).__name__}: {exc}"
            return Score(
                value=0,
                explanation=f"infrastructure error, no verdict: {meta['scoring_error']}",
                metadata={METADATA_KEY: meta},
            )
        meta["score"] = result
        failed = [c["name"] for c in result["checks"] if c["can_fail"] and not c["passed"]]
        explanation = "resolved" if result["resolved"] else f"failed: {', '.join(failed)}"
        if result.get("infra_error"):
            explanation = f"no verdict: {result['infra_error']}"
        return Score(
            value=1 if result["resolved"] else 0,
            answer=f"{meta['diff'].count(chr(10))} diff lines",
            explanation=explanation,
            metadata={METADATA_KEY: meta},
        )

    return run
