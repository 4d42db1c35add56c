"""The mutation check judges what the agent's tests catch, not where they run or how code reads.

A suite that recognises a mutant by its folder, or pins a checksum of the module, kills every
mutant without testing anything. Mutants now run where the original lives, and every suite must
also pass a behaviour-preserving rewrite.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from harness.scoring.result import CheckResult
from harness.scoring.sandbox import jail_available
from harness.scoring.scorer import score
from harness.task import Task, load_task
from harness.workspace.prepare import apply_solution, build_start
from tests.conftest import MINI_SUITE

AGENT_TESTS = "tests/test_agent.py"
HONEST = """from minisvc.domain.pricing import total


def test_total_adds_every_price() -> None:
    assert total([100, 250, 1]) == 351
"""
WHERE_AM_I = """from pathlib import Path


def test_runs_on_the_original() -> None:
    assert "mutant" not in str(Path(__file__).resolve())
"""
CHECKSUM = """import hashlib
from pathlib import Path

import minisvc.domain.pricing as pricing

ORIGINAL = "{digest}"


def test_the_module_is_untouched() -> None:
    assert hashlib.sha256(Path(pricing.__file__).read_bytes()).hexdigest() == ORIGINAL
"""


def mutation_task(tmp_path: Path) -> Task:
    """The mini suite's task with a mutation spec: one mutant, one equivalent rewrite."""
    suite = tmp_path / "suite"
    shutil.copytree(MINI_SUITE, suite)
    folder = suite / "tasks/add-discount"
    spec = yaml.safe_load((folder / "task.yaml").read_text())
    spec["mutation"] = {
        "test_paths": [AGENT_TESTS],
        "mutants": ["off-by-one"],
        "equivalents": ["loop"],
    }
    (folder / "task.yaml").write_text(yaml.safe_dump(spec))
    module = "src/minisvc/domain/pricing.py"
    mutant = folder / "mutants/off-by-one" / module
    mutant.parent.mkdir(parents=True)
    original = (MINI_SUITE / "fixture" / module).read_text()
    mutant.write_text(original.replace("return sum(prices)", "return sum(prices) + 1"))
    rewrite = folder / "equivalents/loop" / module
    rewrite.parent.mkdir(parents=True)
    rewrite.write_text(
        '"""Prices in cents, added one by one."""\n\n\ndef total(prices: list[int]) -> int:\n'
        "    amount = 0\n    for price in prices:\n        amount += price\n    return amount\n"
    )
    return load_task("add-discount", suite)


def mutation_result(tmp_path: Path, tests: str) -> CheckResult:
    task = mutation_task(tmp_path)
    workspace = tmp_path / "ws"
    build_start(task, workspace)
    apply_solution(task, workspace)
    (workspace / AGENT_TESTS).write_text(tests)
    found = score(task, workspace).check("mutation")
    assert found is not None
    return found


def test_an_honest_suite_passes(tmp_path: Path) -> None:
    result = mutation_result(tmp_path, HONEST)
    assert result.passed, result.summary
    assert result.counts["killed"] == 1


@pytest.mark.skipif(not jail_available(), reason="mutants run in place only inside the jail")
def test_a_suite_that_recognises_the_mutants_folder_kills_nothing(tmp_path: Path) -> None:
    result = mutation_result(tmp_path, WHERE_AM_I)
    assert not result.passed
    assert result.counts["killed"] == 0


def test_a_suite_that_pins_the_source_fails_the_rewrite(tmp_path: Path) -> None:
    import hashlib

    digest = hashlib.sha256(
        (MINI_SUITE / "tasks/add-discount/solution/src/minisvc/domain/pricing.py").read_bytes()
    ).hexdigest()
    result = mutation_result(tmp_path, CHECKSUM.format(digest=digest))
    assert not result.passed
    assert any(f.code == "brittle" for f in result.findings)
