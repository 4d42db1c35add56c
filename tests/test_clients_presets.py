"""The command agent's presets where no model is involved: a client that stops before reaching
its model, and a bad retry setting. (The real clients are in test_clients_<client>.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from tests.client_sessions import run_trials
from tests.conftest import install_cli

# What Claude Code 2.1 printed, started as the preset used to start it, as root.
REFUSING_CLI = """#!/bin/sh
echo "--dangerously-skip-permissions cannot be used with root/sudo privileges" >&2
exit 1
"""


@pytest.mark.parametrize(
    ("preset", "binary"), [("claude-code", "claude"), ("codex", "codex"), ("gemini", "gemini")]
)
def test_a_client_that_stops_before_reaching_its_model_is_an_infrastructure_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preset: str, binary: str
) -> None:
    install_cli(tmp_path, monkeypatch, binary, REFUSING_CLI)
    code, records, _ = run_trials(tmp_path, preset, "some-model", "baseline,skill")
    assert code == 1  # not "resolved 0/2": no trial is a verdict on the agent
    assert set(records) == {"baseline", "skill"}
    for record in records.values():
        assert record.infra_error
        assert record.score is None
        assert record.agent.detail == (
            "the client never reached its model: exit code 1: --dangerously-skip-permissions"
            " cannot be used with root/sudo privileges"
        )


@pytest.mark.parametrize("value", ["many", "-1", "1.5"])
def test_a_bad_client_retry_count_is_refused_before_any_trial(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
) -> None:
    install_cli(tmp_path, monkeypatch, "claude", REFUSING_CLI)
    monkeypatch.setenv("SKILL_EVAL_CLIENT_RETRIES", value)
    run_dir = tmp_path / "run"
    argv = ["run", "--agent", "command", "--preset", "claude-code", "--run-dir", str(run_dir)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"skill-eval: error: SKILL_EVAL_CLIENT_RETRIES={value!r}: expected a whole number"
        " (0 or more)"
    ]
    assert not run_dir.exists()
