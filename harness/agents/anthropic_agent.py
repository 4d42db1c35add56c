"""A tool-using coding agent on the official ``anthropic`` SDK.

Claude's built-in client tools (the text editor ``text_editor_20250728`` and ``bash_20250124``)
are executed by the harness inside the workspace (see :mod:`harness.agents.tools`). The stable
prefix (tools + system prompt) and the conversation so far carry cache breakpoints. API failures
(429, 5xx, 529, connection errors, malformed responses) are retried with backoff and, when they
persist, end the trial as an infrastructure error, never as the agent's failure.
"""

from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass, field
from typing import Any

import anthropic

from harness.agents.base import AgentRequest, SkillBundle
from harness.agents.pricing import PriceTable
from harness.agents.tools import ToolBox, ToolError
from harness.store.models import AgentResult, AgentStatus, Usage

EDITOR_TOOL = {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}
BASH_TOOL = {"type": "bash_20250124", "name": "bash"}
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})

SYSTEM_PROMPT = """\
You are a senior software engineer working on a Python service in a git repository at {workspace}.
A ticket follows. Implement it completely, the way the team would merge it.

Tools: `str_replace_based_edit_tool` edits files; `bash` runs commands in a persistent shell that
starts in the repository (cd and variables carry over; no network access). The environment
already has what the project needs: python, pytest, ruff and mypy (configured in pyproject.toml).
Paths are relative to the repository unless absolute. When the ticket is done, reply with a short
summary of the change and stop.

Who owns what (the repository's README says the same): the source, new test modules and the test
helpers (modules under tests/ that are neither test modules nor conftest.py, such as
tests/fakes.py) are yours to change. The existing test modules (tests/test_*.py), every
conftest.py and the tool configuration are kept as they are: changes to them are not merged, and
the originals run against your code and your helpers. Put new tests in new files.
"""

SKILL_LISTING = """
<available_skills>
<skill>
<name>{name}</name>
<description>{description}</description>
<location>{location}</location>
</skill>
</available_skills>
When a task matches a skill's description, read that skill's SKILL.md (view it with the editor)
before you start, and open the references it points to when you work in their area. Skill files
are read-only.
"""

INLINE_SKILL = """
The following skill applies to this work. Its references are in {folder}/references (read-only).
<skill name="{name}">
{body}
</skill>
"""


def system_prompt(request: AgentRequest) -> str:
    text = SYSTEM_PROMPT.format(workspace=request.workspace)
    skill: SkillBundle | None = request.skill
    if skill is None or request.arm == "baseline":
        return text
    if request.arm == "inline":
        return text + INLINE_SKILL.format(folder=skill.folder, name=skill.name, body=skill.body)
    location = skill.folder / "SKILL.md"
    return text + SKILL_LISTING.format(
        name=skill.name, description=skill.description, location=location
    )


class InfrastructureError(Exception):
    """The API could not be used (after retries): the trial says nothing about the agent."""


@dataclass
class AnthropicAgent:
    model: str
    prices: PriceTable
    base_url: str | None = None
    api_key: str | None = None
    max_retries: int = 4
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 60.0
    temperature: float | None = None
    name: str = "anthropic"
    _sleep: Any = field(default=time.sleep, repr=False)

    def settings(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "tools": [EDITOR_TOOL["type"], BASH_TOOL["type"]],
            "temperature": self.temperature,
            "system_prompt": SYSTEM_PROMPT + SKILL_LISTING + INLINE_SKILL,
        }

    def client(self) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            api_key=self.api_key, base_url=self.base_url, max_retries=0, timeout=600.0
        )

    # --- one API call, with retries ------------------------------------------------------------

    def _create(
        self, client: anthropic.Anthropic, params: dict[str, Any], retries: list[str]
    ) -> anthropic.types.Message:
        for attempt in range(self.max_retries + 1):
            try:
                message = client.messages.create(**params)
                if not isinstance(message, anthropic.types.Message) or message.usage is None:
                    raise InfrastructureError("malformed response: not a Message")
                return message
            except anthropic.APIStatusError as exc:
                cause = f"HTTP {exc.status_code}"
                if exc.status_code not in RETRYABLE_STATUS:
                    raise InfrastructureError(f"{cause}: {exc.message}") from exc
                wait = self._retry_after(exc.response.headers.get("retry-after"), attempt)
            except (anthropic.APIConnectionError, anthropic.APIResponseValidationError) as exc:
                cause = type(exc).__name__
                wait = self._retry_after(None, attempt)
            except ValueError as exc:  # a body that is not valid JSON / not a Message
                cause = f"malformed response ({type(exc).__name__})"
                wait = self._retry_after(None, attempt)
            except InfrastructureError as exc:
                cause = str(exc)
                wait = self._retry_after(None, attempt)
            retries.append(f"attempt {attempt + 1}: {cause}")
            if attempt == self.max_retries:
                raise InfrastructureError(
                    f"gave up after {attempt + 1} attempts; last: {cause}"
                ) from None
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _retry_after(self, header: str | None, attempt: int) -> float:
        if header is not None:
            try:
                return min(self.backoff_cap_s, max(0.0, float(header)))
            except ValueError:
                pass
        backoff: float = self.backoff_base_s * 2**attempt
        return min(self.backoff_cap_s, backoff * (0.5 + random.random() / 2))

    # --- the agent loop ------------------------------------------------------------------------

    def run(self, request: AgentRequest) -> AgentResult:
        started = time.monotonic()
        tools = ToolBox(
            workspace=request.workspace,
            skill_dir=request.skill.folder if request.skill and request.arm != "baseline" else None,
            hidden=request.hidden,
            command_timeout_s=request.limits.command_timeout_s,
        )
        system = [
            {
                "type": "text",
                "text": system_prompt(request),
                "cache_control": {"type": "ephemeral"},
            }
        ]
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": [{"type": "text", "text": request.task.spec.prompt}]}
        ]
        usage = Usage()
        retries: list[str] = []
        status: AgentStatus = "turn_limit"
        detail = ""
        turns = 0
        client = self.client()
        try:
            while turns < request.limits.max_turns:
                turns += 1
                if time.monotonic() - started > request.limits.wall_seconds:
                    status, detail = "time_limit", f"{request.limits.wall_seconds:.0f} s elapsed"
                    break
                params: dict[str, Any] = {
                    "model": self.model,
                    "max_tokens": request.limits.max_output_tokens,
                    "system": system,
                    "tools": [EDITOR_TOOL, BASH_TOOL],
                    "messages": with_cache_breakpoint(messages),
                }
                if self.temperature is not None:
                    params["temperature"] = self.temperature
                message = self._create(client, params, retries)
                usage = usage.plus(self._usage(message))
                content = [
                    block.model_dump(mode="json", exclude_none=True) for block in message.content
                ]
                messages.append({"role": "assistant", "content": content})
                tool_uses = [b for b in message.content if b.type == "tool_use"]
                if not tool_uses:
                    if message.stop_reason == "max_tokens":
                        status, detail = "token_limit", "the reply hit max_tokens"
                    else:
                        status = "completed"
                    break
                messages.append(
                    {"role": "user", "content": [self._execute(tools, b) for b in tool_uses]}
                )
            else:
                detail = f"stopped after {request.limits.max_turns} turns"
        except InfrastructureError as exc:
            status, detail = "infra_error", str(exc)
        finally:
            client.close()
            tools.close()
        return AgentResult(
            status=status,
            detail=detail,
            turns=turns,
            wall_s=round(time.monotonic() - started, 3),
            usage=usage,
            skill_reads=tools.skill_reads,
            refused=tools.refused,
            retries=retries,
            transcript=[{"role": "system", "content": system[0]["text"]}, *messages],
        )

    def _usage(self, message: anthropic.types.Message) -> Usage:
        u = message.usage
        call = Usage(
            calls=1,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cache_read_tokens=u.cache_read_input_tokens or 0,
            cache_write_tokens=u.cache_creation_input_tokens or 0,
        )
        if self.prices.price(self.model) is None:
            call.unpriced_calls = 1
        call.cost_usd = self.prices.cost(self.model, call)
        return call

    def _execute(self, tools: ToolBox, block: Any) -> dict[str, Any]:
        args = block.input if isinstance(block.input, dict) else {}
        try:
            if block.name == EDITOR_TOOL["name"]:
                output, is_error = tools.editor(args), False
            elif block.name == BASH_TOOL["name"]:
                output, is_error = tools.bash(args), False
            else:
                output, is_error = f"unknown tool {block.name!r}", True
        except ToolError as exc:
            output, is_error = str(exc), True
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": block.id, "content": output}
        if is_error:
            result["is_error"] = True
        return result


def with_cache_breakpoint(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of the conversation whose last block carries the cache breakpoint."""
    marked = copy.deepcopy(messages)
    last = marked[-1]["content"]
    if isinstance(last, list) and last:
        last[-1]["cache_control"] = {"type": "ephemeral"}
    return marked
