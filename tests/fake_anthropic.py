"""A local fake of the Messages API: an HTTP server on 127.0.0.1 replaying scripted turns.

Each script step is called with the request body and returns what to answer: a Message dict
(HTTP 200), an ``Error`` (status, headers, body), ``DROP`` (close the connection unanswered) or
``MALFORMED`` (HTTP 200 with a body that is not JSON). Requests are recorded for assertions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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

    def answer(self, body: Body) -> Answer:
        self.requests.append(body)
        if not self.script:
            return Error(500, body={"type": "error", "error": {"message": "script exhausted"}})
        return self.script.pop(0)(body)


def last_tool_results(body: Body) -> list[Body]:
    content = body["messages"][-1]["content"]
    return [c for c in content if isinstance(c, dict) and c.get("type") == "tool_result"]


@contextmanager
def serve(script: list[Step]) -> Iterator[FakeMessagesAPI]:
    api = FakeMessagesAPI(script=list(script))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length))
            answer = api.answer(body)
            if answer == DROP:
                self.close_connection = True
                self.connection.close()
                return
            if answer == MALFORMED:
                self._send(200, b"{not json", {})
                return
            if isinstance(answer, Error):
                self._send(answer.status, json.dumps(answer.body).encode(), answer.headers)
                return
            self._send(200, json.dumps(answer).encode(), {})

        def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
