"""The per-task baseline: starting repository, warm mypy cache, and the static checks' findings.

Computed once per (task content, tool versions) and kept in the cache directory. Building is
guarded by a file lock so concurrent scorers of the same task wait for one build.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from harness import __version__
from harness.errors import HarnessError
from harness.paths import cache_dir
from harness.scoring.checks.base import Baseline
from harness.scoring.checks.static import (
    ToolError,
    copy_cache,
    layer_findings,
    mypy_findings,
    ruff_findings,
)
from harness.scoring.result import Finding
from harness.task.model import Task
from harness.workspace.prepare import build_start
from harness.workspace.tree import copy_tree, hash_trees, iter_files

_FORMAT = 3  # 2: mypy file cache instead of SQLite; 3: ruff ignores .gitignore/.ignore


@functools.cache
def tool_versions() -> dict[str, str]:
    versions = {"harness": __version__, "baseline_format": str(_FORMAT)}
    for dist in ("ruff", "mypy", "import-linter", "pytest", "pydantic", "fastapi", "sqlalchemy"):
        versions[dist] = metadata.version(dist)
    return versions


def _key(*parts: str) -> str:
    digest = hashlib.sha256(json.dumps([*parts, tool_versions()], sort_keys=True).encode())
    return digest.hexdigest()[:16]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_once(final: Path, build: Callable[[Path], None]) -> Path:
    if (final / "done").is_file():
        return final
    with _locked(final.with_name(final.name + ".lock")):
        if (final / "done").is_file():
            return final
        staging = Path(tempfile.mkdtemp(prefix=final.name + ".", dir=final.parent))
        try:
            build(staging)
            (staging / "done").write_text("ok\n")
            shutil.rmtree(final, ignore_errors=True)
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return final


def fixture_mypy_seed(fixture: Path) -> Path:
    """A mypy cache warmed on the fixture: the third-party modules dominate its cost."""
    final = cache_dir() / f"fixture-{_key(hash_trees(fixture))}"

    def seed(staging: Path) -> None:
        copy_tree(fixture, staging / "repo")
        try:
            mypy_findings(staging / "repo", staging / "mypy-cache")
        finally:
            shutil.rmtree(staging / "repo", ignore_errors=True)

    return _build_once(final, seed) / "mypy-cache"


def ensure_baseline(task: Task) -> Baseline:
    seed = fixture_mypy_seed(task.fixture)
    final = cache_dir() / "tasks" / f"{task.id}-{_key(task.content_hash)}"

    def build(staging: Path) -> None:
        start = staging / "start"
        build_start(task, start)
        copy_cache(seed, staging / "mypy-cache")
        try:
            data = {
                "ruff": [f.model_dump() for f in ruff_findings(start)],
                "mypy": [f.model_dump() for f in mypy_findings(start, staging / "mypy-cache")],
                "layers": [f.model_dump() for f in layer_findings(start)[0]],
            }
        except ToolError as exc:
            raise HarnessError(
                f"task {task.id}: baseline of the starting repository: {exc}"
            ) from None
        (staging / "baseline.json").write_text(json.dumps(data, indent=1))

    root = _build_once(final, build)
    data = json.loads((root / "baseline.json").read_text())
    start = root / "start"
    visible = tuple(
        p.as_posix()
        for p in iter_files(start)
        if p.parts[0] == "tests" and p.name.startswith("test_") and p.suffix == ".py"
    )

    def findings(kind: str) -> tuple[Finding, ...]:
        return tuple(Finding.model_validate(row) for row in data[kind])

    return Baseline(
        start=start,
        mypy_cache=root / "mypy-cache",
        ruff=findings("ruff"),
        mypy=findings("mypy"),
        layers=findings("layers"),
        visible_tests=visible,
    )
