"""Request ids: accept or mint one per request, expose it to logging, echo it on the response."""

import logging
import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
# Ids from clients end up in log lines and headers: short and plain, or we mint our own.
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
access_logger = logging.getLogger("ordersvc.access")


def resolve_request_id(incoming: str | None) -> str:
    if incoming is not None and _VALID_ID.fullmatch(incoming):
        return incoming
    return str(uuid.uuid4())


class RequestIdMiddleware:
    """Pure ASGI middleware: the context variable is set in the task that runs the endpoint,
    and reset when the request is done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = resolve_request_id(Headers(scope=scope).get(HEADER))
        token = current_request_id.set(request_id)
        status_code = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_logger.info("%s %s %d", scope["method"], scope["path"], status_code)
            current_request_id.reset(token)
