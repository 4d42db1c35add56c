"""Open run directories for reading, without touching them (a run may still be in progress).

An Inspect eval log (``.eval`` or ``.json``), or a folder of them, is read as one run too
(:mod:`harness.inspect_task.logs`, with the ``inspect`` extra installed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from harness.errors import HarnessError
from harness.store.models import RunManifest, TrialRecord
from harness.store.run_store import MANIFEST, RunStore


class TrialEvidence(Protocol):
    """Where a run keeps each trial's transcript and diff (a run store, or an Inspect log)."""

    def transcript(self, key: str) -> list[dict[str, Any]]: ...

    def diff(self, key: str) -> str: ...


@dataclass(frozen=True)
class Run:
    """One run directory: a unique label (its run id), its manifest and its trial records."""

    label: str
    path: Path
    store: TrialEvidence
    manifest: RunManifest
    records: tuple[TrialRecord, ...]

    @property
    def planned(self) -> int:
        """Trials the run set out to make: tasks x models x arms x epochs."""
        m = self.manifest
        return len(m.tasks) * len(m.models) * len(m.arms) * m.epochs

    @property
    def missing(self) -> int:
        """Planned trials with no record yet (a run stopped early or still going)."""
        return max(0, self.planned - len({r.key for r in self.records}))

    def matches(self, name: str) -> bool:
        """Whether ``name`` (a run id, a directory name or the path given) names this run."""
        return name in (self.label, self.manifest.run_id, self.path.name, str(self.path))


def is_inspect_log(path: Path) -> bool:
    """An Inspect log file, or a folder of them that is not a run directory."""
    if path.is_file():
        return path.suffix in (".eval", ".json")
    return (
        path.is_dir()
        and not (path / MANIFEST).is_file()
        and any(p.suffix in (".eval", ".json") for p in path.iterdir())
    )


def load_run(path: Path) -> Run:
    if is_inspect_log(path):
        try:
            from harness.inspect_task.logs import load_inspect_run
        except ImportError:
            raise HarnessError(
                f"{path}: reading an Inspect log needs the inspect extra"
                " (pip install 'skill-eval[inspect]')"
            ) from None
        return load_inspect_run(path)
    # RunStore.open would sweep half-written trials, which belong to a run still in progress.
    if not (path / MANIFEST).is_file():
        raise HarnessError(
            f"{path}: not a run directory (no {MANIFEST}) nor an Inspect log (.eval, .json)"
        )
    store = RunStore(path)
    manifest = store.manifest()
    return Run(manifest.run_id, path, store, manifest, tuple(store.records()))


def load_runs(paths: Sequence[Path]) -> list[Run]:
    """Load runs in order; a run id seen twice gets a ``#2`` suffix so labels stay unique."""
    runs: list[Run] = []
    seen: dict[str, int] = {}
    for path in paths:
        run = load_run(path)
        count = seen[run.label] = seen.get(run.label, 0) + 1
        runs.append(run if count == 1 else replace(run, label=f"{run.label}#{count}"))
    return runs
