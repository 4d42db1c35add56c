import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from ordersvc.application.dto import OrderDTO
from ordersvc.bootstrap import create_app
from ordersvc.config import Settings


class GatedRenderer:
    """A synchronous renderer that only finishes once the test releases it (or 0.5 s passed)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.released_in_time: list[bool] = []
        self.threads: list[int] = []
        self.orders: list[int] = []

    def __call__(self, order: OrderDTO) -> bytes:
        self.threads.append(threading.get_ident())
        self.orders.append(order.id)
        self.started.set()
        self.released_in_time.append(self.release.wait(timeout=0.5))
        return f"%PDF-1.4 invoice {order.id} total {order.total} {order.currency}".encode()


@asynccontextmanager
async def service(tmp_path: Path, renderer: GatedRenderer) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/inv.db")
    app = create_app(settings, invoice_renderer=renderer)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        customer = await client.post("/customers", json={"email": "a@example.com", "name": "A"})
        assert customer.status_code == 201
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


async def wait_for(event: threading.Event) -> None:
    for _ in range(100):
        if event.is_set():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the renderer was never called")


async def test_the_invoice_is_the_rendered_pdf(tmp_path: Path) -> None:
    renderer = GatedRenderer()
    renderer.release.set()
    async with service(tmp_path, renderer) as client:
        response = await client.get("/orders/1/invoice")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content == b"%PDF-1.4 invoice 1 total 8.50 EUR"
        missing = await client.get("/orders/42/invoice")
        assert missing.status_code == 404
        assert missing.json()["code"] == "order_not_found"
    assert renderer.orders == [1]


async def test_other_requests_are_served_while_an_invoice_renders(tmp_path: Path) -> None:
    renderer = GatedRenderer()
    finished: list[str] = []
    async with service(tmp_path, renderer) as client:

        async def invoice() -> httpx.Response:
            response = await client.get("/orders/1/invoice")
            finished.append("invoice")
            return response

        async def product() -> httpx.Response:
            await wait_for(renderer.started)
            response = await client.get("/products/1")
            finished.append("product")
            renderer.release.set()
            return response

        slow, fast = await asyncio.gather(invoice(), product())
    assert fast.status_code == 200
    assert slow.status_code == 200
    assert finished == ["product", "invoice"]
    assert renderer.released_in_time == [True], "the event loop was blocked while rendering"
    assert renderer.threads != [threading.get_ident()]


async def test_concurrent_invoices_do_not_wait_for_each_other(tmp_path: Path) -> None:
    renderer = GatedRenderer()
    async with service(tmp_path, renderer) as client:

        async def second_invoice() -> httpx.Response:
            await wait_for(renderer.started)
            renderer.release.set()
            return await client.get("/orders/1/invoice")

        first, second = await asyncio.gather(client.get("/orders/1/invoice"), second_invoice())
    assert first.status_code == second.status_code == 200
    assert renderer.released_in_time == [True, True]
