import asyncio
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ordersvc.application.dto import (
    NewCustomer,
    NewProduct,
    OrderLineRequest,
    OrderRequest,
    StockAddition,
    StockAdjustmentRequest,
)
from ordersvc.application.use_cases import UseCases
from ordersvc.bootstrap import build_use_cases, create_app
from ordersvc.config import Settings
from ordersvc.domain.errors import (
    ConcurrentUpdate,
    Conflict,
    DomainError,
    InsufficientStock,
    ProductNotFound,
)
from ordersvc.infrastructure.cache import InMemoryCache
from ordersvc.infrastructure.database import create_engine, create_schema, create_session_factory
from ordersvc.infrastructure.event_bus import InProcessEventBus
from ordersvc.infrastructure.unit_of_work import SqlAlchemyUnitOfWork

JSON = dict[str, Any]
GUARD_SECONDS = 10.0


# --- time ----------------------------------------------------------------------------------------


class FakeSleep:
    """Records every backoff instead of waiting (it still yields to the event loop)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


# --- another writer, interfering between an attempt's reads and its writes -----------------------

_STOCK_READ = re.compile(r"\b(from|join)\s+[\"`]?stock[\"`]?(?![\w])", re.IGNORECASE)
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class Interference:
    """Another application instance writing to the same database at the worst moment.

    Right before the first write statement that follows a read of the `stock` table (an attempt
    has read the stock and is about to write), `action` runs to completion in a thread of its
    own, with its own event loop, engine and use cases, and commits. At that point the attempt
    has only read, so it holds no lock; its write then finds the stock row changed.
    """

    def __init__(
        self, url: str, action: Callable[[UseCases], Awaitable[object]], times: int
    ) -> None:
        self._url = url
        self._action = action
        self.remaining = times
        self.runs = 0
        self.errors: list[BaseException] = []
        self._stock_read = False
        self._home = threading.get_ident()

    def before_cursor_execute(
        self,
        conn: object,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        if threading.get_ident() != self._home:
            return  # the interfering writer's own statements
        text = statement.lstrip()
        verb = text[:7].upper()
        if verb.startswith("SELECT") and _STOCK_READ.search(text):
            self._stock_read = True
        elif self._stock_read and verb.startswith(_WRITES):
            self._stock_read = False
            if self.remaining > 0:
                self.remaining -= 1
                self._interfere()

    def _interfere(self) -> None:
        worker = threading.Thread(target=self._run)
        worker.start()
        worker.join(GUARD_SECONDS)
        self.runs += 1
        if worker.is_alive():
            self.errors.append(RuntimeError("the interfering writer hung"))

    def _run(self) -> None:
        try:
            asyncio.run(self._compete())
        except BaseException as exc:
            self.errors.append(exc)

    async def _compete(self) -> None:
        engine = create_engine(self._url)
        try:
            session_factory = create_session_factory(engine)
            bus = InProcessEventBus()

            def uow_factory() -> SqlAlchemyUnitOfWork:
                return SqlAlchemyUnitOfWork(session_factory, bus)

            await self._action(build_use_cases(uow_factory, InMemoryCache(), bus))
        finally:
            await engine.dispose()


@contextmanager
def interfering(
    url: str, action: Callable[[UseCases], Awaitable[object]], times: int = 1
) -> Iterator[Interference]:
    interference = Interference(url, action, times)
    event.listen(Engine, "before_cursor_execute", interference.before_cursor_execute)
    try:
        yield interference
    finally:
        event.remove(Engine, "before_cursor_execute", interference.before_cursor_execute)
    assert not interference.errors, interference.errors


def add_stock(quantity: int, product_id: int = 1) -> Callable[[UseCases], Awaitable[object]]:
    async def action(use_cases: UseCases) -> object:
        return await use_cases.add_stock.execute(StockAddition(product_id, quantity))

    return action


# --- the database and units of work the tests control --------------------------------------------


class Script:
    """Shared by the units of work of one test: counts them and makes their commits misbehave."""

    def __init__(self) -> None:
        self.created = 0
        self.entered = 0
        self.conflicts = 0  # the next N commits lose a (simulated) race without writing anything
        self.failure: Exception | None = None  # the next commit raises this
        self.after_exit: list[Callable[[], Awaitable[object]]] = []  # once the next one closed


class ScriptedUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        publisher: InProcessEventBus,
        script: Script,
    ) -> None:
        super().__init__(session_factory, publisher)
        self._script = script
        script.created += 1

    async def __aenter__(self) -> Self:
        self._script.entered += 1
        return await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await super().__aexit__(exc_type, exc, tb)
        hooks, self._script.after_exit = self._script.after_exit, []
        for hook in hooks:
            await hook()

    async def commit(self) -> None:
        if self._script.failure is not None:
            failure, self._script.failure = self._script.failure, None
            raise failure
        if self._script.conflicts > 0:
            self._script.conflicts -= 1
            raise ConcurrentUpdate("simulated: the stock changed since it was read")
        await super().commit()


@dataclass
class Database:
    url: str
    path: str
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    bus: InProcessEventBus

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.session_factory, self.bus)

    def plain(self) -> UseCases:
        """Use cases without any test behaviour: seeding and checking."""
        return build_use_cases(self.uow, InMemoryCache(), self.bus)

    def scripted(
        self, script: Script, sleep: FakeSleep, max_attempts: int = 3, backoff: float = 0.1
    ) -> UseCases:
        def factory() -> ScriptedUnitOfWork:
            return ScriptedUnitOfWork(self.session_factory, self.bus, script)

        return build_use_cases(
            factory,
            InMemoryCache(),
            self.bus,
            sleep=sleep,
            stock_adjust_max_attempts=max_attempts,
            stock_adjust_backoff_seconds=backoff,
        )

    def row(self, product_id: int = 1) -> tuple[int, int]:
        """(quantity, version) of the stock row, read directly."""
        with closing(sqlite3.connect(self.path)) as connection:
            found = connection.execute(
                "SELECT quantity, version FROM stock WHERE product_id = ?", (product_id,)
            ).fetchone()
        assert found is not None
        quantity, version = found
        return int(quantity), int(version)


@contextmanager
def closing(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    path = f"{tmp_path}/stock.db"
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await create_schema(engine)
    database = Database(url, path, engine, create_session_factory(engine), InProcessEventBus())
    plain = database.plain()
    for sku in ("SKU-1", "SKU-2"):
        product = await plain.create_product.execute(NewProduct(sku, "Widget", Decimal("5"), "EUR"))
        await plain.add_stock.execute(StockAddition(product.id, 10))
    try:
        yield database
    finally:
        await engine.dispose()


def adjustment(
    delta: int, reference: str = "wh7-0001", product_id: int = 1
) -> StockAdjustmentRequest:
    return StockAdjustmentRequest(product_id, delta, reference)


def result_of(result: object) -> tuple[object, ...]:
    names = ("product_id", "reference", "delta", "quantity", "replayed")
    return tuple(getattr(result, name) for name in names)


# --- optimistic locking in the unit of work ------------------------------------------------------


async def test_a_write_based_on_a_stale_read_is_refused_at_commit(db: Database) -> None:
    async with db.uow() as first, db.uow() as second:
        mine = await first.stock.get(1)
        theirs = await second.stock.get(1)
        assert mine is not None
        assert theirs is not None
        mine.add(5)
        await first.commit()

        theirs.add(3)  # based on quantity 10, which is no longer true
        with pytest.raises(ConcurrentUpdate) as lost:
            await second.commit()
    assert isinstance(lost.value, Conflict)
    assert lost.value.code == "concurrent_update"
    assert db.row() == (15, 3)

    async with db.uow() as first, db.uow() as second:  # the same for an order's reservation
        mine = await first.stock.get(1)
        theirs = await second.stock.get(1)
        assert mine is not None
        assert theirs is not None
        mine.reserve(15, order_id=1)
        await first.commit()

        theirs.reserve(10, order_id=2)
        with pytest.raises(ConcurrentUpdate):
            await second.commit()
    assert db.row() == (0, 4)

    async with db.uow() as restock:
        stock = await restock.stock.get(1)
        assert stock is not None
        stock.add(15)
        await restock.commit()

    async with db.uow() as third:  # a fresh unit of work sees the winner's state and can write
        stock = await third.stock.get(1)
        assert stock is not None
        assert stock.quantity == 15
        stock.add(3)
        await third.commit()
    assert db.row() == (18, 6)


async def test_versions_count_every_committed_change(db: Database) -> None:
    plain = db.plain()
    assert db.row(2) == (10, 2)  # created (1), then stocked (2)
    await plain.adjust_stock.execute(adjustment(-4, product_id=2))
    assert db.row(2) == (6, 3)
    replay = await plain.adjust_stock.execute(adjustment(-4, product_id=2))
    assert replay.replayed
    assert db.row(2) == (6, 3), "a replay must not write"
    with pytest.raises(InsufficientStock):
        await plain.adjust_stock.execute(adjustment(-7, "wh7-0002", product_id=2))
    assert db.row(2) == (6, 3)

    customer = await plain.register_customer.execute(NewCustomer("a@example.com", "A"))
    order = await plain.place_order.execute(OrderRequest(customer.id, (OrderLineRequest(2, 1),)))
    assert db.row(2) == (5, 4)
    await plain.cancel_order.execute(order.id)
    assert db.row(2) == (6, 5)
    assert db.row(1) == (10, 2)


# --- the use case: retries -----------------------------------------------------------------------


async def test_a_lost_race_is_retried_with_a_fresh_unit_of_work(db: Database) -> None:
    script, sleep = Script(), FakeSleep()
    use_cases = db.scripted(script, sleep)
    with interfering(db.url, add_stock(5)) as interference:
        result = await asyncio.wait_for(use_cases.adjust_stock.execute(adjustment(-3)), 10)
    assert interference.runs == 1
    assert result_of(result) == (1, "wh7-0001", -3, 12, False)
    assert db.row() == (12, 4)
    assert (script.created, script.entered) == (2, 2), "one new unit of work per attempt"
    assert len(sleep.delays) == 1
    assert 0.1 <= sleep.delays[0] <= 0.125


async def test_conflicts_back_off_exponentially_then_give_up(db: Database) -> None:
    script, sleep = Script(), FakeSleep()
    use_cases = db.scripted(script, sleep, max_attempts=4, backoff=0.05)
    with (
        interfering(db.url, add_stock(1), times=10) as interference,
        pytest.raises(ConcurrentUpdate),
    ):
        await asyncio.wait_for(use_cases.adjust_stock.execute(adjustment(-3)), 10)
    assert interference.runs == 4
    assert (script.created, script.entered) == (4, 4)
    assert len(sleep.delays) == 3
    for delay, base in zip(sleep.delays, (0.05, 0.1, 0.2), strict=True):
        assert base <= delay <= base * 1.25, sleep.delays
    assert db.row() == (14, 6), "only the interfering writer's changes are committed"

    again = await db.plain().adjust_stock.execute(adjustment(-3))
    assert result_of(again) == (1, "wh7-0001", -3, 11, False), "a failed request is not recorded"


async def test_each_attempt_reads_the_stock_again(db: Database) -> None:
    script, sleep = Script(), FakeSleep()
    use_cases = db.scripted(script, sleep)
    script.conflicts = 1
    script.after_exit.append(
        lambda: db.plain().adjust_stock.execute(adjustment(-8, "wh9-0001"))
    )  # while the first attempt backs off, another warehouse takes 8 of the 10 units

    with pytest.raises(InsufficientStock):
        await asyncio.wait_for(use_cases.adjust_stock.execute(adjustment(-3)), 10)
    assert (script.created, script.entered) == (2, 2)
    assert len(sleep.delays) == 1, "a refused adjustment is not retried"
    assert db.row() == (2, 3)


async def test_a_retry_finds_the_adjustment_a_concurrent_request_recorded(db: Database) -> None:
    script, sleep = Script(), FakeSleep()
    use_cases = db.scripted(script, sleep)
    script.conflicts = 1
    script.after_exit.append(lambda: db.plain().adjust_stock.execute(adjustment(-3)))
    # the same request, sent again by the scanner, committed while the first attempt backed off

    result = await asyncio.wait_for(use_cases.adjust_stock.execute(adjustment(-3)), 10)
    assert result_of(result) == (1, "wh7-0001", -3, 7, True)
    assert db.row() == (7, 3), "the adjustment must be applied once"
    assert (script.created, script.entered) == (2, 2)


async def test_only_conflicts_are_retried(db: Database) -> None:
    script, sleep = Script(), FakeSleep()
    use_cases = db.scripted(script, sleep)
    adjust = use_cases.adjust_stock

    with pytest.raises(InsufficientStock):
        await adjust.execute(adjustment(-11))
    with pytest.raises(ProductNotFound):
        await adjust.execute(adjustment(-1, product_id=99))
    await adjust.execute(adjustment(-1, "wh7-0009"))
    with pytest.raises(DomainError) as reused:
        await adjust.execute(adjustment(-2, "wh7-0009"))
    assert reused.value.code == "adjustment_reference_reused"
    assert not isinstance(reused.value, ConcurrentUpdate)
    script.failure = RuntimeError("disk I/O error")
    with pytest.raises(RuntimeError, match="disk I/O error"):
        await adjust.execute(adjustment(-1, "wh7-0010"))

    assert sleep.delays == [], "only a lost race is worth a retry"
    assert (script.created, script.entered) == (5, 5)
    assert db.row() == (9, 3)


async def test_concurrent_adjustments_all_apply(db: Database) -> None:
    sleep = FakeSleep()
    use_cases = build_use_cases(
        db.uow, InMemoryCache(), db.bus, sleep=sleep, stock_adjust_max_attempts=20
    )
    requests = [adjustment(1, f"wh{n}-0001") for n in range(8)]
    results = await asyncio.wait_for(
        asyncio.gather(*(use_cases.adjust_stock.execute(r) for r in requests)), GUARD_SECONDS
    )
    assert sorted(r.quantity for r in results) == list(range(11, 19))
    assert db.row() == (18, 10)


# --- HTTP ----------------------------------------------------------------------------------------


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


def settings_for(db: Database, **overrides: Any) -> Settings:
    return Settings(database_url=db.url, **overrides)


async def post_adjustment(
    client: httpx.AsyncClient, delta: int, reference: str = "wh7-0001", product_id: int = 1
) -> httpx.Response:
    return await client.post(
        f"/products/{product_id}/stock-adjustments", json={"delta": delta, "reference": reference}
    )


async def quantity(client: httpx.AsyncClient, product_id: int = 1) -> int:
    response = await client.get(f"/stock/{product_id}")
    assert response.status_code == 200
    value: int = response.json()["quantity"]
    return value


async def test_adjustments_apply_once_per_reference(db: Database) -> None:
    async with running(create_app(settings_for(db), sleep=FakeSleep())) as client:
        applied = await post_adjustment(client, -3)
        assert applied.status_code == 201, applied.text
        body = {"product_id": 1, "reference": "wh7-0001", "delta": -3, "quantity": 7}
        assert applied.json() == body
        assert await quantity(client) == 7

        assert (await client.post("/stock/1", json={"quantity": 10})).status_code == 200
        repeated = await post_adjustment(client, -3)
        assert repeated.status_code == 200, repeated.text
        assert repeated.json() == body, "a repeat answers with the original result"
        assert await quantity(client) == 17

        reused = await post_adjustment(client, -4)
        assert reused.status_code == 422, reused.text
        assert reused.json()["code"] == "adjustment_reference_reused"
        assert isinstance(reused.json()["detail"], str)
        assert await quantity(client) == 17

        elsewhere = await post_adjustment(client, 2, product_id=2)
        assert elsewhere.status_code == 201, "references are scoped per product"
        assert elsewhere.json()["quantity"] == 12

    async with running(create_app(settings_for(db))) as restarted:
        assert (await post_adjustment(restarted, -3)).json() == body
        assert await quantity(restarted) == 17


async def test_negative_stock_is_refused_and_frees_the_reference(db: Database) -> None:
    sleep = FakeSleep()
    async with running(create_app(settings_for(db), sleep=sleep)) as client:
        refused = await post_adjustment(client, -11)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "insufficient_stock"
        assert await quantity(client) == 10

        assert (await client.post("/stock/1", json={"quantity": 1})).status_code == 200
        later = await post_adjustment(client, -11)
        assert later.status_code == 201, later.text
        assert later.json()["quantity"] == 0
    assert sleep.delays == []


INVALID_BODIES: list[JSON] = [
    {"delta": 0, "reference": "wh7-0001"},
    {"delta": 1_000_001, "reference": "wh7-0001"},
    {"delta": -1_000_001, "reference": "wh7-0001"},
    {"delta": 1, "reference": ""},
    {"delta": 1, "reference": "x" * 65},
    {"delta": 1, "reference": "wh7 0001"},
    {"delta": 1, "reference": "wh7/0001"},
    {"delta": 1},
    {"reference": "wh7-0001"},
    {"delta": 1, "reference": "wh7-0001", "note": "extra"},
    {"delta": "many", "reference": "wh7-0001"},
]


async def test_invalid_adjustments_are_422(db: Database) -> None:
    async with running(create_app(settings_for(db))) as client:
        for body in INVALID_BODIES:
            response = await client.post("/products/1/stock-adjustments", json=body)
            assert response.status_code == 422, (body, response.text)
        assert await quantity(client) == 10


async def test_valid_edge_values_and_unknown_products(db: Database) -> None:
    async with running(create_app(settings_for(db))) as client:
        edge = await post_adjustment(client, 1_000_000, "A.b_c:d-" + "9" * 56)
        assert edge.status_code == 201, edge.text
        missing = await post_adjustment(client, 1, product_id=99)
        assert missing.status_code == 404
        assert missing.json() == {"detail": "product 99 not found", "code": "product_not_found"}


async def test_a_lost_race_over_http_is_retried(db: Database) -> None:
    sleep = FakeSleep()
    settings = settings_for(db, stock_adjust_backoff_seconds=0.5)
    async with running(create_app(settings, sleep=sleep)) as client:
        with interfering(db.url, add_stock(5)):
            response = await post_adjustment(client, -3)
        assert response.status_code == 201, response.text
        assert response.json()["quantity"] == 12
        assert await quantity(client) == 12
    assert len(sleep.delays) == 1
    assert 0.5 <= sleep.delays[0] <= 0.625


async def test_exhausted_retries_answer_409(db: Database) -> None:
    sleep = FakeSleep()
    settings = settings_for(db, stock_adjust_max_attempts=2, stock_adjust_backoff_seconds=0.05)
    async with running(create_app(settings, sleep=sleep)) as client:
        with interfering(db.url, add_stock(1), times=5) as interference:
            response = await post_adjustment(client, -3)
        assert interference.runs == 2
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "concurrent_update"
        assert isinstance(response.json()["detail"], str)
        assert await quantity(client) == 12
    assert len(sleep.delays) == 1
    assert 0.05 <= sleep.delays[0] <= 0.0625


async def test_adding_stock_answers_409_on_a_lost_race(db: Database) -> None:
    sleep = FakeSleep()
    async with running(create_app(settings_for(db), sleep=sleep)) as client:
        with interfering(db.url, add_stock(1), times=3) as interference:
            added = await client.post("/stock/1", json={"quantity": 5})
        assert interference.runs == 1, "adding stock is not retried"
        assert added.status_code == 409, added.text
        assert added.json()["code"] == "concurrent_update"
        assert isinstance(added.json()["detail"], str)
        assert await quantity(client) == 11
    assert sleep.delays == []


def test_settings_defaults() -> None:
    settings = Settings()
    assert settings.stock_adjust_max_attempts == 4
    assert settings.stock_adjust_backoff_seconds == 0.02
