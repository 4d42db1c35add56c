"""Helpers of the hidden tests: scripted units of work, and a probe on the real database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool
from start_fakes import FakeUnitOfWork

from ordersvc.application.dto import CustomerCounts, ProductSales, RevenueLine, StockAlert
from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

T = TypeVar("T")
JSON = dict[str, Any]
Behaviour = Literal["meet", "block", "fail"]
SECTIONS = ("revenue", "top_products", "stock_alerts", "customers")

REVENUE = [RevenueLine("EUR", 3, Decimal("75.00")), RevenueLine("USD", 1, Decimal("9.99"))]
TOP = [ProductSales(2, "INK", "Ink", 7), ProductSales(1, "PEN", "Pen", 3)]
ALERTS = [StockAlert(3, "PAD", 0), StockAlert(1, "PEN", 2)]
CUSTOMERS = CustomerCounts(total=4, with_orders=2)


class SectionFailed(RuntimeError):
    pass


class Board:
    """Scripts the sections of one `execute()` and records what happened to them.

    "meet": the section waits (up to 5 s) until all four sections are running at the same time.
    "block": the section waits until it is cancelled. "fail": the section raises once every
    blocking section has started.
    """

    def __init__(self, behaviours: dict[str, Behaviour]) -> None:
        self.behaviours = behaviours
        self.units: list[ScriptedUnitOfWork] = []
        self.calls: dict[str, tuple[object, ...]] = {}
        self.cancelled: list[str] = []
        self.problems: list[str] = []
        self.barrier = asyncio.Barrier(len(SECTIONS))
        self.blocking = sum(b == "block" for b in behaviours.values())
        self.started_blocking = 0
        self.all_blocking = asyncio.Event()
        self.failure = SectionFailed("connection reset while reading the aggregate")
        if self.blocking == 0:
            self.all_blocking.set()

    def factory(self) -> ScriptedUnitOfWork:
        uow = ScriptedUnitOfWork(self)
        self.units.append(uow)
        return uow

    async def run(self, section: str, args: tuple[object, ...], result: T) -> T:
        self.calls[section] = args
        behaviour = self.behaviours[section]
        if behaviour == "meet":
            try:
                async with asyncio.timeout(5):
                    await self.barrier.wait()
            except TimeoutError:
                self.problems.append(
                    f"{section} waited 5 s for the other sections to run at the same time"
                )
                raise
            return result
        if behaviour == "block":
            self.started_blocking += 1
            if self.started_blocking == self.blocking:
                self.all_blocking.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled.append(section)
                raise
            raise AssertionError("unreachable")
        async with asyncio.timeout(5):
            await self.all_blocking.wait()
        raise self.failure


class ScriptedUnitOfWork(FakeUnitOfWork):
    def __init__(self, board: Board) -> None:
        super().__init__()
        self.board = board
        self.dashboard = ScriptedQueries(self)
        self.inside = False
        self.entered = 0
        self.exited = 0
        self.queries: list[str] = []

    async def __aenter__(self) -> Self:
        self.entered += 1
        self.inside = True
        return await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.inside = False
        self.exited += 1
        await super().__aexit__(exc_type, exc, tb)

    async def query(self, section: str, args: tuple[object, ...], result: T) -> T:
        self.queries.append(section)
        if not self.inside:
            self.board.problems.append(f"{section} ran outside `async with` of its unit of work")
        if len(self.queries) > 1:
            self.board.problems.append(f"one unit of work ran several sections: {self.queries}")
        return await self.board.run(section, args, result)


class ScriptedQueries:
    def __init__(self, uow: ScriptedUnitOfWork) -> None:
        self._uow = uow

    async def revenue_by_currency(self) -> Sequence[RevenueLine]:
        return await self._uow.query("revenue", (), REVENUE)

    async def top_products(self, limit: int) -> Sequence[ProductSales]:
        return await self._uow.query("top_products", (limit,), TOP[:limit])

    async def stock_alerts(self, below: int) -> Sequence[StockAlert]:
        return await self._uow.query(
            "stock_alerts", (below,), [a for a in ALERTS if a.quantity < below]
        )

    async def customer_counts(self) -> CustomerCounts:
        return await self._uow.query("customers", (), CUSTOMERS)


@dataclass
class DatabaseProbe:
    """Sees every SQL statement (in the driver's thread) and the pools' checked-out counts.

    While `gating`, each SELECT waits (up to 5 s, in its connection's own thread) until four
    SELECTs are waiting at once: only statements on four separate connections get through.
    """

    gating: bool = False
    selects: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    most_checked_out: int = 0
    pools: list[QueuePool] = field(default_factory=list)
    barrier: threading.Barrier = field(default_factory=lambda: threading.Barrier(4, timeout=5))
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def checked_out(self) -> int:
        return sum(pool.checkedout() for pool in self.pools)

    def trace(self, statement: str) -> None:
        if not self.gating or not statement.lstrip().upper().startswith("SELECT"):
            return
        with self.lock:
            self.selects.append(statement)
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            with self.lock:
                self.broken.append(statement)

    def on_connect(self, dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.run_async(lambda driver: driver.set_trace_callback(self.trace))

    def on_engine_connect(self, connection: Connection) -> None:
        pool = connection.engine.pool
        if isinstance(pool, QueuePool) and all(pool is not known for known in self.pools):
            self.pools.append(pool)
        if self.gating:
            self.most_checked_out = max(self.most_checked_out, self.checked_out)


@contextmanager
def database_probe() -> Iterator[DatabaseProbe]:
    probe = DatabaseProbe()
    listeners: list[tuple[Any, str, Any]] = [
        (Engine, "connect", probe.on_connect),
        (Engine, "engine_connect", probe.on_engine_connect),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        yield probe
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/dash.db", **overrides)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as client,
        ):
            yield client
    finally:
        await _drain_sqlite_threads()


async def _drain_sqlite_threads(limit_s: float = 5.0) -> None:
    """Keep this test's event loop open until aiosqlite's worker threads have finished.

    A cancelled section abandons a query that aiosqlite's thread still completes; the thread
    then posts the result to the loop. If the test ended first, that post hits a closed loop,
    and pytest reports the thread's error against whichever test runs next: a verdict decided
    by timing, not by the solution.
    """
    workers = [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    for worker in workers:  # joined off the loop, so the loop keeps serving their posts
        await asyncio.to_thread(worker.join, max(0.0, deadline - loop.time()))


async def post(client: httpx.AsyncClient, path: str, body: JSON, status: int = 201) -> JSON:
    response = await client.post(path, json=body)
    assert response.status_code == status, (path, response.text)
    answer: JSON = response.json()
    return answer


async def seed(client: httpx.AsyncClient) -> None:
    """Four customers, five products, five orders (one cancelled). See EXPECTED."""
    for name in ("ann", "bob", "cid", "dan"):
        await post(client, "/customers", {"email": f"{name}@example.com", "name": name.title()})
    products = [
        ("PEN", "Pen", "1.50", "EUR", 20),
        ("INK", "Ink", "4.00", "EUR", 10),
        ("PAD", "Pad", "2.25", "EUR", 3),
        ("MUG", "Mug", "9.99", "USD", 6),
        ("CAP", "Cap", "5.00", "EUR", 0),
    ]
    for number, (sku, name, price, currency, units) in enumerate(products, start=1):
        body = {"sku": sku, "name": name, "price": price, "currency": currency}
        await post(client, "/products", body)
        if units:
            await post(client, f"/stock/{number}", {"quantity": units}, status=200)
    orders = [
        (1, [(1, 3), (2, 2)]),
        (2, [(2, 4), (3, 1)]),
        (1, [(4, 2)]),
        (3, [(1, 5)]),
        (1, [(3, 1), (1, 1)]),
    ]
    for customer_id, lines in orders:
        await post(
            client,
            "/orders",
            {
                "customer_id": customer_id,
                "lines": [{"product_id": p, "quantity": q} for p, q in lines],
            },
        )
    await post(client, "/orders/4/cancel", {}, status=200)


EXPECTED: JSON = {
    "revenue": [
        {"currency": "EUR", "orders": 3, "total": "34.50"},
        {"currency": "USD", "orders": 1, "total": "19.98"},
    ],
    "top_products": [
        {"product_id": 2, "sku": "INK", "name": "Ink", "quantity": 6},
        {"product_id": 1, "sku": "PEN", "name": "Pen", "quantity": 4},
        {"product_id": 3, "sku": "PAD", "name": "Pad", "quantity": 2},
        {"product_id": 4, "sku": "MUG", "name": "Mug", "quantity": 2},
    ],
    "stock_alerts": [
        {"product_id": 5, "sku": "CAP", "quantity": 0},
        {"product_id": 3, "sku": "PAD", "quantity": 1},
        {"product_id": 2, "sku": "INK", "quantity": 4},
        {"product_id": 4, "sku": "MUG", "quantity": 4},
    ],
    "customers": {"total": 4, "with_orders": 2},
}
