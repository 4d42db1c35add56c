"""Checks that cannot be silenced without a count, and workspaces that cannot crash the scorer.

Each case is a way a determined agent could get past ruff, mypy, the layer contracts or the
tests without the work (or turn its failure into an "infrastructure error", which reports leave
out of the rates). Each must be failed or counted, and the trial must get a verdict.
"""

from __future__ import annotations

import os

import pytest

from harness.scoring.result import CheckResult, ScoreResult
from harness.scoring.scorer import MAX_FILE_BYTES, score
from harness.task import Task
from harness.task.model import CheckName
from tests.conftest import WorkspaceFactory

PRICING = "src/minisvc/domain/pricing.py"


def check(result: ScoreResult, name: CheckName) -> CheckResult:
    found = result.check(name)
    assert found is not None
    return found


def codes(result: ScoreResult, name: CheckName) -> set[str]:
    return {f.code or "" for f in check(result, name).findings}


def scored(task: Task, make: WorkspaceFactory, files: dict[str, str]) -> ScoreResult:
    workspace = make("solution")
    for rel, text in files.items():
        (workspace / rel).parent.mkdir(parents=True, exist_ok=True)
        (workspace / rel).write_text(text)
    return score(task, workspace)


@pytest.mark.parametrize(
    ("files", "name", "code"),
    [
        ({"src/jwt.py": "def decode() -> None: ...\n"}, "interference", "shadowing"),
        ({"tests/httpx.py": "X = 1\n"}, "interference", "shadowing"),
        ({"src/helpers.py": "X = 1\n"}, "layers", "outside-contracts"),
        ({"src/minisvc/domain/sub/impl.py": "import os\n"}, "layers", "namespace-folder"),
        (
            {"src/minisvc/domain/pricing.pyi": "def total(prices: list[int]) -> int: ...\n"},
            "mypy",
            "stub-hides-source",
        ),
        (
            {"src/minisvc/domain/load.py": "import sys\n\nM = sys.modules['os']\n"},
            "interference",
            "dynamic-code",
        ),
    ],
    ids=["src-shadows-lib", "tests-shadow-lib", "new-top-level", "namespace", "stub", "modules"],
)
def test_holes_in_the_checks_fail(
    mini_task: Task,
    make_workspace: WorkspaceFactory,
    files: dict[str, str],
    name: CheckName,
    code: str,
) -> None:
    result = scored(mini_task, make_workspace, files)
    assert code in codes(result, name)
    assert not result.resolved
    assert result.infra_error is None


def test_a_gitignore_or_ignore_file_does_not_hide_code_from_ruff(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    result = scored(
        mini_task,
        make_workspace,
        {
            "src/minisvc/domain/sloppy.py": "import os\n",
            ".ignore": "src/\n",
            ".gitignore": "src/\n",
        },
    )
    assert any(f.path == "src/minisvc/domain/sloppy.py" for f in check(result, "ruff").findings)
    assert not result.resolved


def test_silencing_is_counted_per_silenced_line(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    module = "\n".join(["# ruff: noqa", "import os", "import sys", "X = 1", ""])
    branch = "\n".join(
        [
            "from typing import TYPE_CHECKING, no_type_check",
            "",
            "if TYPE_CHECKING:",
            "    Y: int = 0",
            "else:",
            "    Y = 'never checked'",
            "    Z = Y + 1",
            "",
            "",
            "@no_type_check",
            "def f() -> int:",
            "    return 'x'",
            "",
        ]
    )
    result = scored(
        mini_task,
        make_workspace,
        {"src/minisvc/domain/quiet.py": module, "src/minisvc/domain/branch.py": branch},
    )
    counts = check(result, "suppressions").counts
    assert counts["file_wide_lines"] == 4
    assert counts["unchecked_branch_lines"] == 2
    assert counts["no_type_check"] == 2  # the import and the decorator


def test_a_syntax_error_is_the_agents_failure_not_an_infrastructure_error(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    result = scored(mini_task, make_workspace, {"src/minisvc/domain/broken.py": "def f(:\n"})
    assert result.infra_error is None
    assert not result.resolved
    assert not check(result, "mypy").passed
    assert not check(result, "layers").passed


def test_names_that_are_not_utf8_are_removed_and_scoring_goes_on(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    odd = os.path.join(os.fsencode(workspace / "src/minisvc/domain"), b"\xff\xfe.py")
    with open(odd, "w") as handle:
        handle.write("X = 1\n")
    result = score(mini_task, workspace)
    assert result.infra_error is None
    assert result.resolved
    assert any("not UTF-8" in f.message for f in check(result, "tamper").findings)


def test_a_directory_where_the_hidden_tests_go_is_replaced(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    (workspace / "tests/hidden/test_discount.py").mkdir(parents=True)
    (workspace / "tests/hidden/test_discount.py/x.py").write_text("")
    result = score(mini_task, workspace)
    assert result.infra_error is None
    assert check(result, "tests").counts["hidden_passed"] == 4
    assert result.resolved


def test_a_huge_sparse_file_is_refused_without_copying(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    with (workspace / "blob.bin").open("wb") as handle:
        handle.truncate(8 * 1024**3)  # 8 GiB that take no disk until copied
    result = score(mini_task, workspace)
    assert not result.resolved
    assert result.infra_error is None
    assert "blob.bin" in check(result, "tamper").summary
    assert MAX_FILE_BYTES < 8 * 1024**3


def test_the_hidden_helper_names_are_the_harnesss(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    result = scored(mini_task, make_workspace, {"tests/start_fakes.py": "X = 1\n"})
    assert {f.path: f.code for f in check(result, "tamper").findings} == {
        "tests/start_fakes.py": "added"
    }


def test_a_flood_of_files_is_refused_without_copying(
    mini_task: Task, make_workspace: WorkspaceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.scoring.scorer as scorer

    monkeypatch.setattr(scorer, "MAX_FILES", 50)  # the same rule, at a size a test can afford
    workspace = make_workspace("solution")
    flood = workspace / "flood"
    flood.mkdir()
    for i in range(60):
        (flood / f"f{i}.txt").write_text("")
    result = score(mini_task, workspace)
    assert not result.resolved
    assert "more than 50 files" in check(result, "tamper").summary
