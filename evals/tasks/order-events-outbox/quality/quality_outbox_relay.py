"""Quality probes: the relay against a broker that fails now and then."""

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ordersvc.application.dto import (
    NewCustomer,
    NewProduct,
    OrderLineRequest,
    OrderRequest,
    StockAddition,
)
from ordersvc.application.use_cases import UseCases
from ordersvc.bootstrap import build_use_cases
from ordersvc.domain.events import DomainEvent, IntegrationEvent
from ordersvc.infrastructure.cache import InMemoryCache
from ordersvc.infrastructure.database import create_engine, create_schema, create_session_factory
from ordersvc.infrastructure.event_bus import InProcessEventBus
from ordersvc.infrastructure.unit_of_work import SqlAlchemyUnitOfWork

Message = tuple[str, int, str]  # (name, order id, message id)


class FlakyBroker:
    """The relay's publisher. Rejects the first publish that carries a message `fails_on` picks
    (nothing of that call is delivered); every other publish is delivered."""

    def __init__(self, fails_on: Callable[[Message], bool]) -> None:
        self._fails_on = fails_on
        self._failed = False
        self.attempted: list[Message] = []
        self.delivered: list[Message] = []

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        messages = [
            (event.name, json.loads(event.payload)["order_id"], event.message_id)
            for event in events
            if isinstance(event, IntegrationEvent)
        ]
        self.attempted.extend(messages)
        if not self._failed and any(self._fails_on(message) for message in messages):
            self._failed = True
            raise ConnectionError("broker unavailable")
        self.delivered.extend(messages)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/outbox.db")
    await create_schema(engine)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def use_cases_relaying_to(
    sessions: async_sessionmaker[AsyncSession], broker: FlakyBroker
) -> UseCases:
    bus = InProcessEventBus()  # domain events after commit, as in the app

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions, bus)

    return build_use_cases(uow_factory, InMemoryCache(), broker)


async def place_orders(use_cases: UseCases, count: int) -> list[int]:
    customer = await use_cases.register_customer.execute(NewCustomer("q@example.com", "Q"))
    product = await use_cases.create_product.execute(
        NewProduct("W-1", "Widget", Decimal("12.50"), "EUR")
    )
    await use_cases.add_stock.execute(StockAddition(product.id, 50))
    request = OrderRequest(customer.id, (OrderLineRequest(product.id, 1),))
    return [(await use_cases.place_order.execute(request)).id for _ in range(count)]


async def relay_twice(use_cases: UseCases) -> None:
    """The worker runs the relay again after a failed run."""
    # Whether the failure propagates out of the first run is the relay's choice.
    with contextlib.suppress(Exception):
        await use_cases.relay_outbox.execute()
    await use_cases.relay_outbox.execute()


async def test_a_broker_failure_loses_no_message(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    use_cases = use_cases_relaying_to(sessions, FlakyBroker(lambda message: False))
    first, second = await place_orders(use_cases, 2)
    broker = FlakyBroker(lambda message: message[1] == second)
    use_cases = use_cases_relaying_to(sessions, broker)

    await relay_twice(use_cases)

    delivered = {(name, order_id) for name, order_id, _ in broker.delivered}
    assert delivered == {("order.placed", first), ("order.placed", second)}, (
        "a message the broker rejected was marked sent and lost"
    )
    for order_id in (first, second):
        ids = {message_id for _, oid, message_id in broker.attempted if oid == order_id}
        assert len(ids) == 1, f"order {order_id}'s message changed its id on redelivery: {ids}"


async def test_a_failed_message_is_not_overtaken(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    broker = FlakyBroker(lambda message: message[0] == "order.placed")
    use_cases = use_cases_relaying_to(sessions, broker)
    [order_id] = await place_orders(use_cases, 1)
    await use_cases.cancel_order.execute(order_id)

    await relay_twice(use_cases)

    names = [name for name, oid, _ in broker.delivered if oid == order_id]
    if "order.cancelled" in names:
        first_cancel = names.index("order.cancelled")
        assert "order.placed" in names[:first_cancel], (
            f"consumers heard of the cancellation before the order: {names}"
        )
