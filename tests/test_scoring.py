"""The scorer on real workspaces: right answers resolve, wrong ones fail the right check."""

from __future__ import annotations

import json
from pathlib import Path

from harness.scoring.result import ScoreResult
from harness.scoring.scorer import score
from harness.task import Task
from tests.conftest import WorkspaceFactory

PRICING = "src/minisvc/domain/pricing.py"


def failed(result: ScoreResult) -> set[str]:
    return set(result.failed_checks)


def test_reference_solution_is_resolved(mini_task: Task, make_workspace: WorkspaceFactory) -> None:
    result = score(mini_task, make_workspace("solution"))
    assert result.resolved, result.model_dump_json(indent=1)
    tests = result.check("tests")
    assert tests is not None
    assert tests.counts["hidden_passed"] == 4  # three functions, one parametrised twice
    assert tests.counts["visible_passed"] == 2


def test_empty_change_fails_the_hidden_tests(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    result = score(mini_task, make_workspace("start"))
    assert not result.resolved
    assert failed(result) == {"tests"}
    tests = result.check("tests")
    assert tests is not None
    assert tests.counts["hidden_missing"] == 3
    assert tests.counts["visible_passed"] == 2


def test_wrong_answer_names_the_failing_assertion(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    result = score(mini_task, make_workspace("wrong-math"))
    tests = result.check("tests")
    assert tests is not None
    assert not tests.passed
    messages = {f.path: f.message for f in tests.findings if f.code == "hidden:failed"}
    assert "assert 220 == 180" in messages["tests/hidden/test_discount.py::test_ten_percent_off"]


def test_function_level_framework_import_breaks_the_layers(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    result = score(mini_task, make_workspace("framework-import"))
    assert failed(result) == {"layers"}
    layers = result.check("layers")
    assert layers is not None
    chain = layers.findings[0]
    assert chain.code == "Domain is framework-free"
    assert chain.path == "src/minisvc/domain/pricing.py"
    assert chain.line == 9
    assert "minisvc.domain.pricing -> sqlalchemy (l.9)" in chain.message


def test_type_checking_import_breaks_the_layers(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    source = (workspace / PRICING).read_text()
    (workspace / PRICING).write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import fastapi  # noqa: F401\n"
        + source
    )
    result = score(mini_task, workspace)
    assert "layers" in failed(result)
    layers = result.check("layers")
    assert layers is not None
    assert "fastapi (l.4)" in layers.findings[0].message
    suppressions = result.check("suppressions")
    assert suppressions is not None
    assert suppressions.counts["noqa"] == 1


def test_new_lint_and_type_errors_are_counted_against_the_baseline(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    with (workspace / PRICING).open("a") as handle:
        handle.write("\n\ndef untyped(x):\n    import os\n    return x\n")
    result = score(mini_task, workspace)
    assert {"ruff", "mypy"} <= failed(result)
    ruff, mypy = result.check("ruff"), result.check("mypy")
    assert ruff is not None
    assert mypy is not None
    assert {f.code for f in ruff.findings} == {"F401"}
    assert [(f.code, f.line) for f in mypy.findings] == [("no-untyped-def", 14)]
    assert ruff.counts["new"] == 1


def test_suppressions_are_counted_but_do_not_fail(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    with (workspace / PRICING).open("a") as handle:
        handle.write(
            "\n\nfrom typing import Any, cast  # noqa: E402\n\n\n"
            "def widen(x: Any) -> int:\n    return cast(int, x)  # type: ignore[redundant-cast]\n"
        )
    result = score(mini_task, workspace)
    suppressions = result.check("suppressions")
    assert suppressions is not None
    assert suppressions.passed
    assert suppressions.counts == {
        "type_ignore": 1,
        "noqa": 1,
        "any": 2,
        "cast": 1,
        "mypy_inline_config": 0,
        "no_type_check": 0,
        "file_wide_lines": 0,
        "unchecked_branch_lines": 0,
    }


def test_result_round_trips_as_json(mini_task: Task, make_workspace: WorkspaceFactory) -> None:
    result = score(mini_task, make_workspace("solution"))
    again = ScoreResult.model_validate_json(result.model_dump_json())
    assert again == result
    assert json.loads(result.model_dump_json())["resolved"] is True


def test_the_agents_workspace_is_never_modified(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    (workspace / "tests" / "test_pricing.py").write_text("def test_x() -> None:\n    pass\n")
    before = {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    score(mini_task, workspace)
    after = {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    assert after == before
    assert not (workspace / "tests" / "hidden").exists()


def test_missing_workspace_is_a_clear_error(mini_task: Task, tmp_path: Path) -> None:
    import pytest

    from harness.errors import HarnessError

    with pytest.raises(HarnessError, match="workspace not found"):
        score(mini_task, tmp_path / "nope")
