"""`validate` ruff- and mypy-checks the hidden tests, which the scorer's checks leave out."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.cli import main
from harness.task import load_task
from harness.validity import validate_task
from tests.conftest import MINI_SUITE

HIDDEN_TEST = Path("tasks") / "add-discount" / "hidden" / "test_discount.py"


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the mini suite, made the suite under validation."""
    copy = tmp_path / "suite"
    shutil.copytree(MINI_SUITE, copy)
    monkeypatch.setenv("SKILL_EVAL_SUITE", str(copy))
    return copy


def edit_hidden_test(suite: Path, old: str, new: str) -> None:
    path = suite / HIDDEN_TEST
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def type_error(suite: Path) -> None:
    # runs and passes under pytest (annotations are not enforced), but is not mypy --strict clean
    edit_hidden_test(
        suite,
        "def test_rounds_down() -> None:\n",
        "def test_typed() -> None:\n"
        "    label: str = discounted(100, 10)\n"
        "    assert label\n"
        "\n\n"
        "def test_rounds_down() -> None:\n",
    )


def unused_import(suite: Path) -> None:
    edit_hidden_test(suite, "import pytest\n", "import os\n\nimport pytest\n")


def test_the_clean_mini_task_stays_valid() -> None:
    # the hidden test calls `discounted`, which only the solution defines: it is type-checked
    # against the solution, or this would be an attr-defined error
    outcome = validate_task(load_task("add-discount", MINI_SUITE), oracle_runs=1)
    assert outcome.hidden_test_problems == []
    assert outcome.valid


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (type_error, "hidden/test_discount.py:11: [assignment] Incompatible types in assignment"),
        (unused_import, "hidden/test_discount.py:1: [F401] `os` imported but unused"),
    ],
    ids=["type-error", "unused-import"],
)
def test_a_broken_hidden_test_makes_the_task_invalid(
    suite: Path, break_it: Callable[[Path], None], expected: str
) -> None:
    break_it(suite)
    outcome = validate_task(load_task("add-discount", suite), oracle_runs=1)
    assert len(outcome.hidden_test_problems) == 1
    assert outcome.hidden_test_problems[0].startswith(expected)
    # everything else still holds: the hidden-test finding alone makes the task invalid
    assert outcome.oracle == [True]
    assert outcome.nop_rejected
    assert all(n.rejected for n in outcome.negatives)
    assert not outcome.start_problems
    assert not outcome.valid


def test_validate_shows_hidden_test_findings(
    suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unused_import(suite)
    assert main(["validate", "--oracle-runs", "1", "add-discount"]) == 1
    out = capsys.readouterr().out
    assert "hidden lint" in out
    assert "add-discount: hidden tests: hidden/test_discount.py:1: [F401]" in out
    assert "0/1 tasks valid" in out
