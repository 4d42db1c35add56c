"""Gemini CLI itself (the npm package, pinned) against a local fake of the Gemini API.

Trials run through ``skill-eval run --agent command --preset gemini``, as root in CI, in the
harness's jail, with GOOGLE_GEMINI_BASE_URL (Gemini CLI's own setting) pointing at the fake.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from harness.agents.pricing import load_prices
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
    request_text,
    run_trials,
    search,
    use_client,
)
from tests.fake_gemini import DROP, Body, Error, Respond, Turn, function_call, serve, text

MODEL = "gemini-2.5-pro"
PRICES = {"as_of": "test", "models": {MODEL: {"input": 1.25, "output": 10.0, "cache_write": 0.0,
                                               "cache_read": 0.31}}}  # fmt: skip


def gemini_session(script: Script) -> Respond:
    """The session in Gemini CLI's tools: read_file, activate_skill, write_file,
    run_shell_command."""

    def respond(body: Body) -> Turn:
        if not body.get("tools"):  # not the agent's conversation (none seen so far)
            return Turn([text("ok")])
        said = request_text(body)
        cwd = search(r"Workspace Directories:\*\*\s*- (\S+)", said)
        turn = sum(1 for content in body["contents"] if content.get("role") == "model")
        action, tokens = script.next(cwd, said, turn)
        if action == "read":
            part = function_call("read_file", {"file_path": f"{cwd}/{PRICING}"})
        elif action == "skill":
            part = function_call("activate_skill", {"name": SKILL_NAME})
        elif action == "skill_file":  # where Gemini CLI said the skill lives
            folder = search(rf"<name>{SKILL_NAME}</name>[\s\S]*?<location>(\S+)/SKILL\.md", said)
            part = function_call("read_file", {"file_path": f"{folder}/{REFERENCE}"})
        elif action == "edit":
            part = function_call(
                "write_file", {"file_path": f"{cwd}/{PRICING}", "content": SOLUTION}
            )
        elif action == "run":
            part = function_call("run_shell_command", {"command": CHECK})
        else:
            part = text(FINAL)
        return Turn(
            [part],
            prompt_tokens=tokens.fresh + tokens.cached,  # Gemini counts cached in the prompt
            cached_tokens=tokens.cached,
            output_tokens=tokens.output,
        )

    return respond


def test_gemini_cli_runs_a_trial_per_arm_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_client("gemini", monkeypatch)
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(PRICES))
    script = Script()
    with serve(gemini_session(script)) as api:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", api.url)
        code, records, run_dir = run_trials(
            tmp_path, "gemini", MODEL, "baseline,skill", "--prices", str(prices)
        )
    assert code == 0
    assert_solved_session(script, records, run_dir, ["SKILL.md", REFERENCE])
    table = load_prices(prices)
    for record in records.values():
        # Gemini CLI reports tokens, not cost: the cost is the price table's, on those tokens.
        usage = record.agent.usage
        assert usage.unpriced_calls == 0
        assert usage.cost_usd == table.cost(MODEL, usage) > 0
        assert record.agent.turns == len(script.trial(record).actions)


def api_error(status: int, name: str) -> Error:
    return Error(status, body={"error": {"code": status, "message": "scripted", "status": name}})


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        (api_error(429, "RESOURCE_EXHAUSTED"), "try again later"),
        (api_error(500, "INTERNAL"), "500"),
        (DROP, "fetch failed"),
    ],
    ids=["429", "500", "dropped"],
)
def test_a_failing_gemini_api_ends_as_an_infrastructure_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Error | str, says: str
) -> None:
    use_client("gemini", monkeypatch)
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("SKILL_EVAL_CLIENT_RETRIES", "1")
    with serve(lambda _body: failure) as api:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", api.url)
        code, records, _ = run_trials(tmp_path, "gemini", MODEL, "skill")
    assert code == 1  # infrastructure errors fail the run: they are not results
    record = records["skill"]
    assert record.infra_error
    assert record.score is None
    assert record.agent.detail.startswith("model API error: [API Error")
    assert says in record.agent.detail
    assert len(api.requests) == 2, len(api.requests)  # SKILL_EVAL_CLIENT_RETRIES=1


def first_request(program: Path, home: Path, project: Path) -> str:
    """Start Gemini CLI in ``project`` as a user with HOME ``home`` (API-key auth chosen in
    ~/.gemini/settings.json, the folder trusted); its first request."""
    settings = home / ".gemini" / "settings.json"
    settings.parent.mkdir(exist_ok=True)
    settings.write_text(json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    with serve(lambda _body: Turn([text("Done.")])) as api:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "GEMINI_API_KEY": "test-key",
            "GOOGLE_GEMINI_BASE_URL": api.url,
            "GEMINI_CLI_TRUST_WORKSPACE": "true",
        }
        argv = [str(program), "--prompt", "Which skills do you have?", "--model", MODEL,
                "--output-format", "json"]  # fmt: skip
        subprocess.run(
            argv, cwd=project, env=env, stdin=subprocess.DEVNULL, capture_output=True,
            timeout=180, check=False,
        )  # fmt: skip
    assert api.requests, "Gemini CLI sent no request"
    return request_text(api.requests[0])


@pytest.mark.parametrize("scope", ["project", "user"])
def test_skill_install_is_listed_by_gemini_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scope: str
) -> None:
    program = client_bin("gemini")
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    monkeypatch.setenv("HOME", str(home))
    target = ["--agent", "gemini", "--scope", scope, "--project-dir", str(project)]
    build = ["--root", str(REPO_ROOT), "--out", str(tmp_path / "dist"), "--no-lint"]
    assert main(["skill", "install", *target, *build]) == 0
    said = first_request(program, home, project)
    listed = f"<name>{SKILL_NAME}</name> <description>{' '.join(SKILL_DESCRIPTION.split())}"
    assert listed in " ".join(said.split())
