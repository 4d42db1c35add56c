"""Open run directories for reading, without touching them (a run may still be in progress)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from harness.errors import HarnessError
from harness.store.models import RunManifest, TrialRecord
from harness.store.run_store import MANIFEST, RunStore


@dataclass(frozen=True)
class Run:
    """One run directory: a unique label (its run id), its manifest and its trial records."""

    label: str
    path: Path
    store: RunStore
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


def load_run(path: Path) -> Run:
    # RunStore.open would sweep half-written trials, which belong to a run still in progress.
    if not (path / MANIFEST).is_file():
        raise HarnessError(f"{path}: not a run directory (no {MANIFEST})")
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
