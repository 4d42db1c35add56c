"""A local fake of the Messages API: an HTTP server on 127.0.0.1 replaying scripted turns.

Each script step is called with the request body and returns what to answer: a Message dict
(HTTP 200; as server-sent events when the request asks to stream, as Claude Code does), an
``Error`` (status, headers, body), ``DROP`` (close the connection unanswered) or ``MALFORMED``
(HTTP 200 with a body that is not JSON). ``serve`` replays a list of steps in order;
``serve_session`` answers every request with one function of the request (a session that
decides from the conversation so far, so it needs no order). Message requests are recorded for
assertions (``requests``); every HTTP request, other paths included, in ``http``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests import fake_http

Body = dict[str, Any]


@dataclass(frozen=True)
class Error:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = field(
        default_factory=lambda: {"type": "error", "error": {"type": "x", "message": "scripted"}}
    )


DROP = "drop"
MALFORMED = "malformed"
Answer = Body | Error | str
Step = Callable[[Body], Answer]


def message(content: list[Body], stop_reason: str = "tool_use", **usage: int) -> Body:
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": usage.get("input_tokens", 100),
            "output_tokens": usage.get("output_tokens", 50),
            "cache_creation_input_tokens": usage.get("cache_write", 0),
            "cache_read_input_tokens": usage.get("cache_read", 0),
        },
    }


def tool_use(name: str, tool_input: Body, call_id: str = "toolu_1") -> Body:
    return {"type": "tool_use", "id": call_id, "name": name, "input": tool_input}


def editor(call_id: str = "toolu_1", **tool_input: Any) -> Body:
    return tool_use("str_replace_based_edit_tool", tool_input, call_id)


def bash(command: str, call_id: str = "toolu_1") -> Body:
    return tool_use("bash", {"command": command}, call_id)


def text(value: str) -> Body:
    return {"type": "text", "text": value}


def done(summary: str = "Done.") -> Body:
    return message([text(summary)], stop_reason="end_turn")


@dataclass
class FakeMessagesAPI:
    script: list[Step]
    requests: list[Body] = field(default_factory=list)
    url: str = ""
    respond: Step | None = None  # answers every request when set (``serve_session``)
    http: fake_http.Server = field(default_factory=fake_http.Server)

    def answer(self, body: Body) -> Answer:
        self.requests.append(body)
        if self.respond is not None:
            return self.respond(body)
        if not self.script:
            return Error(500, body={"type": "error", "error": {"message": "script exhausted"}})
        return self.script.pop(0)(body)


def last_tool_results(body: Body) -> list[Body]:
    content = body["messages"][-1]["content"]
    return [c for c in content if isinstance(c, dict) and c.get("type") == "tool_result"]


def stream_events(answer: Body) -> list[tuple[str | None, Any]]:
    """A Message as the streaming Messages API sends it."""
    usage = answer["usage"]
    start = {**answer, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 0}}
    events: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    for index, block in enumerate(answer["content"]):
        if block["type"] == "tool_use":
            empty = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        else:
            empty, delta = (
                {"type": "text", "text": ""},
                {"type": "text_delta", "text": block["text"]},
            )
        events += [
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": empty},
            ),
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": index}),
        ]
    stop = {"stop_reason": answer["stop_reason"], "stop_sequence": None}
    final_usage = {"output_tokens": usage["output_tokens"]}
    events += [
        ("message_delta", {"type": "message_delta", "delta": stop, "usage": final_usage}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


def _reply(api: FakeMessagesAPI, request: fake_http.Request) -> fake_http.Answer:
    if request.method != "POST" or not request.path.startswith("/v1/messages"):
        return fake_http.Reply(body={})  # Claude Code's reachability probes
    if request.path.startswith("/v1/messages/count_tokens"):
        return fake_http.Reply(body={"input_tokens": 100})
    body = request.body if isinstance(request.body, dict) else {}
    answer = api.answer(body)
    if answer == DROP:
        return fake_http.DROP
    if answer == MALFORMED:
        return fake_http.Reply(raw=b"{not json")
    if isinstance(answer, Error):
        return fake_http.Reply(answer.status, answer.body, answer.headers)
    assert isinstance(answer, dict)
    if body.get("stream"):
        return fake_http.Reply(events=stream_events(answer))
    return fake_http.Reply(body=answer)


@contextmanager
def _serving(api: FakeMessagesAPI) -> Iterator[FakeMessagesAPI]:
    with fake_http.serve_http(lambda request: _reply(api, request)) as server:
        api.url, api.http = server.url, server
        yield api


@contextmanager
def serve(script: list[Step]) -> Iterator[FakeMessagesAPI]:
    with _serving(FakeMessagesAPI(script=list(script))) as api:
        yield api


@contextmanager
def serve_session(respond: Step) -> Iterator[FakeMessagesAPI]:
    with _serving(FakeMessagesAPI(script=[], respond=respond)) as api:
        yield api
