"""`skill-eval run`: trials keyed, stored atomically, resumable; builtin and command agents."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.store.models import TrialRecord
from harness.store.run_store import RunStore
from tests.conftest import MINI_SUITE, install_cli
from tests.fake_anthropic import done, serve

SOLUTION = MINI_SUITE / "tasks/add-discount/solution/src/minisvc/domain/pricing.py"


def records(run_dir: Path) -> list[TrialRecord]:
    return list(RunStore.open(run_dir).records())


def test_oracle_and_nop_runs_are_scored_and_stored(tmp_path: Path) -> None:
    oracle, nop = tmp_path / "oracle", tmp_path / "nop"
    assert main(["run", "--agent", "oracle", "--arms", "baseline", "--epochs", "2",
                 "--run-dir", str(oracle)]) == 0  # fmt: skip
    assert main(["run", "--agent", "nop", "--arms", "baseline", "--run-dir", str(nop)]) == 0
    solved = records(oracle)
    assert [(r.spec.epoch, r.resolved) for r in sorted(solved, key=lambda r: r.spec.epoch)] == [
        (1, True),
        (2, True),
    ]
    assert len({r.key for r in solved}) == 2
    (failed,) = records(nop)
    assert not failed.resolved
    assert failed.score is not None
    assert failed.score.failed_checks == ["tests"]
    store = RunStore.open(oracle)
    assert "+def discounted" in store.diff(solved[0].key)
    manifest = json.loads((oracle / "manifest.json").read_text())
    assert manifest["tasks"] == {"add-discount": solved[0].spec.task_hash}
    assert manifest["tool_versions"]["ruff"]


def test_skill_arm_keeps_the_skill_it_evaluated(tmp_path: Path) -> None:
    skill = tmp_path / "candidate"
    skill.mkdir()
    (skill / "SKILL.md").write_text("---\nname: candidate\ndescription: A candidate.\n---\nBody\n")
    run_dir = tmp_path / "run"
    code = main(["run", "--agent", "oracle", "--arms", "baseline,skill", "--skill-dir",
                 str(skill), "--run-dir", str(run_dir)])  # fmt: skip
    assert code == 0
    by_arm = {r.spec.arm: r for r in records(run_dir)}
    assert by_arm["baseline"].spec.skill_hash is None
    assert by_arm["skill"].spec.skill_hash is not None
    assert (run_dir / "skill" / "candidate" / "SKILL.md").is_file()


def test_bad_flags_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--agent", "oracle", "--arms", "baseline,vibes"]) == 2
    assert "--arms: unknown arm(s) ['vibes']" in capsys.readouterr().err
    assert main(["run", "--agent", "oracle", "--epochs", "0"]) == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    assert main(["run", "--agent", "oracle", "--run-dir", str(occupied)]) == 2
    assert "exists and is not empty" in capsys.readouterr().err
    assert (occupied / "notes.txt").read_text() == "mine"
    assert main(["run", "--resume", str(tmp_path / "missing")]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_anthropic_run_without_a_key_says_how(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["run", "--agent", "anthropic", "--arms", "baseline"]) == 2
    assert "needs ANTHROPIC_API_KEY" in capsys.readouterr().err


def test_a_killed_run_resumes_without_losing_or_duplicating_trials(tmp_path: Path) -> None:
    """Kill the runner mid-way (SIGKILL: no clean-up at all), then resume."""
    run_dir = tmp_path / "run"
    env = {**os.environ, "SKILL_EVAL_SUITE": str(MINI_SUITE)}
    argv = [sys.executable, "-m", "harness.cli", "run", "--agent", "oracle", "--arms"]
    argv += ["baseline,skill", "--epochs", "3", "-j", "1", "--run-dir", str(run_dir)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(run_dir.glob("trials/*/trial.json"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished_before = {p.parent.name for p in run_dir.glob("trials/*/trial.json")}
    assert 2 <= len(finished_before) < 6
    assert main(["run", "--resume", str(run_dir)]) == 0
    final = records(run_dir)
    assert len(final) == 6
    assert len({r.key for r in final}) == 6
    assert finished_before <= {r.key for r in final}
    assert not list(run_dir.glob("trials/.tmp-*"))
    assert all(r.resolved for r in final)


def test_resume_refuses_to_mix_changed_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    suite = tmp_path / "suite"
    shutil.copytree(MINI_SUITE, suite)
    monkeypatch.setenv("SKILL_EVAL_SUITE", str(suite))
    run_dir = tmp_path / "run"
    assert main(["run", "--agent", "nop", "--arms", "baseline", "--run-dir", str(run_dir)]) == 0
    hidden = suite / "tasks/add-discount/hidden/test_discount.py"
    hidden.write_text(hidden.read_text() + "\n# changed\n")
    assert main(["run", "--resume", str(run_dir)]) == 2
    assert "task content (add-discount)" in capsys.readouterr().err


def test_infrastructure_failures_are_recorded_apart_and_redone_on_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fake_anthropic import Error

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    run_dir = tmp_path / "run"
    with serve([lambda _b: Error(400)]) as api:
        argv = ["run", "--agent", "anthropic", "--model", "claude-sonnet-4-6", "--arms",
                "baseline", "--base-url", api.url, "--run-dir", str(run_dir)]  # fmt: skip
        assert main(argv) == 1  # an infrastructure error: the run is not a result yet
    assert "infrastructure error x1: HTTP 400" in capsys.readouterr().out
    (failed,) = records(run_dir)
    assert failed.infra_error
    assert failed.score is None
    with serve([lambda _b: done()]) as api:
        manifest = json.loads((run_dir / "manifest.json").read_text())
        manifest["agent_settings"]["base_url"] = api.url
        (run_dir / "manifest.json").write_text(json.dumps(manifest))
        assert main(["run", "--resume", str(run_dir)]) == 0
    (redone,) = records(run_dir)
    assert redone.key == failed.key
    assert not redone.infra_error
    assert redone.score is not None
    assert not redone.resolved  # the scripted agent changed nothing


FAKE_CLAUDE = r'''#!{python}
"""A stand-in for the `claude` CLI: reads the skill if installed, writes the solution.

It also checks that the task's hidden tests are mounted away from it."""
import json, os, pathlib, shutil, sys
skill = pathlib.Path(".claude/skills/python-backend-architecture/SKILL.md")
events = [{{"type": "system", "subtype": "init"}}]
if skill.is_file():
    events.append({{"type": "assistant", "message": {{"content": [
        {{"type": "tool_use", "name": "Read", "input": {{"file_path": str(skill.resolve())}}}}]}}}})
assert "HOME" in os.environ and "skill-eval-agent-home" in os.environ["HOME"]
hidden = pathlib.Path({hidden!r})
assert not hidden.exists() or not any(hidden.iterdir()), "hidden tests are visible"
pathlib.Path("src/minisvc/domain/pricing.py").write_text({solution!r})
events.append({{"type": "result", "subtype": "success", "num_turns": 3, "total_cost_usd": 0.042,
    "usage": {{"input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 30,
               "cache_creation_input_tokens": 40}}}})
for event in events:
    print(json.dumps(event))
'''


def test_command_agent_with_the_claude_code_preset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hidden = MINI_SUITE / "tasks" / "add-discount" / "hidden"
    script = FAKE_CLAUDE.format(
        python=sys.executable, solution=SOLUTION.read_text(), hidden=str(hidden)
    )
    install_cli(tmp_path, monkeypatch, "claude", script)
    run_dir = tmp_path / "run"
    argv = ["run", "--agent", "command", "--preset", "claude-code", "--model", "claude-sonnet-4-6",
            "--arms", "baseline,skill", "--run-dir", str(run_dir)]  # fmt: skip
    assert main(argv) == 0
    by_arm = {r.spec.arm: r for r in records(run_dir)}
    assert by_arm["skill"].agent.skill_reads == ["SKILL.md"]
    assert by_arm["baseline"].agent.skill_reads == []
    for record in by_arm.values():
        assert record.resolved
        assert record.agent.usage.cost_usd == pytest.approx(0.042)
        assert record.agent.usage.cache_write_tokens == 40
        assert ".claude/skills" not in RunStore.open(run_dir).diff(record.key)


def test_the_same_infrastructure_error_again_and_again_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fake_anthropic import Error

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    run_dir = tmp_path / "run"
    with serve([lambda _b: Error(400)] * 20) as api:
        argv = ["run", "--agent", "anthropic", "--model", "claude-sonnet-4-6", "--arms",
                "baseline", "--epochs", "8", "-j", "1", "--base-url", api.url,
                "--run-dir", str(run_dir)]  # fmt: skip
        assert main(argv) == 1
    out = capsys.readouterr().out
    assert "stopped early: 5 trials in a row ended in the same infrastructure error" in out
    assert len(records(run_dir)) == 5  # the other 3 were never started, and --resume runs them
    assert "3 trial(s) not run of 8" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--preset", "claude-code"], "--preset claude-code: 'claude' is not on PATH"),
        (["--command", "no-such-agent-cli {prompt}"], "'no-such-agent-cli' is not on PATH"),
        (["--preset", "codex", "--arms", "inline"], "--arms inline: needs --agent anthropic"),
    ],
)
def test_setup_mistakes_are_refused_before_any_trial(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no agent CLI here
    run_dir = tmp_path / "run"
    argv = ["run", "--agent", "command", "--model", "m", "--run-dir", str(run_dir), *extra]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not run_dir.exists()  # nothing started, nothing half-written


def test_a_log_gets_one_line_per_finished_trial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Output that is not a terminal (CI, make eval's log) shows each trial as it finishes."""
    for agent in ("oracle", "nop"):
        argv = ["run", "--agent", agent, "--arms", "baseline", "--epochs", "2"]
        main([*argv, "--run-dir", str(tmp_path / agent)])
    out = capsys.readouterr().out
    assert "add-discount oracle baseline e1 resolved" in out
    assert "add-discount oracle baseline e2 resolved" in out
    assert "add-discount nop baseline e1 not resolved (tests)" in out


def test_resume_refuses_flags_it_would_ignore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    argv = ["run", "--agent", "oracle", "--arms", "baseline", "--epochs", "2"]
    assert main([*argv, "--run-dir", str(run_dir)]) == 0
    capsys.readouterr()
    assert main(["run", "--resume", str(run_dir), "--epochs", "5", "--arms", "skill"]) == 2
    err = capsys.readouterr().err
    assert "--epochs 5 (the run has 2)" in err
    assert "--arms ['skill'] (the run has ['baseline'])" in err
    assert main(["run", "--resume", str(run_dir)]) == 0  # nothing given: nothing refused


def test_the_summary_names_the_run_and_the_next_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    assert main(["run", "--agent", "oracle", "--arms", "baseline", "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert f"next: skill-eval report {run_dir} --format html --out {run_dir / 'report.html'}" in out
    assert "RUN)" not in out  # no placeholder where the path belongs


def test_a_mistyped_task_id_gets_the_nearest_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prepare", "add-dicsount", "/tmp/never-created"]) == 2
    assert "did you mean 'add-discount'?" in capsys.readouterr().err


def test_recorded_solutions_are_replayed_per_task_arm_and_epoch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = tmp_path / "start"
    assert main(["prepare", "add-discount", str(start)]) == 0
    solved = tmp_path / "solved"
    subprocess.run(["cp", "-r", str(start), str(solved)], check=True)
    (solved / "src/minisvc/domain/pricing.py").write_text(SOLUTION.read_text())
    diff = subprocess.run(
        ["git", "-C", str(solved), "diff"], capture_output=True, text=True, check=True
    ).stdout
    recorded = tmp_path / "recorded"
    (recorded / "add-discount").mkdir(parents=True)
    (recorded / "solver.json").write_text('{"model": "blind-solvers", "notes": "two arms"}')
    (recorded / "add-discount" / "skill-1.patch").write_text(diff)
    (recorded / "add-discount" / "skill-1.json").write_text(
        '{"turns": 17, "wall_s": 300, "skill_reads": ["SKILL.md", "references/testing.md"]}'
    )
    (recorded / "add-discount" / "baseline-1.patch").write_text("")  # changed nothing
    # baseline-2 and skill-2 were never recorded
    run_dir = tmp_path / "run"
    code = main(["run", "--agent", "patch", "--patch", str(recorded), "--arms",
                 "baseline,skill", "--epochs", "2", "--run-dir", str(run_dir)])  # fmt: skip
    assert code == 1  # two trials had nothing to replay: infrastructure, not the solver's fault
    got = {(r.spec.arm, r.spec.epoch): r for r in records(run_dir)}
    assert got[("skill", 1)].resolved
    assert got[("skill", 1)].spec.model == "blind-solvers"
    assert got[("skill", 1)].agent.turns == 17
    assert got[("skill", 1)].agent.skill_reads == ["SKILL.md", "references/testing.md"]
    assert not got[("baseline", 1)].resolved
    assert not got[("baseline", 1)].infra_error
    for missing in (("baseline", 2), ("skill", 2)):
        assert got[missing].infra_error
        assert "no recorded solution" in got[missing].agent.detail


def test_a_recorded_set_without_its_solver_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "recorded").mkdir()
    code = main(["run", "--agent", "patch", "--patch", str(tmp_path / "recorded"),
                 "--run-dir", str(tmp_path / "run")])  # fmt: skip
    assert code == 2
    assert "needs solver.json" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('{"models": {}}', "field 'as_of': Field required"),
        (
            '{"as_of": "2026-11-01", "models": {"m": {"input": -1, "output": 1,'
            ' "cache_write": 1, "cache_read": 1}}}',
            "field 'models.m.input': Input should be greater than or equal to 0",
        ),
        ('{"as_of": 3', "not JSON (line 1: Expecting ',' delimiter)"),
    ],
)
def test_a_bad_price_table_names_its_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, says: str
) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(table)
    code = main(["run", "--agent", "anthropic", "--base-url", "http://127.0.0.1:9",
                 "--prices", str(prices), "--run-dir", str(tmp_path / "run")])  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err == f"skill-eval: error: {prices}: {says}\n"
    assert not (tmp_path / "run").exists()


def test_ctrl_c_says_what_was_saved_and_how_to_resume(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "SKILL_EVAL_SUITE": str(MINI_SUITE)}
    # Every trial's agent takes 5 s, so the Ctrl-C sent once the first trial is saved lands
    # inside the second by construction, whatever the machine's speed.
    argv = [sys.executable, "-m", "harness.cli", "run", "--agent", "command", "--command"]
    argv += ["sh -c 'sleep 5' {prompt_file}", "--model", "m", "--arms", "baseline,skill"]
    argv += ["--epochs", "3", "-j", "1", "--run-dir", str(run_dir)]
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # A test session started in the background (`cmd &`) ignores SIGINT, and a child
        # inherits that: Python then installs no KeyboardInterrupt handler. Give the run the
        # default disposition a terminal's Ctrl-C meets.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(run_dir.glob("trials/*/trial.json")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    saved = len(list(run_dir.glob("trials/*/trial.json")))
    assert proc.returncode == 130
    assert 1 <= saved < 6
    assert (
        f"interrupted: {saved}/6 trials saved in {run_dir}; resume with: skill-eval run"
        f" --resume {run_dir}"
    ) in err.decode()


def test_display_chooses_lines_or_silence_until_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "--agent", "oracle", "--arms", "baseline", "--epochs", "2"]
    assert main([*argv, "--display", "none", "--run-dir", str(tmp_path / "quiet")]) == 0
    quiet = capsys.readouterr().out
    assert "add-discount oracle baseline e1 resolved" not in quiet
    assert "Run summary:" in quiet  # the summary still comes
    assert main([*argv, "--display", "plain", "--run-dir", str(tmp_path / "lines")]) == 0
    lines = capsys.readouterr().out
    assert "add-discount oracle baseline e1 resolved" in lines
    assert "add-discount oracle baseline e2 resolved" in lines
    assert "infra errors 0  $0.00" not in lines  # a log gets lines, not a bar drawn at the end
    assert main([*argv, "--display", "rich", "--run-dir", str(tmp_path / "bar")]) == 0
    bar = capsys.readouterr().out
    assert "add-discount oracle baseline e2 resolved" in bar  # printed above the live bar
    assert "resolved 2/2  infra errors 0  $0.00" in bar


def test_the_live_bar_names_the_trials_in_flight(tmp_path: Path) -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    from harness.commands.run_cmd import in_flight
    from harness.store.runner import Runner

    assert in_flight([]) == ""
    names = ["a skill e1", "b baseline e1", "c skill e2", "d skill e1"]
    assert in_flight(names[:2]) == "running: a skill e1, b baseline e1"
    assert in_flight(names) == "running: a skill e1, b baseline e1, c skill e2 +1"
    # the runner says when each trial starts, before it finishes
    events: list[str] = []
    runner = Runner(store=cast(Any, None), limits=cast(Any, None), skill_source=None,
                    hidden=(), jobs=2)  # fmt: skip
    trials = [SimpleNamespace(key=k) for k in ("t1", "t2", "t3")]

    def finish(trial: Any) -> Any:
        return SimpleNamespace(key=trial.key)

    runner.run_one = finish  # type: ignore[method-assign]

    def finished(record: Any) -> None:
        events.append(f"done {record.key}")

    runner.run(cast(Any, trials), finished, lambda trial: events.append(f"start {trial.key}"))
    for key in ("t1", "t2", "t3"):
        assert events.index(f"start {key}") < events.index(f"done {key}")
    assert events.index("start t2") < events.index("done t1")  # two at once (-j 2)


def test_a_price_table_for_an_agent_that_calls_no_model_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prices = Path(__file__).parents[1] / "harness" / "data" / "prices.json"
    for agent in ("oracle", "nop"):
        run_dir = tmp_path / agent
        argv = ["run", "--agent", agent, "--prices", str(prices), "--run-dir", str(run_dir)]
        assert main(argv) == 2
        assert capsys.readouterr().err == (
            f"skill-eval: error: --prices: --agent {agent} calls no model, so a price table"
            " would be ignored; it applies to --agent anthropic and command\n"
        )
        assert not run_dir.exists()


def test_a_base_url_without_credentials_is_refused_before_any_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The review's probe 43: every trial used to end in 'Could not resolve authentication'."""
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ANTHROPIC_CONFIG_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no profile on disk either
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    run_dir = tmp_path / "run"
    argv = ["run", "--agent", "anthropic", "--base-url", "http://127.0.0.1:9", "--arms",
            "baseline", "--run-dir", str(run_dir)]  # fmt: skip
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "skill-eval: error: --agent anthropic needs ANTHROPIC_API_KEY in the environment (or"
        " ANTHROPIC_AUTH_TOKEN, or an Anthropic profile); none is set and --base-url does not"
        " replace it\n"
    )
    assert not run_dir.exists()
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "a-token")  # a credential the SDK takes
    with serve([lambda _b: done()]) as api:
        argv[argv.index("--base-url") + 1] = api.url
        assert main(argv) == 0


def test_a_failed_start_leaves_no_skill_copy_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The skill is staged in a temporary folder before the run exists; errors remove it."""
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    argv = ["run", "--agent", "oracle", "--arms", "baseline,skill"]
    assert main([*argv, "--run-dir", str(blocker / "run")]) == 2  # an OS error, mid-start
    assert capsys.readouterr().err.startswith(f"skill-eval: error: {blocker}")
    no_skill = tmp_path / "no-skill"
    no_skill.mkdir()
    assert main([*argv, "--skill-dir", str(no_skill), "--run-dir", str(tmp_path / "r")]) == 2
    assert "SKILL.md" in capsys.readouterr().err
    assert list(temp.iterdir()) == []


def test_make_eval_ends_with_the_commands_for_its_two_runs() -> None:
    from harness.commands.eval_cmd import next_steps

    runs = {"oracle": Path("runs/20261129-1200-oracle"), "nop": Path("runs/20261129-1200-nop")}
    assert next_steps(runs, Path("runs/20261129-1200-report.html")) == [
        "results: runs/20261129-1200-oracle (oracle), runs/20261129-1200-nop (nop)",
        "report:   .venv/bin/skill-eval report runs/20261129-1200-oracle runs/20261129-1200-nop"
        " --format html --out runs/20261129-1200-report.html",
        "compare:  .venv/bin/skill-eval compare runs/20261129-1200-nop runs/20261129-1200-oracle"
        "   # what doing nothing misses and the reference solutions resolve",
    ]
    model = {"claude-sonnet-4-6": Path("runs/20261129-1200-claude-sonnet-4-6")}
    assert next_steps(model)[1:] == [
        "report:   .venv/bin/skill-eval report runs/20261129-1200-claude-sonnet-4-6 --format html"
        " --out runs/20261129-1200-claude-sonnet-4-6/report.html",
        "failures: .venv/bin/skill-eval failures runs/20261129-1200-claude-sonnet-4-6",
    ]


def test_make_eval_in_a_log_prints_each_trial_and_its_report_commands(tmp_path: Path) -> None:
    """`make eval | tee log` (or CI): not a terminal, so each finished trial prints a line, and
    the last lines name the two runs it made. The mini suite's one task keeps it to 2 trials."""
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    env["SKILL_EVAL_SUITE"] = str(MINI_SUITE)
    argv = [sys.executable, "-m", "harness.cli", "eval", "--runs-dir", str(tmp_path)]
    # a pipe, as `make eval | tee` makes one
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("add-discount oracle baseline e1 resolved ") for line in lines)
    assert any(
        line.startswith("add-discount nop baseline e1 not resolved (tests) ") for line in lines
    )
    oracle, nop = (next(tmp_path.glob(f"*-{agent}")) for agent in ("oracle", "nop"))
    assert (oracle / "manifest.json").is_file()
    assert (nop / "manifest.json").is_file()
    assert lines[-3] == f"results: {oracle} (oracle), {nop} (nop)"
    assert lines[-2].startswith(
        f"report:   .venv/bin/skill-eval report {oracle} {nop} --format html"
    )
    assert lines[-1].startswith(f"compare:  .venv/bin/skill-eval compare {nop} {oracle} ")
    assert "infra errors 0  $0.00" not in done.stdout  # no progress bar drawn into the log
