"""Codex CLI itself (the npm package, pinned) against a local fake of the OpenAI Responses API.

Trials run through ``skill-eval run --agent command --preset codex``, as root in CI, in the
harness's jail, with OPENAI_BASE_URL pointing at the fake: the preset turns it into a model
provider of Codex's own configuration, the only way Codex takes a base URL.
"""

from __future__ import annotations

import json
import os
import re
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
    Script,
    assert_solved_session,
    client_bin,
    request_text,
    run_trials,
    search,
    use_client,
)
from tests.fake_openai import (
    DROP,
    Body,
    Error,
    Output,
    Respond,
    assistant_message,
    custom_tool_call,
    function_call,
    serve,
)

MODEL = "gpt-5.5"  # a model Codex knows (its own tools: exec_command, apply_patch)
PATCH = """*** Begin Patch
*** Update File: src/minisvc/domain/pricing.py
@@
 def total(prices: list[int]) -> int:
     return sum(prices)
+
+
+def discounted(total: int, percent: int) -> int:
+    if not 0 <= percent <= 100:
+        raise ValueError(f"percent must be within 0..100, got {percent}")
+    return total * (100 - percent) // 100
*** End Patch"""
PRICES = {"as_of": "test", "models": {MODEL: {"input": 2.0, "output": 8.0, "cache_write": 0.0,
                                               "cache_read": 0.5}}}  # fmt: skip


def skill_file(said: str) -> str:
    """The skill's SKILL.md, as Codex lists it: ``(file: r1/NAME/SKILL.md)`` and a roots table."""
    roots = dict(re.findall(r"`(r\d+)` = `([^`]+)`", said))
    root, rest = re.findall(rf"- {SKILL_NAME}: .*\(file: (r\d+)/(\S+)\)", said)[0]
    return f"{roots[root]}/{rest}"


def codex_session(script: Script) -> Respond:
    """The session in Codex's tools: exec_command (cat, sed, python), apply_patch."""

    def respond(body: Body) -> Output:
        said = request_text(body)
        cwd = search(r"<cwd>([^<]+)</cwd>", said)
        calls = ("function_call", "custom_tool_call")
        turn = sum(1 for item in body["input"] if item.get("type") in calls)
        action, tokens = script.next(cwd, said, turn)
        if action == "read":
            item = function_call("exec_command", {"cmd": f"cat {PRICING}"})
        elif action == "skill":  # Codex reads a skill's SKILL.md from the path it was given
            item = function_call("exec_command", {"cmd": f"cat {skill_file(said)}"})
        elif action == "skill_file":
            folder = skill_file(said).rsplit("/", 1)[0]
            item = function_call("exec_command", {"cmd": f"sed -n '1,80p' {folder}/{REFERENCE}"})
        elif action == "edit":
            item = custom_tool_call("apply_patch", PATCH)
        elif action == "run":
            item = function_call("exec_command", {"cmd": CHECK})
        else:
            item = assistant_message(FINAL)
        return Output(
            [item],
            input_tokens=tokens.fresh + tokens.cached,  # OpenAI counts cached input in input
            cached_tokens=tokens.cached,
            output_tokens=tokens.output,
        )

    return respond


def test_codex_runs_a_trial_per_arm_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_client("codex", monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(PRICES))
    script = Script()
    with serve(codex_session(script)) as api:
        monkeypatch.setenv("OPENAI_BASE_URL", api.url)
        code, records, run_dir = run_trials(
            tmp_path, "codex", MODEL, "baseline,skill", "--prices", str(prices)
        )
    assert code == 0
    assert_solved_session(script, records, run_dir, ["SKILL.md", REFERENCE])
    table = load_prices(prices)
    for record in records.values():
        # Codex reports tokens, not cost: the cost is the price table's, on those tokens.
        usage = record.agent.usage
        assert usage.unpriced_calls == 0
        assert usage.cost_usd == table.cost(MODEL, usage) > 0
        assert record.agent.turns == len(script.trial(record).actions)


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        (Error(429, body={"error": {"message": "slow down", "type": "rate_limit"}}), "429"),
        (Error(500, body={"error": {"message": "boom", "type": "server_error"}}), ""),
        (DROP, "stream disconnected"),
    ],
    ids=["429", "500", "dropped"],
)
def test_a_failing_responses_api_ends_as_an_infrastructure_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Error | str, says: str
) -> None:
    use_client("codex", monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("SKILL_EVAL_CLIENT_RETRIES", "1")
    with serve(lambda _body: failure) as api:
        monkeypatch.setenv("OPENAI_BASE_URL", api.url)
        code, records, _ = run_trials(tmp_path, "codex", MODEL, "skill")
    assert code == 1  # infrastructure errors fail the run: they are not results
    record = records["skill"]
    assert record.infra_error
    assert record.score is None
    assert record.agent.detail.startswith("model API error: ")
    assert says in record.agent.detail
    # SKILL_EVAL_CLIENT_RETRIES=1 reached Codex's retry loops (request and stream, nested):
    # by default it makes up to 30 attempts.
    assert 1 <= len(api.requests) <= 4


def first_request(program: Path, home: Path, project: Path) -> str:
    """Start Codex in ``project`` as a user with HOME ``home`` (a provider of its own in
    ~/.codex/config.toml pointing at the fake); its first request."""
    with serve(lambda _body: Output([assistant_message("Done.")])) as api:
        (home / ".codex").mkdir(exist_ok=True)
        (home / ".codex" / "config.toml").write_text(
            'model_provider = "fake"\n[model_providers.fake]\nname = "fake"\n'
            f'base_url = "{api.url}"\nenv_key = "OPENAI_API_KEY"\nwire_api = "responses"\n'
        )
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "OPENAI_API_KEY": "test-key"}
        argv = [str(program), "exec", "--skip-git-repo-check", "--model", MODEL,
                "Which skills do you have?"]  # fmt: skip
        subprocess.run(
            argv, cwd=project, env=env, stdin=subprocess.DEVNULL, capture_output=True,
            timeout=120, check=False,
        )  # fmt: skip
    assert api.requests, "Codex sent no request"
    return request_text(api.requests[0])


@pytest.mark.parametrize("scope", ["project", "user"])
def test_skill_install_is_listed_by_codex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scope: str
) -> None:
    program = client_bin("codex")
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    monkeypatch.setenv("HOME", str(home))
    target = ["--agent", "codex", "--scope", scope, "--project-dir", str(project)]
    build = ["--root", str(REPO_ROOT), "--out", str(tmp_path / "dist"), "--no-lint"]
    assert main(["skill", "install", *target, *build]) == 0
    listed = " ".join(first_request(program, home, project).split())
    assert f"- {SKILL_NAME}: {' '.join(SKILL_DESCRIPTION.split())} (file: " in listed
