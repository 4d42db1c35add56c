"""The validation ledger: which tasks were proved valid, against exactly what.

``validate`` is the slowest part of ``make test`` (every task's reference, empty change,
negatives and alternatives are scored). A task whose proof still holds need not be proved again:
the ledger (``evals/validated.json``, committed) maps each task to the key of its last passing
validation. The key covers everything a verdict depends on: the task folder and its starting
repository (the task's content hash), the scoring code (``harness/scoring``, ``harness/task``,
``harness/workspace``, ``harness/validity.py``), the tool and library versions, and the number
of oracle runs. Change any of them and the task is validated again; an invalid task is never
recorded.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import HarnessError
from harness.paths import REPO_ROOT
from harness.scoring.baseline import tool_versions
from harness.task.model import Task

SCORING_CODE = ("harness/scoring", "harness/task", "harness/workspace", "harness/validity.py")


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    validated_at: str
    summary: str


class Ledger(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tasks: dict[str, Entry] = {}


def scoring_code_digest(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for name in SCORING_CODE:
        base = root / name
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def validation_key(task: Task, oracle_runs: int, code_digest: str) -> str:
    parts = [task.content_hash, code_digest, tool_versions(), oracle_runs]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def load(path: Path) -> Ledger:
    if not path.is_file():
        return Ledger()
    try:
        return Ledger.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise HarnessError(f"{path}: field '{where}': {err['msg']}") from None


def record(path: Path, ledger: Ledger, task_id: str, key: str, summary: str) -> None:
    """Add one task's passing validation and write the ledger atomically."""
    from harness.store.run_store import write_atomic

    ledger.tasks[task_id] = Entry(
        key=key, validated_at=datetime.now(UTC).strftime("%Y-%m-%d"), summary=summary
    )
    ordered = Ledger(tasks=dict(sorted(ledger.tasks.items())))
    write_atomic(path, ordered.model_dump_json(indent=2) + "\n")
