"""A run directory on disk.

    <run>/manifest.json
    <run>/trials/<key>/trial.json        the TrialRecord (agent result and score)
    <run>/trials/<key>/transcript.json   the agent's conversation
    <run>/trials/<key>/diff.patch        what the agent changed

A trial directory is written under a temporary name and renamed into place, so a crash or
Ctrl-C leaves either a whole trial or nothing; leftovers of interrupted writes are swept on open.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import HarnessError
from harness.store.models import RunManifest, TrialRecord

MANIFEST = "manifest.json"
TRIALS = "trials"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a run is for sharing
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RunStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def create(cls, root: Path, manifest: RunManifest) -> RunStore:
        if root.exists() and any(root.iterdir()):
            raise HarnessError(f"--run-dir {root}: exists and is not empty (use --resume)")
        store = cls(root)
        (root / TRIALS).mkdir(parents=True, exist_ok=True)
        write_atomic(root / MANIFEST, manifest.model_dump_json(indent=2))
        return store

    @classmethod
    def open(cls, root: Path) -> RunStore:
        if not (root / MANIFEST).is_file():
            raise HarnessError(f"{root}: not a run directory (no {MANIFEST})")
        store = cls(root)
        store.sweep()
        return store

    def manifest(self) -> RunManifest:
        path = self.root / MANIFEST
        try:
            return RunManifest.model_validate_json(path.read_text())
        except ValidationError as exc:
            raise HarnessError(f"{path}: invalid manifest ({exc.errors()[0]['msg']})") from None

    def update_manifest(self, manifest: RunManifest) -> None:
        write_atomic(self.root / MANIFEST, manifest.model_dump_json(indent=2))

    def sweep(self) -> None:
        """Remove half-written trial directories left by an interrupted run."""
        trials = self.root / TRIALS
        if trials.is_dir():
            for leftover in trials.glob(".tmp-*"):
                shutil.rmtree(leftover, ignore_errors=True)

    def trial_dir(self, key: str) -> Path:
        return self.root / TRIALS / key

    def records(self) -> Iterator[TrialRecord]:
        trials = self.root / TRIALS
        if not trials.is_dir():
            return
        for path in sorted(trials.glob("*/trial.json")):
            try:
                yield TrialRecord.model_validate_json(path.read_text())
            except ValidationError as exc:
                raise HarnessError(
                    f"{path}: invalid trial record ({exc.errors()[0]['msg']})"
                ) from None

    def keys(self) -> set[str]:
        return {p.parent.name for p in (self.root / TRIALS).glob("*/trial.json")}

    def transcript(self, key: str) -> list[dict[str, Any]]:
        path = self.trial_dir(key) / "transcript.json"
        if not path.is_file():
            return []
        data: list[dict[str, Any]] = json.loads(path.read_text())
        return data

    def diff(self, key: str) -> str:
        path = self.trial_dir(key) / "diff.patch"
        return path.read_text() if path.is_file() else ""

    def save(self, record: TrialRecord, transcript: list[dict[str, Any]], diff: str) -> None:
        final = self.trial_dir(record.key)
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{record.key}-", dir=self.root / TRIALS))
        try:
            (staging / "transcript.json").write_text(json.dumps(transcript, indent=1, default=str))
            (staging / "diff.patch").write_text(diff)
            (staging / "trial.json").write_text(record.model_dump_json(indent=2))
            if final.exists():  # a retried infrastructure failure replaces its old record
                shutil.rmtree(final)
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def discard(self, key: str) -> None:
        shutil.rmtree(self.trial_dir(key), ignore_errors=True)
