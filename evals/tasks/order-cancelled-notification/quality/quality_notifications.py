"""Quality probes: a slow or failing mail provider, as the ticket warns it is."""

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings


class SlowNotifier:
    """Accepts the message, then takes until `release` is set to deliver it."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started: list[str] = []
        self.delivered: list[str] = []

    async def send(self, customer_id: int, subject: str, body: str) -> None:
        self.started.append(subject)
        await self.release.wait()
        self.delivered.append(subject)


class FailingNotifier:
    def __init__(self) -> None:
        self.calls = 0

    async def send(self, customer_id: int, subject: str, body: str) -> None:
        self.calls += 1
        raise ConnectionError("mail provider is down")


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


async def eventually(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)


async def place_orders(client: httpx.AsyncClient, count: int) -> list[int]:
    """Orders of the second customer, so order and customer ids differ."""
    for email in ("first@example.com", "second@example.com"):
        created = await client.post("/customers", json={"email": email, "name": "Ann"})
        assert created.status_code == 201, created.text
    product = await client.post(
        "/products", json={"sku": "SKU-1", "name": "Widget", "price": "12.50", "currency": "EUR"}
    )
    assert product.status_code == 201, product.text
    assert (await client.post("/stock/1", json={"quantity": 50})).status_code == 200
    ids: list[int] = []
    for _ in range(count):
        order = await client.post(
            "/orders", json={"customer_id": 2, "lines": [{"product_id": 1, "quantity": 1}]}
        )
        assert order.status_code == 201, order.text
        ids.append(order.json()["id"])
    return ids


async def test_a_slow_mail_provider_does_not_hold_up_the_cancellation(settings: Settings) -> None:
    notifier = SlowNotifier()
    async with running(create_app(settings, notifier=notifier)) as client:
        [order_id] = await place_orders(client, 1)
        try:
            async with asyncio.timeout(5):
                response = await client.post(f"/orders/{order_id}/cancel")
        except TimeoutError:
            pytest.fail("the cancel request waited for the mail provider to deliver")
        finally:
            notifier.release.set()
        assert response.status_code == 200, response.text
        await eventually(lambda: len(notifier.delivered) >= 1)
        assert notifier.delivered == [f"Order {order_id} cancelled"]


async def test_a_failed_notification_is_logged_with_its_order(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    notifier = FailingNotifier()
    async with running(create_app(settings, notifier=notifier)) as client:
        order_id = (await place_orders(client, 3))[-1]
        response = await client.post(f"/orders/{order_id}/cancel")
        assert response.status_code == 200, response.text
        await eventually(lambda: notifier.calls >= 1)
        mentions_order = re.compile(rf"order\D{{0,12}}\b{order_id}\b", re.IGNORECASE)

        def logged() -> bool:
            return any(
                record.levelno >= logging.WARNING
                and (
                    mentions_order.search(record.getMessage()) is not None
                    or getattr(record, "order_id", None) == order_id
                )
                for record in caplog.records
            )

        await eventually(logged)
    assert logged(), (
        "the failed notification was logged without its order: support cannot tell whom to call"
    )
