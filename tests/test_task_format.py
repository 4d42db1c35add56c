"""The task format: loading, strict validation with errors naming file and field."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.task import Task, load_suite, load_task
from harness.task.model import ProbeSpec
from harness.workspace.prepare import apply_negative, apply_solution, build_start
from tests.conftest import MINI_SUITE

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    shutil.copytree(MINI_SUITE, tmp_path / "suite")
    return tmp_path / "suite"


def edit_yaml(suite: Path, old: str, new: str) -> None:
    path = suite / "tasks" / "add-discount" / "task.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_mini_suite_loads(suite: Path) -> None:
    (task,) = load_suite(suite=suite)
    assert task.id == "add-discount"
    assert [n.rejected_by for n in task.spec.negatives] == ["tests", "layers"]
    assert task.spec.time_limits.tests_seconds == 20
    assert len(task.content_hash) == 64


def test_content_hash_follows_the_task_and_the_fixture(suite: Path) -> None:
    before = load_task("add-discount", suite).content_hash
    (suite / "fixture" / "src" / "minisvc" / "domain" / "pricing.py").write_text("# changed\n")
    assert load_task("add-discount", suite).content_hash != before


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("difficulty: easy\n", "difficulty: easy\nowner: me\n", "unknown field 'owner'"),
        ("difficulty: easy\n", "", "missing field 'difficulty'"),
        ("difficulty: easy", "difficulty: trivial", "field 'difficulty'"),
        ("rejected_by: tests", "rejected_by: vibes", "field 'negatives.0.rejected_by'"),
        ("domain-driven-design.md#money", "money", "field 'references': Value error, 'money'"),
        ("id: add-discount", "id: other-name", "field 'id' is 'other-name'"),
        ("tests_seconds: 20", "tests_seconds: -1", "field 'time_limits.tests_seconds'"),
        ("title: Percentage", "title: [unclosed", "invalid YAML"),
    ],
)
def test_bad_task_yaml_names_the_file_and_the_field(
    suite: Path, old: str, new: str, message: str
) -> None:
    edit_yaml(suite, old, new)
    with pytest.raises(HarnessError) as caught:
        load_task("add-discount", suite)
    assert "task.yaml" in str(caught.value)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("negative", ["wrong-math.patch", "framework-import"])
def test_a_missing_negative_is_named(suite: Path, negative: str) -> None:
    path = suite / "tasks" / "add-discount" / "negatives" / negative
    path.unlink() if path.is_file() else shutil.rmtree(path)
    with pytest.raises(HarnessError, match=f"names '{negative.removesuffix('.patch')}'"):
        load_task("add-discount", suite)


def test_a_negative_is_a_patch_or_a_folder_not_both(suite: Path) -> None:
    negatives = suite / "tasks" / "add-discount" / "negatives"
    (negatives / "framework-import.patch").write_text("")
    with pytest.raises(HarnessError, match="'framework-import' is both"):
        load_task("add-discount", suite)


def test_a_patch_negative_carries_its_own_deletions(suite: Path) -> None:
    edit_yaml(suite, "rejected_by: tests\n", "rejected_by: tests\n    delete: [README.md]\n")
    with pytest.raises(HarnessError, match="field 'delete' but is a patch"):
        load_task("add-discount", suite)


def test_patch_and_folder_negatives_both_apply(suite: Path, tmp_path: Path) -> None:
    task = load_task("add-discount", suite)
    for name, expected in (
        ("wrong-math", "(100 + percent)"),
        ("framework-import", "sqlalchemy"),
    ):
        workspace = tmp_path / name
        build_start(task, workspace)
        apply_negative(task, name, workspace)
        assert expected in (workspace / "src" / "minisvc" / "domain" / "pricing.py").read_text()


def test_a_patch_that_does_not_apply_is_a_one_line_error(suite: Path, tmp_path: Path) -> None:
    patch = suite / "tasks" / "add-discount" / "negatives" / "wrong-math.patch"
    patch.write_text(patch.read_text().replace("-    return total * (100 - percent)", "-    nope"))
    task = load_task("add-discount", suite)
    workspace = tmp_path / "ws"
    build_start(task, workspace)
    with pytest.raises(HarnessError) as caught:
        apply_negative(task, "wrong-math", workspace)
    assert str(caught.value).startswith(f"{patch}: does not apply")
    assert "\n" not in str(caught.value)


def test_a_task_without_hidden_tests_is_rejected(suite: Path) -> None:
    shutil.rmtree(suite / "tasks" / "add-discount" / "hidden")
    with pytest.raises(HarnessError, match="no hidden tests"):
        load_task("add-discount", suite)


def test_unknown_task_lists_the_known_ones(suite: Path) -> None:
    with pytest.raises(HarnessError, match=r"unknown task 'nope'.*add-discount"):
        load_task("nope", suite)


def test_paths_must_stay_inside_the_repository(suite: Path) -> None:
    edit_yaml(suite, "time_limits:", "setup_delete: ['../../etc/passwd']\ntime_limits:")
    with pytest.raises(HarnessError, match="field 'setup_delete'"):
        load_task("add-discount", suite)


def test_reference_coverage_finds_dead_anchors_and_unexercised_references(
    suite: Path, tmp_path: Path
) -> None:
    from harness.validity import reference_coverage

    refs = tmp_path / "references"
    refs.mkdir()
    (refs / "domain-driven-design.md").write_text("# DDD\n\n## Money\n")
    (refs / "caching.md").write_text("# Caching\n\n## Invalidation\n")
    tasks = load_suite(suite=suite)
    by_file, problems = reference_coverage(tasks, refs)
    assert by_file == {"caching.md": [], "domain-driven-design.md": ["add-discount"]}
    assert problems == ["caching.md: no task exercises it"]
    (refs / "domain-driven-design.md").write_text("# DDD\n\n## Value objects\n")
    _, problems = reference_coverage(tasks, refs)
    assert (
        "add-discount: task.yaml references cites domain-driven-design.md#money: no such section"
        in problems
    )
    # a quality probe's section must exist too
    (refs / "domain-driven-design.md").write_text("# DDD\n\n## Money\n")
    probe = {
        "name": "exact",
        "rationale": "money stays exact for any total",
        "reference": "caching.md#stampedes",
        "test": "quality_x.py::test_exact",
        "fails_on": ["wrong-math"],
    }
    spec = tasks[0].spec.model_copy(update={"quality": [ProbeSpec.model_validate(probe)]})
    _, problems = reference_coverage([replace(tasks[0], spec=spec)], refs)
    assert problems == [
        "add-discount: task.yaml quality probe 'exact' cites caching.md#stampedes: no such section",
        "caching.md: no task exercises it",
    ]


def test_an_exemption_reports_an_unexercised_reference_instead_of_failing(
    suite: Path, tmp_path: Path
) -> None:
    from harness.unexercised import apply_exemptions, load_exemptions
    from harness.validity import reference_coverage

    refs = tmp_path / "references"
    refs.mkdir()
    (refs / "domain-driven-design.md").write_text("# DDD\n\n## Money\n")
    (refs / "caching.md").write_text("# Caching\n")
    (refs / "django.md").write_text("# Django\n")
    exemptions = suite / "unexercised.yaml"
    exemptions.write_text("# why these are unexercised\ndjango.md: no Django task yet\n")
    by_file, problems = reference_coverage(load_suite(suite=suite), refs)
    notes, left = apply_exemptions(by_file, problems, load_exemptions(exemptions), exemptions)
    assert notes == ["django.md: exempt, no task exercises it: no Django task yet"]
    assert left == ["caching.md: no task exercises it"]  # not exempt: still a problem


def test_a_stale_exemption_is_a_problem(suite: Path, tmp_path: Path) -> None:
    from harness.unexercised import apply_exemptions, load_exemptions
    from harness.validity import reference_coverage

    refs = tmp_path / "references"
    refs.mkdir()
    (refs / "domain-driven-design.md").write_text("# DDD\n\n## Money\n")
    exemptions = suite / "unexercised.yaml"
    exemptions.write_text("gone.md: it was removed\ndomain-driven-design.md: no task yet\n")
    by_file, problems = reference_coverage(load_suite(suite=suite), refs)
    notes, left = apply_exemptions(by_file, problems, load_exemptions(exemptions), exemptions)
    assert notes == []
    assert left == [
        f"{exemptions}: gone.md: no such reference file",
        f"{exemptions}: domain-driven-design.md: exercised by add-discount; remove its exemption",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("django.md: why: not\n", "invalid YAML at line 1: mapping values are not allowed"),
        ("- django.md\n", "must map reference file names to reasons"),
        ("references/django.md: why\n", "'references/django.md': a key is a file name"),
        ("django: why\n", "'django': a key is a file name"),
        ("django.md: ''\n", "'django.md': the reason must be one non-empty line"),
        ("django.md: |\n  one\n  two\n", "'django.md': the reason must be one non-empty line"),
    ],
)
def test_a_bad_exemptions_file_is_a_one_line_error_naming_it(
    tmp_path: Path, text: str, message: str
) -> None:
    from harness.unexercised import load_exemptions

    path = tmp_path / "unexercised.yaml"
    path.write_text(text)
    with pytest.raises(HarnessError) as caught:
        load_exemptions(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def _stub_validation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """validate_task replaced by an instant 'valid': these tests are about the coverage lines."""
    from harness import validity

    validated: list[str] = []

    def valid(task: Task, oracle_runs: int, jobs: int) -> validity.TaskValidity:
        validated.append(task.id)
        return validity.TaskValidity(task.id, oracle=[True], nop_rejected=True)

    monkeypatch.setattr(validity, "validate_task", valid)
    return validated


def test_validate_prints_exempt_references_and_fails_on_a_stale_exemption(
    suite: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    monkeypatch.setenv("SKILL_EVAL_SUITE", str(suite))
    validated = _stub_validation(monkeypatch)
    exempt = sorted(p.name for p in (REPO / "references").glob("*.md"))
    exempt.remove("domain-driven-design.md")  # the mini suite's task exercises it
    (suite / "unexercised.yaml").write_text("".join(f"{name}: no task\n" for name in exempt))
    assert main(["validate"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # rich folds long lines
    assert f"coverage: {exempt[0]}: exempt, no task exercises it: no task" in out
    assert "1/1 tasks valid" in out
    assert validated == ["add-discount"]

    with (suite / "unexercised.yaml").open("a") as handle:
        handle.write("domain-driven-design.md: no task\n")
    assert main(["validate"]) == 1
    assert (
        f"coverage: {suite / 'unexercised.yaml'}: domain-driven-design.md: exercised by"
        " add-discount; remove its exemption" in " ".join(capsys.readouterr().out.split())
    )


def test_validate_refuses_a_bad_exemptions_file_before_scoring(
    suite: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    monkeypatch.setenv("SKILL_EVAL_SUITE", str(suite))
    validated = _stub_validation(monkeypatch)
    (suite / "unexercised.yaml").write_text("- django.md\n")
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"skill-eval: error: {suite / 'unexercised.yaml'}: must map reference file names"
        " to reasons\n"
    )
    assert validated == []


def test_the_suite_exempts_only_references_no_task_exercises() -> None:
    """The real evals/unexercised.yaml: every entry names a reference and a reason."""
    from harness.unexercised import EXEMPTIONS_FILE, load_exemptions

    exemptions = load_exemptions(REPO / "evals" / EXEMPTIONS_FILE)
    assert "django.md" in exemptions
    assert all((REPO / "references" / name).is_file() for name in exemptions)


def test_setup_and_solution_may_be_patches(suite: Path, tmp_path: Path) -> None:
    folder = suite / "tasks" / "add-discount"
    before = load_task("add-discount", suite)
    overlay_start, overlay_solution = tmp_path / "overlay-start", tmp_path / "overlay-solution"
    build_start(before, overlay_start)
    build_start(before, overlay_solution)
    apply_solution(before, overlay_solution)
    (folder / "setup.patch").write_text(
        "diff --git a/NOTES.md b/NOTES.md\nnew file mode 100644\n--- /dev/null\n+++ b/NOTES.md\n"
        "@@ -0,0 +1 @@\n+set up for the discount task\n"
    )
    solution = folder / "solution" / "src" / "minisvc" / "domain" / "pricing.py"
    original = (overlay_start / "src" / "minisvc" / "domain" / "pricing.py").read_text()
    new_lines = solution.read_text().splitlines()
    old_lines = original.splitlines()
    added = new_lines[len(old_lines) :]
    assert new_lines[: len(old_lines)] == old_lines  # the solution only appends here
    hunk = f"@@ -{len(old_lines)},0 +{len(old_lines) + 1},{len(added)} @@\n"
    (folder / "solution.patch").write_text(
        "diff --git a/src/minisvc/domain/pricing.py b/src/minisvc/domain/pricing.py\n"
        "--- a/src/minisvc/domain/pricing.py\n+++ b/src/minisvc/domain/pricing.py\n"
        + hunk
        + "".join(f"+{line}\n" for line in added)
    )
    shutil.rmtree(folder / "solution")
    task = load_task("add-discount", suite)
    start, solved = tmp_path / "start", tmp_path / "solved"
    build_start(task, start)
    build_start(task, solved)
    apply_solution(task, solved)
    assert (start / "NOTES.md").read_text() == "set up for the discount task\n"
    assert (solved / "NOTES.md").is_file()
    pricing = "src/minisvc/domain/pricing.py"
    assert (solved / pricing).read_text() == (overlay_solution / pricing).read_text()


@pytest.mark.parametrize("part", ["setup", "solution"])
def test_an_overlay_and_a_patch_for_the_same_part_is_an_error(suite: Path, part: str) -> None:
    folder = suite / "tasks" / "add-discount"
    (folder / part).mkdir(exist_ok=True)
    (folder / f"{part}.patch").write_text("")
    with pytest.raises(HarnessError, match=f"both '{part}/' and '{part}.patch'"):
        load_task("add-discount", suite)


def test_measured_difficulty_is_about_the_task_not_part_of_it(suite: Path) -> None:
    before = load_task("add-discount", suite).content_hash
    task_yaml = suite / "tasks" / "add-discount" / "task.yaml"
    measured = (
        "measured:\n  date: 2026-11-29\n  solvers: two blind solvers per arm\n"
        "  baseline: {attempts: 2, resolved: 1, quality: 0.5}\n"
        "  skill: {attempts: 2, resolved: 2, quality: 0.75}\n"
    )
    task_yaml.write_text(task_yaml.read_text() + measured)
    task = load_task("add-discount", suite)
    assert task.spec.measured is not None
    assert task.spec.measured.skill.quality == 0.75
    assert task.content_hash == before  # trial keys and the validation ledger stay
    task_yaml.write_text(task_yaml.read_text().replace("resolved: 2,", "resolved: 3,"))
    with pytest.raises(HarnessError, match="resolved cannot exceed attempts"):
        load_task("add-discount", suite)
    edit_yaml(suite, "resolved: 3,", "resolved: 2,")
    edit_yaml(suite, "rounded down", "rounded half up")
    assert load_task("add-discount", suite).content_hash != before
