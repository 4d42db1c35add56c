"""Protected test helpers (tests/fakes.py) may gain new definitions, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scoring.checks.helpers import added_names
from harness.scoring.scorer import score
from harness.task import Task
from tests.conftest import WorkspaceFactory

FAKES = Path(__file__).parent / "data" / "suite" / "fixture" / "tests" / "fakes.py"
ORIGINAL = FAKES.read_text()
NEW_METHOD = ORIGINAL + (
    "\n    def has(self, sku: str) -> bool:\n        return sku in self.prices\n"
)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (NEW_METHOD, ["has"]),
        (
            "from decimal import Decimal\n\n" + ORIGINAL + "\n\ndef euros(cents: int) -> Decimal:\n"
            "    return Decimal(cents) / 100\n",
            ["Decimal", "euros"],
        ),
        (ORIGINAL + "\n\nclass FakeClock:\n    now = 0.0\n", ["FakeClock"]),
        (ORIGINAL, []),
    ],
    ids=["method", "import-and-function", "class", "unchanged"],
)
def test_new_definitions_are_an_extension(after: str, expected: list[str]) -> None:
    assert added_names(ORIGINAL, after) == expected


@pytest.mark.parametrize(
    "after",
    [
        ORIGINAL.replace("return self.prices[sku]", "return 0"),  # behaviour changed
        ORIGINAL.split("    def price")[0].rstrip() + "\n",
        NEW_METHOD.replace("def has(", "def price(").replace("-> bool", "-> int"),  # overrides
        ORIGINAL + "\n    def __getattr__(self, name: str) -> int:\n        return 0\n",
        ORIGINAL + "\n\nFakePriceList.price = lambda self, sku: 0  # type: ignore\n",
        ORIGINAL + "\n\nprint('side effect at import')\n",
        ORIGINAL + "\n\nprices = {}\n",  # a name the module already uses (as an attribute)
        "import os\n" + ORIGINAL.replace("class FakePriceList:", "class FakePriceList(dict):"),
        ORIGINAL + "\n\ndef broken(:\n",
    ],
    ids=[
        "changed-body",
        "deleted-method",
        "override",
        "dunder",
        "monkeypatch",
        "top-level-call",
        "name-taken",
        "changed-bases",
        "syntax-error",
    ],
)
def test_anything_else_is_not(after: str) -> None:
    assert added_names(ORIGINAL, after) is None


def test_an_extended_fake_is_kept_and_recorded(
    mini_task: Task, make_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    workspace = make_workspace("solution")
    (workspace / "tests" / "fakes.py").write_text(NEW_METHOD)
    kept = tmp_path / "kept"
    result = score(mini_task, workspace, keep_dir=kept)
    tamper = result.check("tamper")
    assert tamper is not None
    assert [(f.path, f.code) for f in tamper.findings] == [("tests/fakes.py", "extended")]
    assert "has" in tamper.findings[0].message
    assert (kept / "tests" / "fakes.py").read_text() == NEW_METHOD
    assert result.resolved


def test_a_changed_fake_is_restored(
    mini_task: Task, make_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    workspace = make_workspace("solution")
    (workspace / "tests" / "fakes.py").write_text(
        ORIGINAL.replace("return self.prices[sku]", "return 0")
    )
    kept = tmp_path / "kept"
    result = score(mini_task, workspace, keep_dir=kept)
    tamper = result.check("tamper")
    assert tamper is not None
    assert [(f.path, f.code) for f in tamper.findings] == [("tests/fakes.py", "modified")]
    assert (kept / "tests" / "fakes.py").read_text() == ORIGINAL
