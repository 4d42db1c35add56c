"""The HTTP server under the local fakes of model APIs: it records each request and answers it.

A fake is a function from a :class:`Request` to a :class:`Reply` (JSON, or server-sent events),
or :data:`DROP` (the connection is closed unanswered). The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DROP = "drop"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the JSON body, or None


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # sent as JSON unless ``raw`` or ``events`` is given
    headers: dict[str, str] = field(default_factory=dict)
    events: list[tuple[str | None, Any]] | None = None  # (event name, data): text/event-stream
    raw: bytes | None = None


Answer = Reply | str
Handler = Callable[[Request], Answer]


def sse(events: list[tuple[str | None, Any]]) -> bytes:
    lines = []
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        lines.append(f"{head}data: {json.dumps(data)}\n\n")
    return "".join(lines).encode()


@dataclass
class Server:
    url: str = ""
    requests: list[Request] = field(default_factory=list)


@contextmanager
def serve_http(handler: Handler) -> Iterator[Server]:
    """Serve ``handler`` on a free port of 127.0.0.1 until the block ends."""
    server_state = Server()
    lock = threading.Lock()

    class RequestHandler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            request = Request(self.command, self.path, dict(self.headers), body)
            with lock:
                server_state.requests.append(request)
            answer = handler(request)
            if answer == DROP:
                self.close_connection = True
                self.connection.close()
                return
            assert isinstance(answer, Reply)
            if answer.events is not None:
                payload, kind = sse(answer.events), "text/event-stream"
            elif answer.raw is not None:
                payload, kind = answer.raw, "application/json"
            else:
                payload, kind = json.dumps(answer.body).encode(), "application/json"
            self.send_response(answer.status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(payload)))
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def do_HEAD(self) -> None:
            self._answer()

    server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
