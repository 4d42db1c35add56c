import asyncio
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ordersvc.application.dto import NewProduct, StockAddition, StockAdjustmentRequest
from ordersvc.application.use_cases import UseCases
from ordersvc.bootstrap import build_use_cases
from ordersvc.domain.errors import ConcurrentUpdate
from ordersvc.infrastructure.cache import InMemoryCache
from ordersvc.infrastructure.database import create_engine, create_schema, create_session_factory
from ordersvc.infrastructure.event_bus import InProcessEventBus
from ordersvc.infrastructure.unit_of_work import SqlAlchemyUnitOfWork

GUARD_SECONDS = 10.0
_STOCK_READ = re.compile(r"\b(from|join)\s+[\"`]?stock[\"`]?(?![\w])", re.IGNORECASE)
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class Tracker:
    """Counts the units of work open right now; can make the next commits lose a race."""

    def __init__(self) -> None:
        self.open = 0
        self.conflicts = 0


class TrackedUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        publisher: InProcessEventBus,
        tracker: Tracker,
    ) -> None:
        super().__init__(session_factory, publisher)
        self._tracker = tracker

    async def __aenter__(self) -> Self:
        self._tracker.open += 1
        return await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, tb)
        finally:
            self._tracker.open -= 1

    async def commit(self) -> None:
        if self._tracker.conflicts > 0:
            self._tracker.conflicts -= 1
            raise ConcurrentUpdate("simulated: the stock changed since it was read")
        await super().commit()


class RecordingSleep:
    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker
        self.delays: list[float] = []
        self.open_while_sleeping: list[int] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.open_while_sleeping.append(self._tracker.open)
        await asyncio.sleep(0)


@dataclass
class Database:
    url: str
    path: str
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    bus: InProcessEventBus

    def use_cases(self, tracker: Tracker, sleep: RecordingSleep) -> UseCases:
        def factory() -> TrackedUnitOfWork:
            return TrackedUnitOfWork(self.session_factory, self.bus, tracker)

        return build_use_cases(
            factory,
            InMemoryCache(),
            self.bus,
            sleep=sleep,
            stock_adjust_max_attempts=4,
            stock_adjust_backoff_seconds=0.1,
        )

    def row(self) -> tuple[int, int]:
        connection = sqlite3.connect(self.path)
        try:
            found = connection.execute(
                "SELECT quantity, version FROM stock WHERE product_id = 1"
            ).fetchone()
        finally:
            connection.close()
        assert found is not None
        return int(found[0]), int(found[1])


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    path = f"{tmp_path}/stock.db"
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await create_schema(engine)
    bus = InProcessEventBus()
    session_factory = create_session_factory(engine)
    plain = build_use_cases(
        lambda: SqlAlchemyUnitOfWork(session_factory, bus), InMemoryCache(), bus
    )
    product = await plain.create_product.execute(NewProduct("SKU-1", "W", Decimal("5"), "EUR"))
    await plain.add_stock.execute(StockAddition(product.id, 10))
    try:
        yield Database(url, path, engine, session_factory, bus)
    finally:
        await engine.dispose()


class SameRequestElsewhere:
    """The scanner resent the request to another instance, which commits it right before this
    instance's attempt writes (after that attempt found no adjustment under the reference)."""

    def __init__(self, url: str, request: StockAdjustmentRequest) -> None:
        self._url = url
        self._request = request
        self._home = threading.get_ident()
        self._stock_read = False
        self.done = False
        self.errors: list[BaseException] = []

    def before_cursor_execute(
        self,
        conn: object,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        if threading.get_ident() != self._home or self.done:
            return
        text = statement.lstrip()
        verb = text[:7].upper()
        if verb.startswith("SELECT") and _STOCK_READ.search(text):
            self._stock_read = True
        elif self._stock_read and verb.startswith(_WRITES):
            self.done = True
            worker = threading.Thread(target=self._run)
            worker.start()
            worker.join(GUARD_SECONDS)

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
            use_cases = build_use_cases(
                lambda: SqlAlchemyUnitOfWork(session_factory, bus), InMemoryCache(), bus
            )
            await use_cases.adjust_stock.execute(self._request)
        finally:
            await engine.dispose()


@contextmanager
def resent_elsewhere(url: str, request: StockAdjustmentRequest) -> Iterator[SameRequestElsewhere]:
    other = SameRequestElsewhere(url, request)
    event.listen(Engine, "before_cursor_execute", other.before_cursor_execute)
    try:
        yield other
    finally:
        event.remove(Engine, "before_cursor_execute", other.before_cursor_execute)


async def test_the_same_request_arriving_twice_at_once_is_applied_once(db: Database) -> None:
    tracker = Tracker()
    use_cases = db.use_cases(tracker, RecordingSleep(tracker))
    request = StockAdjustmentRequest(1, -3, "wh7-0001")
    with resent_elsewhere(db.url, request) as other:
        result = await asyncio.wait_for(use_cases.adjust_stock.execute(request), GUARD_SECONDS)
    assert other.done
    assert not other.errors, other.errors
    assert (result.quantity, result.replayed) == (7, True), "the loser answers with the replay"
    assert db.row() == (7, 3), "applied once"


async def test_backoff_delays_are_jittered(db: Database) -> None:
    tracker = Tracker()
    sleep = RecordingSleep(tracker)
    use_cases = db.use_cases(tracker, sleep)
    for n in range(8):  # eight scanners that all lost the same race
        tracker.conflicts = 1
        await use_cases.adjust_stock.execute(StockAdjustmentRequest(1, 1, f"wh{n}-0001"))
    assert len(sleep.delays) == 8
    assert all(0.1 <= delay <= 0.125 for delay in sleep.delays), sleep.delays
    assert len(set(sleep.delays)) > 1, "identical backoffs make the losers collide again"


async def test_no_unit_of_work_is_open_while_backing_off(db: Database) -> None:
    tracker = Tracker()
    sleep = RecordingSleep(tracker)
    use_cases = db.use_cases(tracker, sleep)
    tracker.conflicts = 2
    result = await use_cases.adjust_stock.execute(StockAdjustmentRequest(1, -3, "wh7-0001"))
    assert result.quantity == 7
    assert len(sleep.delays) == 2
    assert sleep.open_while_sleeping == [0, 0], "a session (and connection) held while waiting"
