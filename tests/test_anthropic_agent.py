"""The anthropic agent on the real SDK against a local fake Messages API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from harness.agents.anthropic_agent import AnthropicAgent
from harness.agents.base import AgentRequest, Limits, SkillBundle
from harness.agents.pricing import load_prices
from harness.agents.skill import stage
from harness.scoring.scorer import score
from harness.store.models import AgentResult, Arm
from harness.task import Task
from harness.workspace.prepare import prepare
from tests.conftest import MINI_SUITE
from tests.fake_anthropic import (
    DROP,
    MALFORMED,
    Body,
    Error,
    Step,
    bash,
    done,
    editor,
    last_tool_results,
    message,
    serve,
)

SOLUTION = (MINI_SUITE / "tasks/add-discount/solution/src/minisvc/domain/pricing.py").read_text()
PRICING = "src/minisvc/domain/pricing.py"
HIDDEN = MINI_SUITE / "tasks" / "add-discount" / "hidden" / "test_discount.py"


def reply(answer: Body | Error | str) -> Step:
    return lambda _body: answer


def solving_script() -> list[Step]:
    """View the file, rewrite it, run the tests, stop: a short real session."""
    return [
        reply(message([editor(command="view", path=PRICING)], input_tokens=1200, cache_write=900)),
        reply(
            message([editor(command="create", path=PRICING, file_text=SOLUTION)], cache_read=900)
        ),
        reply(message([bash("python -m pytest -q -p no:cacheprovider tests")], cache_read=1000)),
        reply(done("Added discounted().")),
    ]


def make_agent(url: str, **kwargs: Any) -> AnthropicAgent:
    return AnthropicAgent(
        model="claude-sonnet-4-6",
        prices=load_prices(),
        base_url=url,
        api_key="test-key",
        backoff_base_s=0.01,
        **kwargs,
    )


def run_agent(
    agent: AnthropicAgent,
    task: Task,
    tmp_path: Path,
    arm: Arm = "baseline",
    skill: SkillBundle | None = None,
) -> tuple[AgentResult, Path]:
    workspace = prepare(task, tmp_path / "ws")
    request = AgentRequest(
        task=task,
        workspace=workspace,
        arm=arm,
        skill=skill,
        limits=Limits(max_turns=10, wall_seconds=120),
        hidden=(MINI_SUITE / "tasks",),
    )
    return agent.run(request), workspace


def test_a_multi_turn_tool_session_solves_the_task(mini_task: Task, tmp_path: Path) -> None:
    with serve(solving_script()) as api:
        result, workspace = run_agent(make_agent(api.url), mini_task, tmp_path)
    assert result.status == "completed"
    assert result.turns == 4
    assert result.usage.calls == 4
    assert result.usage.input_tokens == 1200 + 3 * 100
    assert result.usage.cache_read_tokens == 900 + 1000
    assert result.usage.cache_write_tokens == 900
    # sonnet: $3 in, $15 out, $3.75 cache write, $0.30 cache read per million tokens
    expected = (1500 * 3 + 200 * 15 + 900 * 3.75 + 1900 * 0.30) / 1e6
    assert result.usage.cost_usd == pytest.approx(expected)
    tests_output = last_tool_results(api.requests[3])[0]["content"]
    assert "2 passed" in tests_output  # the mini fixture's two visible tests
    assert score(mini_task, workspace).resolved


def test_requests_carry_tools_and_cache_breakpoints(mini_task: Task, tmp_path: Path) -> None:
    with serve(solving_script()) as api:
        run_agent(make_agent(api.url), mini_task, tmp_path)
    first, second = api.requests[0], api.requests[1]
    assert [t["type"] for t in first["tools"]] == ["text_editor_20250728", "bash_20250124"]
    assert first["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "available_skills" not in first["system"][0]["text"]  # baseline arm
    marked = [
        block
        for msg in second["messages"]
        for block in msg["content"]
        if isinstance(block, dict) and "cache_control" in block
    ]
    assert len(marked) == 1  # only the newest block: at most 4 breakpoints allowed
    assert "cache_control" in second["messages"][-1]["content"][-1]
    viewed = last_tool_results(second)[0]
    assert "def total(prices: list[int]) -> int:" in viewed["content"]


def test_the_skill_arm_lists_the_skill_and_records_reads(mini_task: Task, tmp_path: Path) -> None:
    source = tmp_path / "skill-src" / "python-backend-architecture"
    (source / "references").mkdir(parents=True)
    (source / "SKILL.md").write_text(
        "---\nname: python-backend-architecture\ndescription: Python backend guidance.\n---\n"
        "Read references/caching.md first.\n"
    )
    (source / "references" / "caching.md").write_text("# Caching\n")
    skill = stage(source, tmp_path / "trial-skills")

    def read_skill(body: Body) -> Body:
        location = re.search(r"<location>(.+)</location>", body["system"][0]["text"])
        assert location is not None
        return message([editor(command="view", path=location.group(1))])

    def read_reference(body: Body) -> Body:
        assert "Read references/caching.md" in last_tool_results(body)[0]["content"]
        return message([bash(f"cat {skill.folder}/references/caching.md")])

    def try_to_edit_the_skill(body: Body) -> Body:
        path = f"{skill.folder}/SKILL.md"
        return message([editor(command="create", path=path, file_text="mine")])

    script = [read_skill, read_reference, try_to_edit_the_skill, reply(done())]
    with serve(script) as api:
        result, _ = run_agent(make_agent(api.url), mini_task, tmp_path, "skill", skill)
    assert result.skill_reads == ["SKILL.md", "references/caching.md"]
    assert any("read-only" in r for r in result.refused)
    assert (skill.folder / "SKILL.md").read_text().startswith("---")


def test_rate_limits_overload_and_dropped_connections_are_retried(
    mini_task: Task, tmp_path: Path
) -> None:
    script = [
        reply(Error(429, headers={"retry-after": "0"})),
        reply(Error(529)),
        reply(DROP),
        reply(MALFORMED),
        *solving_script(),
    ]
    with serve(script) as api:
        result, workspace = run_agent(make_agent(api.url), mini_task, tmp_path)
    assert result.status == "completed"
    assert [r.split(": ", 1)[1] for r in result.retries] == [
        "HTTP 429",
        "HTTP 529",
        "APIConnectionError",
        "malformed response (JSONDecodeError)",
    ]
    assert score(mini_task, workspace).resolved


def test_persistent_failures_are_infrastructure_errors(mini_task: Task, tmp_path: Path) -> None:
    with serve([reply(Error(503))] * 3) as api:
        result, _ = run_agent(make_agent(api.url, max_retries=2), mini_task, tmp_path)
    assert result.status == "infra_error"
    assert result.infra_error
    assert "gave up after 3 attempts; last: HTTP 503" in result.detail


def test_a_bad_request_is_not_retried(mini_task: Task, tmp_path: Path) -> None:
    with serve([reply(Error(400)), *solving_script()]) as api:
        result, _ = run_agent(make_agent(api.url), mini_task, tmp_path)
    assert result.status == "infra_error"
    assert len(api.requests) == 1


def test_escapes_and_hidden_test_reads_are_refused_and_recorded(
    mini_task: Task, tmp_path: Path
) -> None:
    (tmp_path / "outside.txt").write_text("secret outside the workspace")
    script = [
        reply(message([editor(command="view", path="../outside.txt")])),
        reply(message([editor(command="view", path=str(HIDDEN))])),
        reply(message([bash(f"cat {HIDDEN}; ls {HIDDEN.parent}")])),
        reply(message([bash("ln -s ../outside.txt link.txt")])),
        reply(message([editor(command="view", path="link.txt")])),
        reply(message([bash("env")])),
        reply(done()),
    ]
    with serve(script) as api:
        result, _ = run_agent(make_agent(api.url), mini_task, tmp_path)
    outputs = [last_tool_results(r)[0] for r in api.requests[1:7]]
    assert outputs[0]["is_error"]
    assert "not allowed" in outputs[0]["content"]
    assert outputs[1]["is_error"]
    assert "test_ten_percent_off" not in outputs[2]["content"]  # the folder is mounted away
    assert outputs[4]["is_error"]  # the symlink resolves outside: refused
    assert "test-key" not in outputs[5]["content"]  # the API key never reaches commands
    assert len(result.refused) == 4
    assert any("hidden benchmark material" in r for r in result.refused)


def test_a_model_missing_from_the_price_table_is_flagged(mini_task: Task, tmp_path: Path) -> None:
    with serve([reply(done())]) as api:
        agent = make_agent(api.url)
        agent.model = "claude-unknown-9"
        result, _ = run_agent(agent, mini_task, tmp_path)
    assert result.usage.unpriced_calls == 1
    assert result.usage.cost_usd == 0.0


def test_the_turn_limit_stops_a_looping_agent(mini_task: Task, tmp_path: Path) -> None:
    script = [reply(message([bash("true")]))] * 12
    with serve(script) as api:
        workspace = prepare(mini_task, tmp_path / "ws")
        request = AgentRequest(
            task=mini_task,
            workspace=workspace,
            arm="baseline",
            skill=None,
            limits=Limits(max_turns=3),
            hidden=(),
        )
        result = make_agent(api.url).run(request)
    assert result.status == "turn_limit"
    assert len(api.requests) == 3
