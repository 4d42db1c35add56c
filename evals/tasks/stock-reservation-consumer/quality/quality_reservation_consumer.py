import json
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, event

from ordersvc.application.messaging import Delivery, OrderMessageConsumer
from ordersvc.application.use_cases import UseCases
from ordersvc.bootstrap import create_app
from ordersvc.config import Settings


class FakeBroker:
    """Hands out queued deliveries; `retry` queues the message again with attempt + 1."""

    def __init__(self, *deliveries: Delivery, max_redeliveries: int = 20) -> None:
        self.queue: deque[Delivery] = deque(deliveries)
        self.max_redeliveries = max_redeliveries
        self.log: list[tuple[str, str, int]] = []

    async def receive(self) -> Delivery | None:
        return self.queue.popleft() if self.queue else None

    async def ack(self, delivery: Delivery) -> None:
        self.log.append(("ack", delivery.message_id, delivery.attempt))

    async def retry(self, delivery: Delivery) -> None:
        self.log.append(("retry", delivery.message_id, delivery.attempt))
        if delivery.attempt <= self.max_redeliveries:
            self.queue.append(replace(delivery, attempt=delivery.attempt + 1))

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        self.log.append(("dead_letter", delivery.message_id, delivery.attempt))


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield app, client


async def product(client: httpx.AsyncClient, sku: str, stock: int) -> int:
    response = await client.post(
        "/products", json={"sku": sku, "name": sku, "price": "9.99", "currency": "EUR"}
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    added = await client.post(f"/stock/{product_id}", json={"quantity": stock})
    assert added.status_code == 200, added.text
    return product_id


async def stock(client: httpx.AsyncClient, product_id: int) -> int:
    quantity: int = (await client.get(f"/stock/{product_id}")).json()["quantity"]
    return quantity


def consumer_for(app: FastAPI, broker: FakeBroker) -> OrderMessageConsumer:
    use_cases: UseCases = app.state.use_cases
    return OrderMessageConsumer(broker, use_cases.handle_order_message)


@contextmanager
def stock_updates_failing() -> Iterator[None]:
    """Every UPDATE of the stock table fails, as during a long database incident."""

    def before(
        conn: object,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        if " ".join(statement.split()).upper().startswith("UPDATE STOCK"):
            raise sqlite3.OperationalError("disk I/O error")

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", before)


async def test_messages_with_fields_we_do_not_know_are_processed(settings: Settings) -> None:
    """The producer adds fields without asking us; a consumer that rejects them stops working."""
    async with running(settings) as (app, client):
        pen = await product(client, "PEN", stock=10)
        body = {
            "order_ref": "MP-1",
            "channel": "mobile-app",
            "placed_at": "2030-01-01T10:00:00Z",
            "lines": [{"product_id": pen, "quantity": 3, "sku": "PEN", "unit_price": "9.99"}],
        }
        message = Delivery("m-1", "order.placed", json.dumps(body).encode())
        broker = FakeBroker(message)

        await consumer_for(app, broker).drain()

        assert broker.log == [("ack", "m-1", 1)]
        assert await stock(client, pen) == 7
        reservation = (await client.get("/reservations/MP-1")).json()
        assert reservation["status"] == "reserved"


async def test_malformed_messages_are_dead_lettered_without_retries(settings: Settings) -> None:
    """A body that can never be parsed is parked at once, not redelivered to fail again."""
    async with running(settings) as (app, client):
        pen = await product(client, "PEN", stock=10)
        broken_json = Delivery("bad-json", "order.placed", b'{"order_ref": "MP-1", "lines": [')
        bad_line = Delivery(
            "bad-line",
            "order.placed",
            json.dumps(
                {"order_ref": "MP-2", "lines": [{"product_id": pen, "quantity": 0}]}
            ).encode(),
        )
        no_ref = Delivery("no-ref", "order.cancelled", b"{}")
        good = Delivery(
            "good",
            "order.placed",
            json.dumps(
                {"order_ref": "MP-3", "lines": [{"product_id": pen, "quantity": 1}]}
            ).encode(),
        )
        broker = FakeBroker(broken_json, bad_line, no_ref, good)

        await consumer_for(app, broker).drain()

        assert broker.log == [
            ("dead_letter", "bad-json", 1),
            ("dead_letter", "bad-line", 1),
            ("dead_letter", "no-ref", 1),
            ("ack", "good", 1),
        ]
        assert await stock(client, pen) == 9


async def test_a_message_that_keeps_failing_is_eventually_dead_lettered(
    settings: Settings,
) -> None:
    """Redelivering a failing message forever burns the consumer and blocks the partition."""
    async with running(settings) as (app, client):
        pen = await product(client, "PEN", stock=10)
        message = Delivery(
            "m-1",
            "order.placed",
            json.dumps(
                {"order_ref": "MP-1", "lines": [{"product_id": pen, "quantity": 1}]}
            ).encode(),
        )
        broker = FakeBroker(message, max_redeliveries=20)

        with stock_updates_failing():
            await consumer_for(app, broker).drain()

        actions = [action for action, _, _ in broker.log]
        assert actions.count("dead_letter") == 1, broker.log
        assert actions[-1] == "dead_letter"
        assert set(actions[:-1]) <= {"retry"}
        assert 2 <= len(actions) <= 10, "retry a few times, then give up"
        assert "ack" not in actions
        assert await stock(client, pen) == 10
