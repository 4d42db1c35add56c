"""A local fake of the Gemini API (``models/MODEL:streamGenerateContent``), for Gemini CLI.

``serve(respond)`` answers every content request with ``respond(body)``: the parts of one model
turn (text, function calls) with their token counts, sent as server-sent events for a streamed
request and as JSON otherwise; or an ``Error``, or ``DROP`` (the connection is closed
unanswered). ``countTokens`` gets a count. Gemini CLI sends the whole conversation each time
(``contents``), so the answer can be decided from it.
"""

from __future__ import annotations

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
        default_factory=lambda: {
            "error": {"code": 500, "message": "scripted", "status": "INTERNAL"}
        }
    )


@dataclass(frozen=True)
class Turn:
    parts: list[Body]
    prompt_tokens: int = 100
    cached_tokens: int = 0
    output_tokens: int = 10


Answer = Turn | Error | str
Respond = Callable[[Body], Answer]


def function_call(name: str, args: Body) -> Body:
    return {"functionCall": {"name": name, "args": args}}


def text(value: str) -> Body:
    return {"text": value}


def response(turn: Turn, model: str) -> Body:
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": turn.parts},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": turn.prompt_tokens,
            "cachedContentTokenCount": turn.cached_tokens,
            "candidatesTokenCount": turn.output_tokens,
            "totalTokenCount": turn.prompt_tokens + turn.output_tokens,
        },
        "modelVersion": model,
    }


@dataclass
class FakeGeminiAPI:
    respond: Respond
    requests: list[Body] = field(default_factory=list)  # bodies of the content requests
    url: str = ""
    http: fake_http.Server = field(default_factory=fake_http.Server)

    def reply(self, request: fake_http.Request) -> fake_http.Answer:
        path = request.path.split("?")[0]
        model = path.rsplit("/", 1)[-1].split(":")[0]
        if request.method != "POST":
            return fake_http.Reply(404, {"error": {"code": 404, "message": "no route"}})
        if path.endswith(":countTokens"):
            return fake_http.Reply(body={"totalTokens": 100})
        if not path.endswith(("generateContent", "GenerateContent")):
            return fake_http.Reply(404, {"error": {"code": 404, "message": "no route"}})
        body = request.body if isinstance(request.body, dict) else {}
        self.requests.append(body)
        answer = self.respond(body)
        if answer == DROP:
            return DROP
        if isinstance(answer, Error):
            return fake_http.Reply(answer.status, answer.body, answer.headers)
        assert isinstance(answer, Turn)
        if path.endswith(":streamGenerateContent"):
            return fake_http.Reply(events=[(None, response(answer, model))])
        return fake_http.Reply(body=response(answer, model))


@contextmanager
def serve(respond: Respond) -> Iterator[FakeGeminiAPI]:
    api = FakeGeminiAPI(respond)
    with fake_http.serve_http(api.reply) as server:
        api.url, api.http = server.url, server
        yield api
