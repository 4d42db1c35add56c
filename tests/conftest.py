"""Shared fixtures: a miniature benchmark suite and a private cache for every test session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.scoring import zygote
from harness.task import Task, load_task
from harness.workspace.prepare import apply_negative, apply_solution, build_start

MINI_SUITE = Path(__file__).parent / "data" / "suite"


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("skill-eval-cache")
    yield root
    with pytest.MonkeyPatch.context() as patch:  # the session's warm pytest goes with it
        patch.setenv("SKILL_EVAL_CACHE", str(root))
        zygote.stop(zygote.socket_path())


@pytest.fixture(autouse=True)
def _isolated_cache(cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILL_EVAL_CACHE", str(cache_root))
    monkeypatch.setenv("SKILL_EVAL_SUITE", str(MINI_SUITE))


@pytest.fixture
def mini_task() -> Task:
    return load_task("add-discount", MINI_SUITE)


WorkspaceFactory = Callable[..., Path]


@pytest.fixture
def make_workspace(tmp_path: Path, mini_task: Task) -> WorkspaceFactory:
    """Build a workspace from the mini task: the start, the solution, or a negative."""
    counter = iter(range(1000))

    def make(variant: str = "start", task: Task = mini_task) -> Path:
        path = tmp_path / f"ws{next(counter)}"
        build_start(task, path)
        if variant == "solution":
            apply_solution(task, path)
        elif variant != "start":
            apply_negative(task, variant, path)
        return path

    return make
