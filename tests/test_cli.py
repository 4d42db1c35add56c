"""The `skill-eval` verbs end to end on the mini suite: exit codes, output, no clobbering."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

import pytest

from harness.cli import main


def test_tasks_lists_ids_references_and_difficulty(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["id"] == "add-discount"
    assert row["difficulty"] == "easy"
    assert row["references"] == ["domain-driven-design.md#money"]


def test_prepare_writes_a_git_repository_with_one_commit(tmp_path: Path) -> None:
    dest = tmp_path / "ws"
    assert main(["prepare", "add-discount", str(dest)]) == 0
    log = subprocess.run(
        ["git", "log", "--oneline"], cwd=dest, capture_output=True, text=True, check=True
    )
    assert len(log.stdout.splitlines()) == 1
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=dest, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""
    assert not (dest / "tests" / "hidden").exists()


def test_prepare_with_solution_leaves_the_solution_as_the_diff(tmp_path: Path) -> None:
    dest = tmp_path / "ws"
    assert main(["prepare", "add-discount", str(dest), "--solution"]) == 0
    diff = subprocess.run(
        ["git", "diff", "--stat"], cwd=dest, capture_output=True, text=True, check=True
    )
    assert "src/minisvc/domain/pricing.py" in diff.stdout


def test_prepare_refuses_to_clobber(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "ws"
    dest.mkdir()
    (dest / "mine.txt").write_text("precious")
    assert main(["prepare", "add-discount", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not empty" in err
    assert (dest / "mine.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]  # no staging left behind


def test_score_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    solved, unsolved = tmp_path / "solved", tmp_path / "unsolved"
    main(["prepare", "add-discount", str(solved), "--solution"])
    main(["prepare", "add-discount", str(unsolved)])
    capsys.readouterr()
    out = tmp_path / "score.json"
    assert main(["score", "add-discount", str(solved), "--json", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["resolved"] is True
    assert json.loads(out.read_text()) == printed
    assert main(["score", "add-discount", str(unsolved)]) == 1
    assert "not resolved" in capsys.readouterr().out


def test_validate_prints_the_matrix_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "add-discount"]) == 0
    captured = capsys.readouterr()
    assert "add-discount" in captured.out
    assert "3/3" in captured.out
    assert "1/1 tasks valid" in captured.out
    assert re.search(r"^\[1/1\] add-discount: valid in \d+ s$", captured.err, re.MULTILINE)


def test_validate_refuses_zero_oracle_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--oracle-runs", "0", "add-discount"]) == 2
    assert capsys.readouterr().err == (
        "skill-eval: error: --oracle-runs must be at least 1 (got 0)\n"
    )


def test_tasks_show_prints_the_ticket_and_what_is_checked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["tasks", "show", "add-discount"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("add-discount: Percentage discount on a total\n")
    assert "Add `minisvc.domain.pricing.discounted" in out
    assert "wrong-math (rejected by tests)" in out
    assert main(["tasks", "show", "add-discout"]) == 2
    assert "did you mean 'add-discount'?" in capsys.readouterr().err


def test_validate_fails_for_an_invalid_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from tests.conftest import MINI_SUITE

    suite = tmp_path / "suite"
    shutil.copytree(MINI_SUITE, suite)
    broken = suite / "tasks" / "add-discount" / "negatives" / "framework-import"
    shutil.rmtree(broken)
    shutil.copytree(suite / "tasks" / "add-discount" / "solution", broken)  # not actually bad
    monkeypatch.setenv("SKILL_EVAL_SUITE", str(suite))
    assert main(["validate", "--oracle-runs", "1"]) == 1
    out = capsys.readouterr().out
    assert "negative 'framework-import' not rejected by layers" in out
    assert "0/1 tasks valid" in out


def test_unknown_task_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "nope", "."]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skill-eval: error: unknown task 'nope'")
    assert err.count("\n") == 1


def test_score_refuses_a_folder_that_is_not_the_tasks_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["score", "add-discount", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"skill-eval: error: {tmp_path / 'empty'}: not add-discount's repository")
    assert "skill-eval prepare add-discount DIR" in err
    assert err.count("\n") == 1


def test_score_refuses_an_out_it_could_not_write_before_scoring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws"
    main(["prepare", "add-discount", str(workspace)])
    capsys.readouterr()
    out = tmp_path / "missing" / "score.json"
    assert main(["score", "add-discount", str(workspace), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"skill-eval: error: --out {out}: folder {out.parent} does not exist\n"
    )


def test_incremental_validate_skips_only_tasks_whose_proof_still_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from tests.conftest import MINI_SUITE

    suite = tmp_path / "suite"
    shutil.copytree(MINI_SUITE, suite)
    monkeypatch.setenv("SKILL_EVAL_SUITE", str(suite))
    ledger = suite / "validated.json"

    assert main(["validate", "--incremental", "--oracle-runs", "1", "add-discount"]) == 0
    entry = json.loads(ledger.read_text())["tasks"]["add-discount"]
    assert entry["summary"] == "oracle 1/1, 2 negatives, 0 alternatives, 0 probes"
    assert "[1/1] add-discount: valid" in capsys.readouterr().err

    assert main(["validate", "--incremental", "--oracle-runs", "1", "add-discount"]) == 0
    captured = capsys.readouterr()
    assert "add-discount: unchanged since validated on" in captured.err
    assert "1/1 tasks valid (1 from the ledger)" in captured.out

    # more oracle runs is another proof; so is any change to the task
    assert main(["validate", "--incremental", "--oracle-runs", "2", "add-discount"]) == 0
    assert "[1/1] add-discount: valid" in capsys.readouterr().err
    hidden = suite / "tasks/add-discount/hidden/test_discount.py"
    hidden.write_text(hidden.read_text() + "\n\ndef test_zero() -> None:\n    assert True\n")
    broken = suite / "tasks/add-discount/negatives/framework-import"
    shutil.rmtree(broken)
    shutil.copytree(suite / "tasks/add-discount/solution", broken)  # no longer bad
    assert main(["validate", "--incremental", "--oracle-runs", "2", "add-discount"]) == 1
    assert "[1/1] add-discount: INVALID" in capsys.readouterr().err
    # the invalid proof was not recorded: the ledger still holds the last valid one
    assert json.loads(ledger.read_text())["tasks"]["add-discount"]["summary"].startswith(
        "oracle 2/2"
    )
    assert main(["validate", "--incremental", "--oracle-runs", "2", "add-discount"]) == 1


@pytest.mark.parametrize(
    "command", ["run", "eval", "validate", "report", "compare", "failures", "tasks"]
)
def test_every_option_says_what_it_does(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each option of these commands has help text (argparse prints its flags bare otherwise)."""
    from harness.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = [
        action
        for action in sub.choices[command]._actions
        if action.option_strings and action.dest != "help"
    ]
    assert options
    assert [a.option_strings[0] for a in options if not a.help] == []


def _commands() -> list[tuple[str, argparse.ArgumentParser]]:
    """Every (sub)command parser: `run`, `skill install`, ..."""
    from harness.cli import build_parser

    found: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found.append((f"{prefix} {name}".strip(), child))
                    walk(f"{prefix} {name}", child)

    walk("", build_parser())
    return found


def test_every_default_is_stated_in_its_help() -> None:
    """An option with a default says what it is (probes 7-10 and 12: defaults left out)."""
    unstated = [
        f"{name} {action.option_strings[0]} (default {action.default!r})"
        for name, parser in _commands()
        for action in parser._actions
        if action.option_strings
        and action.default not in (None, False, argparse.SUPPRESS)
        and "default" not in (action.help or "")
    ]
    assert unstated == []
    assert len(_commands()) >= 12  # the walk found the commands and skill's sub-commands


def test_validate_says_how_long_is_left() -> None:
    from harness.commands.validate_cmd import _progress_line
    from harness.validity import TaskValidity

    valid = TaskValidity("cached-product-read", oracle=[True], nop_rejected=True, duration_s=41.2)
    # 3 of 34 done in 120 s: 31 more at 40 s each
    assert _progress_line(valid, 3, 34, 120.0) == (
        "[3/34] cached-product-read: valid in 41 s (about 21 min left)"
    )
    broken = TaskValidity("money-value-object", duration_s=9.0)  # no oracle run: invalid
    assert _progress_line(broken, 34, 34, 600.0) == "[34/34] money-value-object: INVALID in 9 s"


@pytest.mark.parametrize(
    "argv", [["tasks", "--json"], ["tasks"], ["tasks", "show", "add-discount"]]
)
def test_a_reader_that_leaves_early_gets_no_traceback(argv: list[str], tmp_path: Path) -> None:
    """`skill-eval tasks --json | head`: the pipe closes; the command stops without a word."""
    import os
    import sys

    from tests.conftest import MINI_SUITE

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    env = {**os.environ, "SKILL_EVAL_SUITE": str(MINI_SUITE)}
    done = subprocess.run([sys.executable, "-m", "harness.cli", *argv], stdout=write_end,
                          stderr=subprocess.PIPE, env=env, timeout=120, check=False)  # fmt: skip
    os.close(write_end)
    assert done.stderr == b""
    assert done.returncode != 0  # it did not get its output out


def test_an_os_error_is_one_line_naming_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder that cannot be written (probes 35 and 36) ends in one line and exit 2; as root
    no permission stops a write, so a file stands where a folder should be."""
    from tests.test_skillpack import write_pack

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    run_dir = tmp_path / "run"
    assert main(["run", "--agent", "nop", "--arms", "baseline", "--run-dir", str(run_dir)]) == 0
    write_pack(tmp_path / "repo")
    project = tmp_path / "project"
    project.mkdir()
    (project / ".claude").write_text("a file where the skills folder goes")
    capsys.readouterr()
    commands = [
        ["prepare", "add-discount", str(blocker / "ws")],
        ["run", "--agent", "nop", "--arms", "baseline", "--run-dir", str(blocker / "run")],
        ["report", str(run_dir), "--format", "html", "--out", str(blocker / "report.html")],
        ["failures", str(run_dir), "--out", str(blocker / "failures.md")],
        ["skill", "build", "--root", str(tmp_path / "repo"), "--no-lint", "--out",
         str(blocker / "dist")],
        ["skill", "install", "--agent", "claude-code", "--scope", "project", "--project-dir",
         str(project), "--root", str(tmp_path / "repo"), "--out", str(tmp_path / "dist"),
         "--no-lint"],
    ]  # fmt: skip
    for argv in commands:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("skill-eval: error: "), argv
        assert err.count("\n") == 1, err
        assert str(blocker) in err or str(project / ".claude") in err, err
        if "--out" in argv and argv[0] != "skill":  # the flag and the file asked for
            out = argv[argv.index("--out") + 1]
            assert err.startswith(f"skill-eval: error: --out {out}: "), err


def test_tables_in_a_log_are_160_columns_unless_columns_says(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """tasks, score, validate, run and report print through one console (probe 61)."""
    from harness.console import LOG_WIDTH, sized_console

    monkeypatch.delenv("COLUMNS", raising=False)
    assert sized_console().width == sized_console(stderr=True).width == LOG_WIDTH == 160
    monkeypatch.setenv("COLUMNS", "100")
    assert sized_console().width == 100


def test_run_help_shows_examples_and_the_command_placeholders(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Probe 8: the --command placeholders were undocumented and run had no examples."""
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "examples:\n  skill-eval run --agent anthropic" in out
    for placeholder in ("{prompt}", "{prompt_file}", "{workspace}", "{model}"):
        assert placeholder in out.split("--command placeholders:", 1)[1]
