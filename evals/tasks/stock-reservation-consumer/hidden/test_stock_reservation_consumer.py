import asyncio
import contextlib
import json
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, event
from sqlalchemy.util import await_only

from ordersvc.application.messaging import Delivery, OrderMessageConsumer
from ordersvc.application.use_cases import UseCases
from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

JSON = dict[str, Any]
GUARD_SECONDS = 10.0


# --- the service --------------------------------------------------------------------------------


@dataclass
class Service:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def use_cases(self) -> UseCases:
        use_cases: UseCases = self.app.state.use_cases
        return use_cases

    async def handle(self, delivery: Delivery) -> str:
        outcome = await self.use_cases.handle_order_message.execute(delivery)
        return str(outcome)

    async def product(self, sku: str, stock: int) -> int:
        response = await self.client.post(
            "/products", json={"sku": sku, "name": sku, "price": "9.99", "currency": "EUR"}
        )
        assert response.status_code == 201, response.text
        product_id: int = response.json()["id"]
        if stock:
            added = await self.client.post(f"/stock/{product_id}", json={"quantity": stock})
            assert added.status_code == 200, added.text
        return product_id

    async def stock(self, product_id: int) -> int:
        response = await self.client.get(f"/stock/{product_id}")
        assert response.status_code == 200, response.text
        quantity: int = response.json()["quantity"]
        return quantity

    async def reservation(self, order_ref: str) -> JSON:
        """The fields the ticket defines (other fields are allowed)."""
        response = await self.client.get(f"/reservations/{order_ref}")
        assert response.status_code == 200, response.text
        body: JSON = response.json()
        lines = [
            {"product_id": line["product_id"], "quantity": line["quantity"]}
            for line in body["lines"]
        ]
        return {"order_ref": body["order_ref"], "status": body["status"], "lines": lines}

    async def status(self, order_ref: str) -> str:
        status: str = (await self.reservation(order_ref))["status"]
        return status


@asynccontextmanager
async def service(settings: Settings) -> AsyncIterator[Service]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield Service(app, client)


def placed(order_ref: str, *lines: tuple[int, int], message_id: str | None = None) -> Delivery:
    body = {
        "order_ref": order_ref,
        "lines": [{"product_id": product, "quantity": quantity} for product, quantity in lines],
    }
    return Delivery(
        message_id=message_id or f"placed-{order_ref}",
        type="order.placed",
        body=json.dumps(body).encode(),
    )


def cancelled(order_ref: str, *, message_id: str | None = None) -> Delivery:
    return Delivery(
        message_id=message_id or f"cancelled-{order_ref}",
        type="order.cancelled",
        body=json.dumps({"order_ref": order_ref}).encode(),
    )


# --- a broker double ----------------------------------------------------------------------------


class FakeBroker:
    """Hands out queued deliveries; `retry` queues the message again with attempt + 1."""

    def __init__(
        self,
        *deliveries: Delivery,
        on_ack: Callable[[Delivery], Awaitable[None]] | None = None,
        max_redeliveries: int = 10,
    ) -> None:
        self.queue: deque[Delivery] = deque(deliveries)
        self.on_ack = on_ack
        self.max_redeliveries = max_redeliveries
        self.log: list[tuple[str, str, int]] = []

    async def receive(self) -> Delivery | None:
        return self.queue.popleft() if self.queue else None

    async def ack(self, delivery: Delivery) -> None:
        self.log.append(("ack", delivery.message_id, delivery.attempt))
        if self.on_ack is not None:
            await self.on_ack(delivery)

    async def retry(self, delivery: Delivery) -> None:
        self.log.append(("retry", delivery.message_id, delivery.attempt))
        if delivery.attempt <= self.max_redeliveries:
            self.queue.append(replace(delivery, attempt=delivery.attempt + 1))

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        self.log.append(("dead_letter", delivery.message_id, delivery.attempt))


# --- database instrumentation (SQLAlchemy engine events, for every engine) -----------------------

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN")


def _sql(statement: str) -> str:
    return " ".join(statement.split()).upper()


@contextmanager
def failing_statements(prefix: str, times: int = 1) -> Iterator[list[str]]:
    """The next `times` statements starting with `prefix` fail like a database outage."""
    failed: list[str] = []

    def before(
        conn: object,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        if len(failed) < times and _sql(statement).startswith(prefix):
            failed.append(statement)
            raise sqlite3.OperationalError("disk I/O error")

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield failed
    finally:
        event.remove(Engine, "before_cursor_execute", before)


@contextmanager
def counting_commits() -> Iterator[list[object]]:
    commits: list[object] = []

    def on_commit(conn: object) -> None:
        commits.append(conn)

    event.listen(Engine, "commit", on_commit)
    try:
        yield commits
    finally:
        event.remove(Engine, "commit", on_commit)


@contextmanager
def reads_before_writes(parties: int = 2, timeout: float = 2.0) -> Iterator[None]:
    """Force the worst interleaving of concurrent transactions: the first write statement of each
    of `parties` connections waits until all of them have reached their first write, so every
    one has done its reads before any of them writes (given up after `timeout` seconds)."""
    arrived: set[int] = set()
    released = asyncio.Event()

    async def wait() -> None:
        try:
            await asyncio.wait_for(released.wait(), timeout)
        except TimeoutError:
            released.set()

    def before(
        conn: object,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        if released.is_set() or not _sql(statement).startswith(_WRITES) or id(conn) in arrived:
            return
        arrived.add(id(conn))
        if len(arrived) >= parties:
            released.set()
        else:
            await_only(wait())

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", before)


async def concurrently(*calls: Awaitable[str]) -> list[str | BaseException]:
    with reads_before_writes(parties=len(calls)):
        return await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), GUARD_SECONDS)


async def handle_concurrently(svc: Service, *messages: Delivery) -> None:
    """Handle the messages at the same time; one that fails is delivered again (once)."""
    outcomes = await concurrently(*(svc.handle(message) for message in messages))
    for message, outcome in zip(messages, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            assert await svc.handle(replace(message, attempt=2)) == "processed"
        else:
            assert outcome == "processed"


# --- placing and cancelling ---------------------------------------------------------------------


async def test_placed_order_reserves_every_line(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        ink = await svc.product("INK", stock=5)

        assert await svc.handle(placed("MP-1", (pen, 3), (ink, 5))) == "processed"

        assert await svc.stock(pen) == 7
        assert await svc.stock(ink) == 0
        assert await svc.reservation("MP-1") == {
            "order_ref": "MP-1",
            "status": "reserved",
            "lines": [{"product_id": pen, "quantity": 3}, {"product_id": ink, "quantity": 5}],
        }


async def test_a_short_line_rejects_the_whole_order(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        ink = await svc.product("INK", stock=2)

        assert await svc.handle(placed("MP-1", (pen, 3), (ink, 5))) == "processed"

        assert await svc.stock(pen) == 10
        assert await svc.stock(ink) == 2
        reservation = await svc.reservation("MP-1")
        assert reservation["status"] == "rejected"
        assert reservation["lines"] == [
            {"product_id": pen, "quantity": 3},
            {"product_id": ink, "quantity": 5},
        ]


async def test_an_unknown_product_rejects_the_whole_order(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        assert await svc.handle(placed("MP-1", (pen, 1), (999, 1))) == "processed"
        assert await svc.stock(pen) == 10
        assert await svc.status("MP-1") == "rejected"


async def test_cancellation_gives_the_stock_back(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        await svc.handle(placed("MP-1", (pen, 4)))
        assert await svc.stock(pen) == 6

        assert await svc.handle(cancelled("MP-1")) == "processed"

        assert await svc.stock(pen) == 10
        reservation = await svc.reservation("MP-1")
        assert reservation["status"] == "released"
        assert reservation["lines"] == [{"product_id": pen, "quantity": 4}]


async def test_cancelling_a_rejected_order_changes_no_stock(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=1)
        await svc.handle(placed("MP-1", (pen, 4)))
        assert await svc.handle(cancelled("MP-1")) == "processed"
        assert await svc.stock(pen) == 1
        assert await svc.status("MP-1") == "cancelled"


async def test_unknown_reservation_is_404(settings: Settings) -> None:
    async with service(settings) as svc:
        response = await svc.client.get("/reservations/MP-404")
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "reservation_not_found"
        assert isinstance(response.json()["detail"], str)


async def test_other_message_types_are_ignored(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        shipped = Delivery(message_id="s-1", type="order.shipped", body=b'{"order_ref": "MP-1"}')
        assert await svc.handle(shipped) == "ignored"
        broker = FakeBroker(shipped)
        consumer = OrderMessageConsumer(broker, svc.use_cases.handle_order_message)
        assert await consumer.drain() == 1
        assert broker.log == [("ack", "s-1", 1)]
        assert await svc.stock(pen) == 10
        assert (await svc.client.get("/reservations/MP-1")).status_code == 404


# --- duplicates and ordering --------------------------------------------------------------------


async def test_a_redelivered_message_is_applied_once(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        message = placed("MP-1", (pen, 4))
        assert await svc.handle(message) == "processed"
        assert await svc.handle(replace(message, attempt=2)) == "duplicate"
        assert await svc.stock(pen) == 6

        cancel = cancelled("MP-1")
        assert await svc.handle(cancel) == "processed"
        assert await svc.handle(cancel) == "duplicate"
        assert await svc.handle(message) == "duplicate"
        assert await svc.stock(pen) == 10
        assert await svc.status("MP-1") == "released"


async def test_duplicates_are_recognised_by_another_instance(settings: Settings) -> None:
    message_ids = ("m-1", "m-2")
    async with service(settings) as first:
        pen = await first.product("PEN", stock=10)
        assert await first.handle(placed("MP-1", (pen, 4), message_id=message_ids[0])) == (
            "processed"
        )
        assert await first.handle(cancelled("MP-2", message_id=message_ids[1])) == "processed"

    async with service(settings) as second:
        assert await second.handle(placed("MP-1", (pen, 4), message_id=message_ids[0])) == (
            "duplicate"
        )
        assert await second.handle(cancelled("MP-2", message_id=message_ids[1])) == "duplicate"
        assert await second.stock(pen) == 6
        assert await second.status("MP-1") == "reserved"


async def test_the_same_order_published_again_reserves_once(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        assert await svc.handle(placed("MP-1", (pen, 4), message_id="a")) == "processed"
        assert await svc.handle(placed("MP-1", (pen, 4), message_id="b")) == "processed"
        assert await svc.stock(pen) == 6

        assert await svc.handle(cancelled("MP-1", message_id="c")) == "processed"
        assert await svc.handle(cancelled("MP-1", message_id="d")) == "processed"
        assert await svc.stock(pen) == 10
        assert await svc.status("MP-1") == "released"


async def test_a_cancellation_that_overtakes_the_placement_wins(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)

        assert await svc.handle(cancelled("MP-1")) == "processed"
        assert await svc.reservation("MP-1") == {
            "order_ref": "MP-1",
            "status": "cancelled",
            "lines": [],
        }

        assert await svc.handle(placed("MP-1", (pen, 4))) == "processed"
        assert await svc.stock(pen) == 10
        assert await svc.status("MP-1") == "cancelled"


# --- concurrency ---------------------------------------------------------------------------------


async def test_concurrent_deliveries_of_one_message_apply_it_once(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        message = placed("MP-1", (pen, 4))

        outcomes = await concurrently(svc.handle(message), svc.handle(message))

        assert sorted(map(str, outcomes)) == ["duplicate", "processed"], outcomes
        assert await svc.stock(pen) == 6
        assert await svc.status("MP-1") == "reserved"


async def test_concurrent_orders_never_oversell(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=5)
        messages = (placed("MP-1", (pen, 3)), placed("MP-2", (pen, 3)))

        await handle_concurrently(svc, *messages)

        statuses = sorted([await svc.status("MP-1"), await svc.status("MP-2")])
        assert statuses == ["rejected", "reserved"]
        assert await svc.stock(pen) == 2


async def test_concurrent_orders_for_one_product_both_reserve(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        ink = await svc.product("INK", stock=10)
        messages = (placed("MP-1", (pen, 3), (ink, 1)), placed("MP-2", (ink, 2), (pen, 4)))

        await handle_concurrently(svc, *messages)

        assert await svc.stock(pen) == 3
        assert await svc.stock(ink) == 7
        assert await svc.status("MP-1") == "reserved"
        assert await svc.status("MP-2") == "reserved"


async def test_concurrent_placement_and_cancellation_leave_stock_whole(
    settings: Settings,
) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)

        await handle_concurrently(svc, placed("MP-1", (pen, 4)), cancelled("MP-1"))

        assert await svc.stock(pen) == 10
        assert await svc.status("MP-1") in {"released", "cancelled"}


# --- failures, transactions and acknowledgements -------------------------------------------------


async def test_a_failure_half_way_leaves_nothing_and_the_redelivery_applies_it(
    settings: Settings,
) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        ink = await svc.product("INK", stock=10)
        message = placed("MP-1", (pen, 2), (ink, 3))

        raised: BaseException | None = None
        with failing_statements("UPDATE STOCK") as failed:
            try:
                await svc.handle(message)
            except Exception as exc:
                raised = exc
        assert failed, "the handler never updated the stock table"
        assert raised is not None, "a failed handling must raise"
        assert await svc.stock(pen) == 10
        assert await svc.stock(ink) == 10
        assert (await svc.client.get("/reservations/MP-1")).status_code == 404

        assert await svc.handle(replace(message, attempt=2)) == "processed"
        assert await svc.stock(pen) == 8
        assert await svc.stock(ink) == 7
        assert await svc.handle(replace(message, attempt=3)) == "duplicate"
        assert await svc.stock(pen) == 8


async def test_each_message_commits_exactly_one_transaction(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        with counting_commits() as commits:
            assert await svc.handle(placed("MP-1", (pen, 2))) == "processed"
        assert len(commits) == 1
        with counting_commits() as commits:
            assert await svc.handle(cancelled("MP-1")) == "processed"
        assert len(commits) == 1
        with counting_commits() as commits:
            assert await svc.handle(cancelled("MP-1")) == "duplicate"
        assert len(commits) <= 1
        assert await svc.stock(pen) == 10


async def test_consumer_acknowledges_only_after_the_commit(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        seen_at_ack: list[int] = []

        async def on_ack(delivery: Delivery) -> None:
            seen_at_ack.append(await svc.stock(pen))

        broker = FakeBroker(
            placed("MP-1", (pen, 4)), placed("MP-2", (pen, 1)), cancelled("MP-1"), on_ack=on_ack
        )
        consumer = OrderMessageConsumer(broker, svc.use_cases.handle_order_message)

        assert await consumer.drain() == 3
        assert broker.log == [
            ("ack", "placed-MP-1", 1),
            ("ack", "placed-MP-2", 1),
            ("ack", "cancelled-MP-1", 1),
        ]
        assert seen_at_ack == [6, 5, 9]


async def test_a_failed_delivery_is_retried_not_acknowledged(settings: Settings) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        ink = await svc.product("INK", stock=10)
        broker = FakeBroker(placed("MP-1", (pen, 2), (ink, 3)), placed("MP-2", (pen, 1)))
        consumer = OrderMessageConsumer(broker, svc.use_cases.handle_order_message)

        with failing_statements("UPDATE STOCK") as failed:
            assert await consumer.drain() == 3
        assert len(failed) == 1

        assert broker.log == [
            ("retry", "placed-MP-1", 1),
            ("ack", "placed-MP-2", 1),
            ("ack", "placed-MP-1", 2),
        ]
        assert await svc.stock(pen) == 7
        assert await svc.stock(ink) == 7
        assert await svc.status("MP-1") == "reserved"


async def test_redelivery_after_a_lost_acknowledgement_is_a_duplicate(
    settings: Settings,
) -> None:
    async with service(settings) as svc:
        pen = await svc.product("PEN", stock=10)
        message = placed("MP-1", (pen, 4))

        async def ack_lost(delivery: Delivery) -> None:
            raise ConnectionError("connection to the broker reset")

        lost = FakeBroker(message, on_ack=ack_lost)
        with contextlib.suppress(ConnectionError):
            await OrderMessageConsumer(lost, svc.use_cases.handle_order_message).drain()
        assert ("ack", "placed-MP-1", 1) in lost.log

        again = FakeBroker(replace(message, attempt=2))
        assert await OrderMessageConsumer(again, svc.use_cases.handle_order_message).drain() == 1
        assert again.log == [("ack", "placed-MP-1", 2)]
        assert await svc.stock(pen) == 6
        assert await svc.status("MP-1") == "reserved"
