"""Claude Code itself (the npm package, pinned) against a local fake of the Messages API.

Trials run through ``skill-eval run --agent command --preset claude-code``, as root in CI, in
the harness's jail, with ANTHROPIC_BASE_URL (Claude Code's own setting) pointing at the fake.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pytest

from harness.cli import main
from harness.paths import REPO_ROOT
from tests.client_sessions import (
    CHECK,
    FINAL,
    PRICING,
    REFERENCE,
    SKILL_DESCRIPTION,
    SKILL_NAME,
    SOLUTION,
    Script,
    assert_solved_session,
    client_bin,
    client_result,
    request_text,
    run_trials,
    search,
    use_client,
)
from tests.fake_anthropic import (
    DROP,
    Body,
    Error,
    Step,
    done,
    message,
    serve_session,
    text,
    tool_use,
)

MODEL = "claude-sonnet-4-6"


def claude_session(script: Script) -> Step:
    """The session in Claude Code's tools: Read, Skill, Write, Bash."""
    ids = itertools.count()

    def respond(body: Body) -> Body:
        said = request_text(body)
        cwd = search(r"Primary working directory: (\S+)", said)
        turn = sum(1 for m in body["messages"] if m.get("role") == "assistant")
        action, tokens = script.next(cwd, said, turn)
        call = f"toolu_{turn}"
        if action == "read":
            blocks = [tool_use("Read", {"file_path": f"{cwd}/{PRICING}"}, call)]
        elif action == "skill":
            blocks = [tool_use("Skill", {"skill": SKILL_NAME}, call)]
        elif action == "skill_file":  # where the Skill tool said the skill lives
            base = search(r"Base directory for this skill: (\S+)", said)
            blocks = [tool_use("Read", {"file_path": f"{base}/{REFERENCE}"}, call)]
        elif action == "edit":
            blocks = [
                tool_use("Write", {"file_path": f"{cwd}/{PRICING}", "content": SOLUTION}, call)
            ]
        elif action == "run":
            blocks = [tool_use("Bash", {"command": CHECK}, call)]
        else:
            blocks = [text(FINAL)]
        answer = message(
            blocks,
            stop_reason="end_turn" if action == "finish" else "tool_use",
            input_tokens=tokens.fresh,
            cache_read=tokens.cached,
            output_tokens=tokens.output,
        )
        return {**answer, "id": f"msg_{next(ids)}"}  # Claude Code merges equal ids

    return respond


def test_claude_code_runs_a_trial_per_arm_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_client("claude", monkeypatch)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    script = Script()
    with serve_session(claude_session(script)) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        code, records, run_dir = run_trials(tmp_path, "claude-code", MODEL, "baseline,skill")
    assert code == 0
    assert_solved_session(script, records, run_dir, ["SKILL.md", REFERENCE])
    for record in records.values():
        # The cost is Claude Code's own (its stream-json result), not the harness's guess.
        (result,) = [e for e in client_result(record, run_dir) if e.get("type") == "result"]
        assert record.agent.usage.cost_usd == result["total_cost_usd"] > 0
        assert record.agent.turns == result["num_turns"] > 0


def api_error(status: int, kind: str) -> Error:
    return Error(status, body={"type": "error", "error": {"type": kind, "message": "scripted"}})


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        (api_error(429, "rate_limit_error"), "429"),
        (api_error(500, "api_error"), "500"),
        (DROP, "Connection"),
    ],
    ids=["429", "500", "dropped"],
)
def test_a_failing_messages_api_ends_as_an_infrastructure_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Error | str, says: str
) -> None:
    use_client("claude", monkeypatch)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("SKILL_EVAL_CLIENT_RETRIES", "1")
    with serve_session(lambda _body: failure) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        code, records, _ = run_trials(tmp_path, "claude-code", MODEL, "skill")
    assert code == 1  # infrastructure errors fail the run: they are not results
    record = records["skill"]
    assert record.infra_error
    assert record.score is None
    assert record.agent.detail.startswith("model API error: API Error")
    assert says in record.agent.detail
    assert len(api.requests) == 2  # SKILL_EVAL_CLIENT_RETRIES=1: Claude Code retried once
    assert len(record.agent.retries) == 1


def test_a_client_that_never_reaches_its_model_is_an_infrastructure_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No API key: Claude Code stops before any request (saying so as an API error); the
    trial is no verdict on the agent."""
    use_client("claude", monkeypatch)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("CLAUDE_CODE_OAUTH_TOKEN", raising=False)
    with serve_session(lambda _body: done()) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        code, records, _ = run_trials(tmp_path, "claude-code", MODEL, "baseline")
    assert code == 1
    assert api.requests == []
    record = records["baseline"]
    assert record.infra_error
    assert record.score is None
    assert "Not logged in" in record.agent.detail


def first_request(program: Path, home: Path, project: Path) -> str:
    """Start Claude Code in ``project`` as a user with HOME ``home``; its first request."""
    script = Script()
    with serve_session(claude_session(script)) as api:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": api.url,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }
        argv = [str(program), "-p", "Which skills do you have?", "--model", MODEL,
                "--output-format", "json", "--max-turns", "1"]  # fmt: skip
        subprocess.run(argv, cwd=project, env=env, capture_output=True, timeout=120, check=False)
    assert api.requests, "Claude Code sent no request"
    return request_text(api.requests[0])


@pytest.mark.parametrize("scope", ["project", "user"])
def test_skill_install_is_listed_by_claude_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scope: str
) -> None:
    program = client_bin("claude")
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    monkeypatch.setenv("HOME", str(home))
    target = ["--agent", "claude-code", "--scope", scope, "--project-dir", str(project)]
    build = ["--root", str(REPO_ROOT), "--out", str(tmp_path / "dist"), "--no-lint"]
    assert main(["skill", "install", *target, *build]) == 0
    listed = first_request(program, home, project)
    assert f"- {SKILL_NAME}: {' '.join(SKILL_DESCRIPTION.split())}" in listed
