"""Who owns what: the agent's helpers are scored as it left them, the harness's files are put back.

Honest work must not be rejected for how it was written: changing a fake, adding a helper
module or a new test module is the agent's business. The harness keeps its own test modules,
conftest files and configuration, and the hidden tests bring their own doubles.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

import pytest

from harness.cli import main
from harness.scoring.checks.base import ScoringContext
from harness.scoring.checks.tests_check import TestsCheck
from harness.scoring.result import CheckResult, ScoreResult
from harness.scoring.scorer import score
from harness.store.run_store import RunStore
from harness.task import Task, load_task
from harness.task.model import CheckName
from harness.workspace.prepare import apply_solution, build_start
from tests.conftest import MINI_SUITE, WorkspaceFactory

FAKES = "tests/fakes.py"
VISIBLE = "tests/test_pricing.py"

# The agent's fake grows a read counter (a new port needs it) and fixes a missing-key crash.
CHANGED_FAKE = '''"""An in-memory price list for tests."""


class FakePriceList:
    def __init__(self) -> None:
        self.prices: dict[str, int] = {}
        self.reads = 0

    def price(self, sku: str) -> int:
        self.reads += 1
        return self.prices.get(sku, 0)
'''
BUILDERS = """from tests.fakes import FakePriceList


def price_list(**prices: int) -> FakePriceList:
    fake = FakePriceList()
    fake.prices.update(prices)
    return fake
"""
NEW_TEST = """from minisvc.domain.pricing import discounted
from tests.builders import price_list


def test_discount_on_a_listed_price() -> None:
    fake = price_list(a=200)
    assert discounted(fake.price("a"), 10) == 180
    assert fake.reads == 1
"""


def check(result: ScoreResult, name: CheckName) -> CheckResult:
    found = result.check(name)
    assert found is not None
    return found


def findings(result: ScoreResult) -> dict[str, str]:
    return {f.path or "": f.code or "" for f in check(result, "tamper").findings}


def test_changed_and_new_helpers_are_kept_and_type_checked_as_left(
    mini_task: Task, make_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    workspace = make_workspace("solution")
    (workspace / FAKES).write_text(CHANGED_FAKE)
    (workspace / "tests" / "builders.py").write_text(BUILDERS)
    (workspace / "tests" / "test_builders.py").write_text(NEW_TEST)
    kept = tmp_path / "kept"
    result = score(mini_task, workspace, keep_dir=kept)
    assert findings(result) == {FAKES: "helper"}
    assert check(result, "tamper").counts["helpers_changed"] == 1
    assert (kept / FAKES).read_text() == CHANGED_FAKE
    assert (kept / "tests" / "builders.py").read_text() == BUILDERS
    assert check(result, "mypy").passed, check(result, "mypy").findings
    assert result.resolved, result.failed_checks


def test_a_broken_helper_is_the_agents_and_fails_its_own_checks(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    (workspace / FAKES).write_text(CHANGED_FAKE.replace("-> int:", "-> str:"))
    result = score(mini_task, workspace)
    assert not check(result, "mypy").passed
    assert any(f.path == FAKES for f in check(result, "mypy").findings)


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("tests/unit/conftest.py", "import pytest\n"),
        ("tests/__init__.py", None),  # deleted: the test package's shape is the harness's
        ("mypy.ini", "[mypy]\nignore_errors = True\n"),
    ],
)
def test_harness_owned_files_are_put_back(
    mini_task: Task,
    make_workspace: WorkspaceFactory,
    tmp_path: Path,
    path: str,
    content: str | None,
) -> None:
    workspace = make_workspace("solution")
    target = workspace / path
    if content is None:
        target.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    kept = tmp_path / "kept"
    result = score(mini_task, workspace, keep_dir=kept)
    assert findings(result)[path] in {"added", "deleted"}
    assert (kept / path).exists() == (content is None)
    assert result.resolved


def test_a_directory_where_a_visible_test_was_is_replaced_by_the_original(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    (workspace / VISIBLE).unlink()
    (workspace / VISIBLE).mkdir()
    (workspace / VISIBLE / "x.py").write_text("")
    src = workspace / "src/minisvc/domain/pricing.py"
    src.write_text(src.read_text().replace("return sum(prices)", "return sum(prices) + 1"))
    result = score(mini_task, workspace)
    assert result.infra_error is None
    assert findings(result)[VISIBLE] == "deleted"
    assert check(result, "tests").counts["visible_failed"] == 2  # the originals ran, and failed
    assert not result.resolved


def _suite_with_hidden_doubles(tmp_path: Path) -> Task:
    """The mini suite plus a hidden test that relies on the starting repository's fake."""
    suite = tmp_path / "suite"
    shutil.copytree(MINI_SUITE, suite)
    (suite / "tasks/add-discount/hidden/test_doubles.py").write_text(
        "from .start_fakes import FakePriceList\n\n\n"
        "def test_the_start_fake_answers_listed_prices() -> None:\n"
        "    fake = FakePriceList()\n"
        '    fake.prices["a"] = 3\n'
        '    assert fake.price("a") == 3\n'
    )
    return load_task("add-discount", suite)


def test_hidden_tests_get_the_starting_helpers_not_the_agents(tmp_path: Path) -> None:
    task = _suite_with_hidden_doubles(tmp_path)
    workspace = tmp_path / "ws"
    build_start(task, workspace)
    apply_solution(task, workspace)
    # A weakened fake (always 0) would fail the hidden test if the hidden tests used it.
    (workspace / FAKES).write_text(CHANGED_FAKE.replace("self.prices.get(sku, 0)", "0"))
    kept = tmp_path / "kept"
    result = score(task, workspace, keep_dir=kept)
    assert (kept / "tests/hidden/start_fakes.py").read_text() == (
        MINI_SUITE / "fixture" / FAKES
    ).read_text()
    assert check(result, "tests").counts["hidden_passed"] == 5
    assert result.resolved, result.failed_checks


class CrashingGuard:
    name: ClassVar[CheckName] = "tamper"
    can_fail: ClassVar[bool] = False
    mutates: ClassVar[bool] = True

    def applies(self, task: Task) -> bool:
        return True

    def run(self, ctx: ScoringContext) -> CheckResult:
        raise OSError("disk full")


def test_a_guard_that_did_not_finish_is_no_verdict(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    result = score(mini_task, make_workspace("solution"), checks=[CrashingGuard(), TestsCheck()])
    assert not result.resolved
    assert result.infra_error is not None
    assert "disk full" in result.infra_error
    assert [c.name for c in result.checks] == ["tamper"]  # nothing ran on an unguarded tree


def test_a_scorer_crash_is_an_infrastructure_error_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.store.runner as runner

    def crash(*_args: object, **_kwargs: object) -> ScoreResult:
        raise UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(runner, "score", crash)
    run_dir = tmp_path / "run"
    argv = ["run", "--agent", "oracle", "--arms", "baseline", "--epochs", "2"]
    assert main([*argv, "--run-dir", str(run_dir)]) == 1  # not a result until redone
    stored = list(RunStore.open(run_dir).records())
    assert len(stored) == 2
    assert all(r.infra_error and not r.resolved for r in stored)
    assert all("UnicodeEncodeError" in (r.scoring_error or "") for r in stored)
