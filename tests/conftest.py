"""Shared fixtures: a miniature benchmark suite and a private cache for every test session."""

from __future__ import annotations

import contextlib
import os
import time
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


# --- processes and programs, as the sandbox sees them --------------------------------------


def running(marker: str) -> bool:
    """Whether any process on the machine has ``marker`` in its command line.

    The shell lives in a PID namespace of its own, so the ids it reports mean nothing here.
    """
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                if marker.encode() in (proc / "cmdline").read_bytes():
                    return True
    return False


def appears(marker: str, within_s: float = 10) -> bool:
    """Wait until a process with ``marker`` in its command line is running."""
    deadline = time.monotonic() + within_s
    while not running(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def gone(marker: str, within_s: float = 10) -> bool:
    """Wait until no process with ``marker`` in its command line is left."""
    deadline = time.monotonic() + within_s
    while running(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def install_cli(directory: Path, monkeypatch: pytest.MonkeyPatch, name: str, script: str) -> Path:
    """An executable ``name`` in ``directory/bin``, first on PATH: a stand-in agent CLI."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    program = bin_dir / name
    program.write_text(script)
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return program
