import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, event
from sqlalchemy.util import await_only

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

GUARD = 5.0
START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """`sleep` returns only once the test has advanced the clock past its end (or is cancelled)."""

    def __init__(self) -> None:
        self.current = START
        self.sleeps = 0
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self.current + timedelta(seconds=seconds), waiter)
        self._sleepers.append(entry)
        try:
            await waiter
        finally:
            self._sleepers.remove(entry)

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        for wake_at, waiter in self._sleepers:
            if wake_at <= self.current and not waiter.done():
                waiter.set_result(None)

    def sleeping(self) -> bool:
        return any(not waiter.done() for _, waiter in self._sleepers)


class FakeMailer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> None:
        self.calls.append((subject, idempotency_key))


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + GUARD
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        await asyncio.sleep(0.005)


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    options: dict[str, Any] = {"jobs_worker_enabled": False, "jobs_poll_interval_seconds": 1.0}
    options.update(overrides)
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/jobs.db", **options)


@asynccontextmanager
async def running(
    settings: Settings, mailer: FakeMailer, clock: FakeClock
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings, mailer=mailer, clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield app, client


async def seed_and_order(client: httpx.AsyncClient) -> int:
    customer = await client.post("/customers", json={"email": "ann@example.com", "name": "Ann"})
    assert customer.status_code == 201, customer.text
    product = await client.post(
        "/products", json={"sku": "PEN", "name": "Pen", "price": "2.50", "currency": "EUR"}
    )
    assert product.status_code == 201, product.text
    assert (await client.post("/stock/1", json={"quantity": 10})).status_code == 200
    order = await client.post(
        "/orders", json={"customer_id": 1, "lines": [{"product_id": 1, "quantity": 1}]}
    )
    assert order.status_code == 201, order.text
    order_id: int = order.json()["id"]
    return order_id


@contextmanager
def reads_before_writes(parties: int = 2, timeout: float = 2.0) -> Iterator[None]:
    """The first write of each of `parties` connections waits until all have reached theirs."""
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
        sql = statement.lstrip().upper()
        if released.is_set() or id(conn) in arrived:
            return
        if not sql.startswith(("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN")):
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


@contextmanager
def next_statement_fails() -> Iterator[list[str]]:
    failed: list[str] = []

    def before(
        conn: object,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        if not failed:
            failed.append(statement)
            raise sqlite3.OperationalError("unable to open database file")

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield failed
    finally:
        event.remove(Engine, "before_cursor_execute", before)


async def test_two_instances_never_send_one_job_twice(tmp_path: Path) -> None:
    """Several app instances run workers on one database: each job is taken by one of them."""
    mailer, clock = FakeMailer(), FakeClock()
    settings = settings_for(tmp_path)
    async with (
        running(settings, mailer, clock) as (first, client),
        running(settings, mailer, clock) as (second, _),
    ):
        order_id = await seed_and_order(client)

        with reads_before_writes():
            ran = await asyncio.wait_for(
                asyncio.gather(first.state.job_worker.run_due(), second.state.job_worker.run_due()),
                GUARD,
            )

        assert sorted(ran) == [0, 1]
        assert len(mailer.calls) == 1, mailer.calls
        confirmation = (await client.get(f"/orders/{order_id}/confirmation")).json()
        assert (confirmation["status"], confirmation["attempts"]) == ("sent", 1)


async def test_the_background_worker_survives_a_database_outage(tmp_path: Path) -> None:
    """One failed poll (the database restarting) must not kill the worker until the next deploy."""
    mailer, clock = FakeMailer(), FakeClock()
    async with running(settings_for(tmp_path, jobs_worker_enabled=True), mailer, clock) as (
        _,
        client,
    ):
        await until(clock.sleeping, "the worker to wait for its next poll")
        order_id = await seed_and_order(client)

        sleeps = clock.sleeps
        with next_statement_fails() as failed:
            clock.advance(1)
            await until(lambda: bool(failed), "the worker to poll")
        await until(lambda: clock.sleeps > sleeps and clock.sleeping(), "the worker to carry on")

        clock.advance(1)
        await until(lambda: len(mailer.calls) == 1, "the confirmation to be sent")
        await until(clock.sleeping, "the worker to go idle")
        confirmation = (await client.get(f"/orders/{order_id}/confirmation")).json()
        assert confirmation["status"] == "sent"


async def test_a_cancelled_order_gets_no_confirmation(tmp_path: Path) -> None:
    """The e-mail goes out later than the order: by then the customer may have cancelled it."""
    mailer, clock = FakeMailer(), FakeClock()
    async with running(settings_for(tmp_path), mailer, clock) as (app, client):
        order_id = await seed_and_order(client)
        assert (await client.post(f"/orders/{order_id}/cancel")).status_code == 200

        await asyncio.wait_for(app.state.job_worker.run_due(), GUARD)
        clock.advance(24 * 3600)
        await asyncio.wait_for(app.state.job_worker.run_due(), GUARD)

        assert mailer.calls == [], "confirmed an order the customer had cancelled"
