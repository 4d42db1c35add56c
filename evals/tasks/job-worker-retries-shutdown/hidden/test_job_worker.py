import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event
from sqlalchemy.pool import Pool

from ordersvc.application.ports import MailerUnavailable, MailRejected
from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

JSON = dict[str, Any]
GUARD = 5.0  # seconds; only ever reached when something hangs
START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


# --- instruments ---------------------------------------------------------------------------------


class Connections:
    """How many database connections are checked out of any pool right now."""

    def __init__(self) -> None:
        self.checked_out = 0

    def _checkout(self, *args: object) -> None:
        self.checked_out += 1

    def _checkin(self, *args: object) -> None:
        self.checked_out -= 1


@contextmanager
def watching_connections() -> Iterator[Connections]:
    connections = Connections()
    event.listen(Pool, "checkout", connections._checkout)
    event.listen(Pool, "checkin", connections._checkin)
    try:
        yield connections
    finally:
        event.remove(Pool, "checkout", connections._checkout)
        event.remove(Pool, "checkin", connections._checkin)


class FakeClock:
    """`sleep` returns only once the test has advanced the clock past its end (or is cancelled)."""

    def __init__(self, connections: Connections) -> None:
        self.current = START
        self.connections = connections
        self.sleeps: list[float] = []
        self.held_while_sleeping: list[int] = []
        self._sleepers: list[tuple[datetime, float, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.held_while_sleeping.append(self.connections.checked_out)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self.current + timedelta(seconds=seconds), seconds, waiter)
        self._sleepers.append(entry)
        try:
            await waiter
        finally:
            self._sleepers.remove(entry)

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        for wake_at, _, waiter in self._sleepers:
            if wake_at <= self.current and not waiter.done():
                waiter.set_result(None)

    def sleeping(self, seconds: float | None = None) -> bool:
        return any(
            not waiter.done() and (seconds is None or length == seconds)
            for _, length, waiter in self._sleepers
        )

    async def until_sleeping(self, seconds: float | None = None) -> None:
        await until(lambda: self.sleeping(seconds), f"nothing sleeps for {seconds} s")


@dataclass
class Sent:
    to: str
    subject: str
    body: str
    idempotency_key: str
    connections_held: int


class FakeMailer:
    """A provider that sends one e-mail per idempotency key. Each call takes the next step of
    the script (the last one repeats): None sends; an exception is raised without sending;
    ("sent", exc) sends and then raises (the answer is lost); an asyncio.Event blocks the call
    until it is set, then sends."""

    def __init__(self, connections: Connections, *script: object) -> None:
        self.connections = connections
        self.script: list[object] = list(script) or [None]
        self.calls: list[Sent] = []
        self.delivered: dict[str, Sent] = {}
        self.in_flight = asyncio.Event()
        self.cancelled = 0
        self.after_delivery: Callable[[], None] | None = None

    async def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> None:
        sent = Sent(to, subject, body, idempotency_key, self.connections.checked_out)
        self.calls.append(sent)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, asyncio.Event):
            self.in_flight.set()
            try:
                await step.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        if isinstance(step, Exception):
            raise step
        self.delivered.setdefault(idempotency_key, sent)
        if self.after_delivery is not None:
            self.after_delivery()
        if isinstance(step, tuple):
            raise step[1]


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + GUARD
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        await asyncio.sleep(0.005)


class NextWriteFails:
    """Once armed, the next INSERT/UPDATE/DELETE fails like a database outage."""

    def __init__(self) -> None:
        self.armed = False
        self.failed: list[str] = []

    def arm(self) -> None:
        self.armed = True

    def __call__(
        self,
        conn: object,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        if self.armed and statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            self.armed = False
            self.failed.append(statement)
            raise sqlite3.OperationalError("disk I/O error")


@contextmanager
def database_faults() -> Iterator[NextWriteFails]:
    fault = NextWriteFails()
    event.listen(Engine, "before_cursor_execute", fault)
    try:
        yield fault
    finally:
        event.remove(Engine, "before_cursor_execute", fault)


# --- the service ---------------------------------------------------------------------------------


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    options: dict[str, Any] = {
        "jobs_worker_enabled": False,
        "jobs_poll_interval_seconds": 1.0,
        "jobs_max_attempts": 5,
        "jobs_backoff_base_seconds": 2.0,
        "jobs_backoff_max_seconds": 300.0,
        "jobs_lease_seconds": 60.0,
        "jobs_shutdown_grace_seconds": 10.0,
    }
    options.update(overrides)
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/jobs.db", **options)


@dataclass
class Service:
    app: FastAPI
    client: httpx.AsyncClient
    clock: FakeClock
    mailer: FakeMailer
    lifespan: "Lifespan"

    async def run_due(self) -> int:
        ran = await asyncio.wait_for(self.app.state.job_worker.run_due(), GUARD)
        assert isinstance(ran, int)
        return ran

    async def confirmation(self, order_id: int) -> JSON:
        """The four fields the ticket defines (other fields are allowed)."""
        response = await self.client.get(f"/orders/{order_id}/confirmation")
        assert response.status_code == 200, response.text
        body: JSON = response.json()
        return {key: body[key] for key in ("status", "attempts", "next_attempt_at", "last_error")}

    async def place_order(self, quantity: int = 1) -> int:
        response = await self.client.post(
            "/orders", json={"customer_id": 1, "lines": [{"product_id": 1, "quantity": quantity}]}
        )
        assert response.status_code == 201, response.text
        order_id: int = response.json()["id"]
        return order_id


class Lifespan:
    """Runs the app's lifespan in one task of its own, so start-up and shutdown share a task."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.started = asyncio.Event()
        self.stop_requested = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with self.app.router.lifespan_context(self.app):
            self.started.set()
            await self.stop_requested.wait()

    async def start(self) -> None:
        self.task = asyncio.create_task(self._run())
        started = asyncio.create_task(self.started.wait())
        await asyncio.wait({self.task, started}, timeout=GUARD, return_when="FIRST_COMPLETED")
        started.cancel()
        if self.task.done():
            self.task.result()  # start-up failed: raise its error
        assert self.started.is_set(), "the lifespan did not start"

    def request_stop(self) -> None:
        self.stop_requested.set()

    async def stopped(self) -> None:
        assert self.task is not None
        self.request_stop()
        await asyncio.wait_for(asyncio.shield(self.task), GUARD)


@asynccontextmanager
async def service(
    settings: Settings, connections: Connections, *script: object, seed: bool = True
) -> AsyncIterator[Service]:
    clock = FakeClock(connections)
    mailer = FakeMailer(connections, *script)
    app = create_app(settings, mailer=mailer, clock=clock)
    lifespan = Lifespan(app)
    await lifespan.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            svc = Service(app, client, clock, mailer, lifespan)
            if seed:
                await seed_catalogue(client)
            yield svc
    finally:
        if lifespan.task is not None and not lifespan.task.done():
            await lifespan.stopped()


async def seed_catalogue(client: httpx.AsyncClient) -> None:
    customer = await client.post("/customers", json={"email": "ann@example.com", "name": "Ann"})
    assert customer.status_code == 201, customer.text
    product = await client.post(
        "/products", json={"sku": "PEN", "name": "Pen", "price": "2.50", "currency": "EUR"}
    )
    assert product.status_code == 201, product.text
    stock = await client.post("/stock/1", json={"quantity": 100})
    assert stock.status_code == 200, stock.text


def parse_time(value: object) -> datetime:
    assert isinstance(value, str), value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0), f"{value} is not a UTC timestamp"
    return parsed


@pytest.fixture
def connections() -> Iterator[Connections]:
    with watching_connections() as watched:
        yield watched


# --- enqueueing ----------------------------------------------------------------------------------


async def test_a_placed_order_gets_a_pending_confirmation(
    tmp_path: Path, connections: Connections
) -> None:
    async with service(make_settings(tmp_path), connections) as svc:
        order_id = await svc.place_order()

        confirmation = await svc.confirmation(order_id)
        assert confirmation["status"] == "pending"
        assert confirmation["attempts"] == 0
        assert confirmation["last_error"] is None
        assert parse_time(confirmation["next_attempt_at"]) <= svc.clock.now()
        assert svc.mailer.calls == []


async def test_a_failed_order_enqueues_nothing(tmp_path: Path, connections: Connections) -> None:
    async with service(make_settings(tmp_path), connections) as svc:
        response = await svc.client.post(
            "/orders", json={"customer_id": 1, "lines": [{"product_id": 1, "quantity": 1000}]}
        )
        assert response.status_code == 409, response.text
        assert await svc.run_due() == 0
        assert svc.mailer.calls == []
        missing = await svc.client.get("/orders/1/confirmation")
        assert missing.status_code == 404
        assert missing.json()["code"] == "order_not_found"


# --- sending, retries, backoff -------------------------------------------------------------------


async def test_run_due_sends_the_confirmation_outside_any_transaction(
    tmp_path: Path, connections: Connections
) -> None:
    async with service(make_settings(tmp_path), connections) as svc:
        order_id = await svc.place_order()

        assert await svc.run_due() == 1

        [sent] = svc.mailer.calls
        assert sent.to == "ann@example.com"
        assert sent.subject == f"Order {order_id} confirmed"
        assert sent.body.strip()
        assert sent.idempotency_key
        assert sent.connections_held == 0, "a database connection was held while sending"
        assert await svc.confirmation(order_id) == {
            "status": "sent",
            "attempts": 1,
            "next_attempt_at": None,
            "last_error": None,
        }
        assert await svc.run_due() == 0
        assert len(svc.mailer.calls) == 1


async def test_transient_failures_back_off_exponentially_up_to_the_cap(
    tmp_path: Path, connections: Connections
) -> None:
    settings = make_settings(
        tmp_path, jobs_max_attempts=6, jobs_backoff_base_seconds=2, jobs_backoff_max_seconds=10
    )
    async with service(settings, connections, MailerUnavailable("provider timed out")) as svc:
        order_id = await svc.place_order()

        for attempt, delay in enumerate([2, 4, 8, 10, 10], start=1):
            assert await svc.run_due() == 1
            confirmation = await svc.confirmation(order_id)
            assert confirmation["status"] == "pending"
            assert confirmation["attempts"] == attempt
            assert "provider timed out" in confirmation["last_error"]
            due = parse_time(confirmation["next_attempt_at"])
            expected = svc.clock.now() + timedelta(seconds=delay)
            assert abs(due - expected) <= timedelta(milliseconds=10), (due, expected)

            svc.clock.advance(delay - 0.5)
            assert await svc.run_due() == 0, "retried before its backoff was over"
            svc.clock.advance(0.5)

        assert await svc.run_due() == 1
        confirmation = await svc.confirmation(order_id)
        assert confirmation["status"] == "failed"
        assert confirmation["attempts"] == 6
        assert confirmation["next_attempt_at"] is None
        assert "provider timed out" in confirmation["last_error"]

        svc.clock.advance(3600)
        assert await svc.run_due() == 0
        assert len(svc.mailer.calls) == 6
        assert all(sent.connections_held == 0 for sent in svc.mailer.calls)


async def test_a_rejected_e_mail_is_never_retried(tmp_path: Path, connections: Connections) -> None:
    async with service(
        make_settings(tmp_path), connections, MailRejected("mailbox does not exist")
    ) as svc:
        order_id = await svc.place_order()

        assert await svc.run_due() == 1
        confirmation = await svc.confirmation(order_id)
        assert confirmation["status"] == "failed"
        assert confirmation["attempts"] == 1
        assert confirmation["next_attempt_at"] is None
        assert "mailbox does not exist" in confirmation["last_error"]

        svc.clock.advance(3600)
        assert await svc.run_due() == 0
        assert len(svc.mailer.calls) == 1


async def test_unexpected_mailer_errors_are_retried_and_keys_are_stable(
    tmp_path: Path, connections: Connections
) -> None:
    script: list[object] = [RuntimeError("boom"), MailerUnavailable("busy"), None]
    async with service(make_settings(tmp_path), connections, *script) as svc:
        first = await svc.place_order()

        assert await svc.run_due() == 1
        assert (await svc.confirmation(first))["status"] == "pending"
        svc.clock.advance(2)
        assert await svc.run_due() == 1
        svc.clock.advance(4)
        assert await svc.run_due() == 1
        assert await svc.confirmation(first) == {
            "status": "sent",
            "attempts": 3,
            "next_attempt_at": None,
            "last_error": None,
        }

        second = await svc.place_order()
        assert await svc.run_due() == 1
        assert (await svc.confirmation(second))["status"] == "sent"

        keys = [sent.idempotency_key for sent in svc.mailer.calls]
        assert len(keys) == 4
        assert keys[0] == keys[1] == keys[2], "every attempt of one e-mail must carry one key"
        assert keys[3] != keys[0], "two orders must not share a key"
        assert [sent.subject for sent in svc.mailer.calls] == [f"Order {first} confirmed"] * 3 + [
            f"Order {second} confirmed"
        ]


async def test_the_retry_schedule_survives_a_restart(
    tmp_path: Path, connections: Connections
) -> None:
    settings = make_settings(tmp_path)
    async with service(settings, connections, MailerUnavailable("down")) as first:
        order_id = await first.place_order()
        assert await first.run_due() == 1
        due = parse_time((await first.confirmation(order_id))["next_attempt_at"])

    async with service(settings, connections, seed=False) as second:
        second.clock.current = due - timedelta(seconds=1)
        assert await second.run_due() == 0
        assert (await second.confirmation(order_id))["status"] == "pending"
        second.clock.current = due
        assert await second.run_due() == 1
        confirmation = await second.confirmation(order_id)
        assert (confirmation["status"], confirmation["attempts"]) == ("sent", 2)


async def test_a_lost_acknowledgement_does_not_send_twice(
    tmp_path: Path, connections: Connections
) -> None:
    async with service(make_settings(tmp_path), connections) as svc:
        order_id = await svc.place_order()

        with database_faults() as fault:
            svc.mailer.after_delivery = fault.arm  # sent, then recording it fails
            assert await svc.run_due() == 1
            svc.mailer.after_delivery = None
        assert fault.failed, "the worker recorded nothing after sending"
        assert len(svc.mailer.delivered) == 1
        assert (await svc.confirmation(order_id))["status"] != "failed"

        svc.clock.advance(60)  # the lease has expired: an unrecorded attempt runs again
        await svc.run_due()
        assert (await svc.confirmation(order_id))["status"] == "sent"
        assert len({sent.idempotency_key for sent in svc.mailer.calls}) == 1
        assert len(svc.mailer.delivered) == 1, "the customer got two e-mails"

        svc.clock.advance(3600)
        assert await svc.run_due() == 0


async def test_a_provider_answer_lost_in_transit_does_not_send_twice(
    tmp_path: Path, connections: Connections
) -> None:
    lost: tuple[str, Exception] = ("sent", MailerUnavailable("read timeout"))
    async with service(make_settings(tmp_path), connections, lost, None) as svc:
        order_id = await svc.place_order()
        assert await svc.run_due() == 1
        assert (await svc.confirmation(order_id))["status"] == "pending"
        svc.clock.advance(2)
        assert await svc.run_due() == 1
        assert (await svc.confirmation(order_id))["status"] == "sent"
        assert len(svc.mailer.calls) == 2
        assert len(svc.mailer.delivered) == 1


# --- the background worker and the lifespan ------------------------------------------------------


async def test_the_worker_runs_in_the_background_without_holding_connections(
    tmp_path: Path, connections: Connections
) -> None:
    settings = make_settings(tmp_path, jobs_worker_enabled=True, jobs_poll_interval_seconds=3)
    async with service(settings, connections) as svc:
        await svc.clock.until_sleeping(3)
        svc.clock.held_while_sleeping.clear()  # from here on the test itself holds none
        order_id = await svc.place_order()

        svc.clock.advance(3)
        await until(lambda: len(svc.mailer.delivered) == 1, "the worker to send the e-mail")
        await svc.clock.until_sleeping(3)
        assert (await svc.confirmation(order_id))["status"] == "sent"
        assert svc.mailer.calls[0].connections_held == 0
        assert svc.clock.held_while_sleeping
        assert set(svc.clock.held_while_sleeping) == {0}, "slept while holding a connection"


async def test_the_api_answers_while_an_e_mail_is_in_flight(
    tmp_path: Path, connections: Connections
) -> None:
    gate = asyncio.Event()
    settings = make_settings(tmp_path, jobs_worker_enabled=True)
    async with service(settings, connections, gate, None) as svc:
        await svc.clock.until_sleeping()
        first = await svc.place_order()
        svc.clock.advance(1)
        await asyncio.wait_for(svc.mailer.in_flight.wait(), GUARD)

        second = await asyncio.wait_for(svc.place_order(), GUARD)
        confirmation = await asyncio.wait_for(svc.confirmation(first), GUARD)
        assert confirmation["status"] == "sending"
        assert confirmation["attempts"] == 1

        gate.set()
        # The second job became due while the first was in flight: the ticket lets the worker
        # send it in the same run_due or at the next poll, so the test gives it that poll.
        await until(
            lambda: len(svc.mailer.delivered) == 2 or svc.clock.sleeping(),
            "the second e-mail, or the worker waiting for its next poll",
        )
        if len(svc.mailer.delivered) < 2:
            svc.clock.advance(settings.jobs_poll_interval_seconds)
        await until(lambda: len(svc.mailer.delivered) == 2, "both e-mails to be sent")
        await until(lambda: len(svc.mailer.calls) == 2, "the second e-mail")
        await svc.clock.until_sleeping()
        assert (await svc.confirmation(first))["status"] == "sent"
        assert (await svc.confirmation(second))["status"] == "sent"


async def test_an_idle_worker_stops_at_once(tmp_path: Path, connections: Connections) -> None:
    settings = make_settings(tmp_path, jobs_worker_enabled=True, jobs_poll_interval_seconds=30)
    clock = FakeClock(connections)
    app = create_app(settings, mailer=FakeMailer(connections), clock=clock)
    lifespan = Lifespan(app)
    await lifespan.start()
    await clock.until_sleeping(30)

    await lifespan.stopped()  # within GUARD seconds, without advancing the clock


async def test_shutdown_lets_the_in_flight_e_mail_finish_and_takes_no_new_job(
    tmp_path: Path, connections: Connections
) -> None:
    gate = asyncio.Event()
    settings = make_settings(tmp_path, jobs_worker_enabled=True, jobs_shutdown_grace_seconds=10)
    async with service(settings, connections, gate, None) as svc:
        await svc.clock.until_sleeping(1)
        first = await svc.place_order()
        second = await svc.place_order()
        svc.clock.advance(1)
        await asyncio.wait_for(svc.mailer.in_flight.wait(), GUARD)

        stopping = asyncio.create_task(svc.lifespan.stopped())
        await svc.clock.until_sleeping(10)  # shutdown has begun: the grace period runs
        gate.set()
        await asyncio.wait_for(stopping, GUARD)

        assert len(svc.mailer.calls) == 1, "a job was started after shutdown began"
        assert len(svc.mailer.delivered) == 1
        assert svc.mailer.cancelled == 0

    async with service(make_settings(tmp_path), connections, seed=False) as after:
        assert (await after.confirmation(first))["status"] == "sent"
        waiting = await after.confirmation(second)
        assert (waiting["status"], waiting["attempts"]) == ("pending", 0)


async def test_shutdown_releases_an_e_mail_that_outlives_the_grace_period(
    tmp_path: Path, connections: Connections
) -> None:
    never = asyncio.Event()
    settings = make_settings(tmp_path, jobs_worker_enabled=True, jobs_shutdown_grace_seconds=10)
    async with service(settings, connections, never) as svc:
        await svc.clock.until_sleeping(1)
        order_id = await svc.place_order()
        svc.clock.advance(1)
        await asyncio.wait_for(svc.mailer.in_flight.wait(), GUARD)

        stopping = asyncio.create_task(svc.lifespan.stopped())
        await svc.clock.until_sleeping(10)
        svc.clock.advance(10)
        await asyncio.wait_for(stopping, GUARD)  # shutdown does not wait for the provider

        assert svc.mailer.cancelled == 1, "the in-flight call was not cancelled"
        interrupted = svc.mailer.calls[0].idempotency_key
        stopped_at = svc.clock.now()

    async with service(make_settings(tmp_path), connections, seed=False) as after:
        after.clock.current = stopped_at
        released = await after.confirmation(order_id)
        assert released["status"] == "pending", "the in-flight job was lost"
        assert released["attempts"] == 0, "an interrupted attempt must not count"
        assert parse_time(released["next_attempt_at"]) <= stopped_at

        assert await after.run_due() == 1
        assert after.mailer.calls[0].idempotency_key == interrupted
        assert (await after.confirmation(order_id))["status"] == "sent"
