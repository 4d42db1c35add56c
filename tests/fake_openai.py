"""A local fake of the OpenAI Responses API (``POST /v1/responses``, streamed), for Codex CLI.

``serve(respond)`` answers every response request with ``respond(body)``: a list of output items
(function calls, custom tool calls, messages) sent as server-sent events and closed by a
``response.completed`` event carrying ``usage``; or an ``Error``, or ``DROP`` (the connection is
closed unanswered). Codex sends the whole conversation each time (``store`` is false), so the
answer can be decided from ``body["input"]``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests import fake_http

Body = dict[str, Any]
DROP = fake_http.DROP


@dataclass(frozen=True)
class Error:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = field(
        default_factory=lambda: {"error": {"message": "scripted", "type": "server_error"}}
    )


@dataclass(frozen=True)
class Output:
    items: list[Body]
    input_tokens: int = 100
    cached_tokens: int = 0
    output_tokens: int = 10


Answer = Output | Error | str
Respond = Callable[[Body], Answer]
_ids = itertools.count(1)


def function_call(name: str, arguments: Body) -> Body:
    n = next(_ids)
    return {
        "type": "function_call",
        "id": f"fc_{n}",
        "call_id": f"call_{n}",
        "name": name,
        "arguments": json.dumps(arguments),
        "status": "completed",
    }


def custom_tool_call(name: str, tool_input: str) -> Body:
    n = next(_ids)
    return {
        "type": "custom_tool_call",
        "id": f"ctc_{n}",
        "call_id": f"call_{n}",
        "name": name,
        "input": tool_input,
        "status": "completed",
    }


def assistant_message(text: str) -> Body:
    return {
        "type": "message",
        "id": f"msg_{next(_ids)}",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def events(output: Output, model: str) -> list[tuple[str | None, Any]]:
    response_id = f"resp_{next(_ids)}"
    base = {"id": response_id, "object": "response", "model": model, "status": "in_progress"}
    sent: list[tuple[str | None, Any]] = [
        ("response.created", {"type": "response.created", "response": {**base, "output": []}})
    ]
    for index, item in enumerate(output.items):
        sent.append(
            (
                "response.output_item.added",
                {"type": "response.output_item.added", "output_index": index, "item": item},
            )
        )
        sent.append(
            (
                "response.output_item.done",
                {"type": "response.output_item.done", "output_index": index, "item": item},
            )
        )
    usage = {
        "input_tokens": output.input_tokens,
        "input_tokens_details": {"cached_tokens": output.cached_tokens},
        "output_tokens": output.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": output.input_tokens + output.output_tokens,
    }
    done = {**base, "status": "completed", "output": output.items, "usage": usage}
    sent.append(("response.completed", {"type": "response.completed", "response": done}))
    return sent


@dataclass
class FakeResponsesAPI:
    respond: Respond
    requests: list[Body] = field(default_factory=list)  # the bodies of POST .../responses
    url: str = ""  # the base URL to configure (ends in /v1)
    http: fake_http.Server = field(default_factory=fake_http.Server)

    def reply(self, request: fake_http.Request) -> fake_http.Answer:
        if request.method != "POST" or not request.path.split("?")[0].endswith("/responses"):
            return fake_http.Reply(404, {"error": {"message": f"no route {request.path}"}})
        body = request.body if isinstance(request.body, dict) else {}
        self.requests.append(body)
        answer = self.respond(body)
        if answer == DROP:
            return DROP
        if isinstance(answer, Error):
            return fake_http.Reply(answer.status, answer.body, answer.headers)
        assert isinstance(answer, Output)
        return fake_http.Reply(events=events(answer, str(body.get("model", ""))))


@contextmanager
def serve(respond: Respond) -> Iterator[FakeResponsesAPI]:
    api = FakeResponsesAPI(respond)
    with fake_http.serve_http(api.reply) as server:
        api.url, api.http = f"{server.url}/v1", server
        yield api
