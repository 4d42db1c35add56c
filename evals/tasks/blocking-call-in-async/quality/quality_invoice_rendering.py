"""Quality probes: what a senior engineer keeps in mind when moving a slow call off the loop."""

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.pool import Pool

from ordersvc.application.dto import OrderDTO
from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

request_id_var: ContextVar[str | None] = ContextVar("probe_request_id", default=None)


class RecordingRenderer:
    """Records what the rendering thread sees: the request id and the connections in use."""

    def __init__(self, checked_out: Callable[[], int]) -> None:
        self._checked_out = checked_out
        self.request_ids: list[str | None] = []
        self.connections_in_use: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, order: OrderDTO) -> bytes:
        with self._lock:
            self.request_ids.append(request_id_var.get())
            self.connections_in_use.append(self._checked_out())
        return f"%PDF-1.4 invoice {order.id}".encode()


class PoolUsage:
    """Counts database connections checked out of any SQLAlchemy pool while installed."""

    def __init__(self) -> None:
        self.in_use = 0

    def _checkout(self, *_: object) -> None:
        self.in_use += 1

    def _checkin(self, *_: object) -> None:
        self.in_use -= 1

    def install(self) -> None:
        event.listen(Pool, "checkout", self._checkout)
        event.listen(Pool, "checkin", self._checkin)

    def remove(self) -> None:
        event.remove(Pool, "checkout", self._checkout)
        event.remove(Pool, "checkin", self._checkin)


def with_request_ids(app: ASGIApp) -> ASGIApp:
    """Pure ASGI middleware like a request-id one: the X-Request-ID header, in a ContextVar."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        token = request_id_var.set(headers.get(b"x-request-id", b"").decode() or None)
        try:
            await app(scope, receive, send)
        finally:
            request_id_var.reset(token)

    return middleware


@asynccontextmanager
async def service(tmp_path: Path, renderer: RecordingRenderer) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/quality.db")
    app = create_app(settings, invoice_renderer=renderer)
    transport = httpx.ASGITransport(app=with_request_ids(app))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        assert (
            await client.post("/customers", json={"email": "a@example.com", "name": "A"})
        ).status_code == 201
        product = await client.post(
            "/products", json={"sku": "P-1", "name": "Pen", "price": "4.25", "currency": "EUR"}
        )
        assert product.status_code == 201
        assert (await client.post("/stock/1", json={"quantity": 9})).status_code == 200
        order = await client.post(
            "/orders", json={"customer_id": 1, "lines": [{"product_id": 1, "quantity": 2}]}
        )
        assert order.status_code == 201
        yield client


async def test_rendering_holds_no_database_connection(tmp_path: Path) -> None:
    usage = PoolUsage()
    usage.install()
    try:
        renderer = RecordingRenderer(lambda: usage.in_use)
        async with service(tmp_path, renderer) as client:
            response = await client.get("/orders/1/invoice")
    finally:
        usage.remove()
    assert response.status_code == 200
    assert renderer.connections_in_use == [0], (
        "the order's unit of work (and its database connection) stayed open while the invoice"
        " rendered: slow renders pin the connection pool"
    )


async def test_rendering_thread_sees_the_request_context(tmp_path: Path) -> None:
    renderer = RecordingRenderer(lambda: 0)
    async with service(tmp_path, renderer) as client:
        first = await client.get("/orders/1/invoice", headers={"X-Request-ID": "req-a"})
        second = await client.get("/orders/1/invoice", headers={"X-Request-ID": "req-b"})
    assert first.status_code == second.status_code == 200
    assert renderer.request_ids == ["req-a", "req-b"], (
        "the renderer's thread lost the request's context variables (request id in its logs)"
    )
