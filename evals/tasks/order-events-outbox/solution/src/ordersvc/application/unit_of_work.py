"""The unit of work: one transaction, its repositories, and event publication after commit."""

from __future__ import annotations

import abc
from collections.abc import Callable
from types import TracebackType
from typing import Self

from ordersvc.application.ports import (
    CustomerRepository,
    EventPublisher,
    OrderRepository,
    Outbox,
    ProductRepository,
    StockRepository,
    TracksAggregates,
)
from ordersvc.domain.aggregate import AggregateRoot
from ordersvc.domain.events import DomainEvent


class AbstractUnitOfWork(abc.ABC):
    """`async with uow:` ... `await uow.commit()`; leaving without a commit rolls back.

    After a successful commit the events raised by every aggregate the repositories have seen
    are published through the EventPublisher port, so handlers never see uncommitted state.
    """

    customers: CustomerRepository
    products: ProductRepository
    stock: StockRepository
    orders: OrderRepository
    outbox: Outbox

    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher
        self._committed = False

    async def __aenter__(self) -> Self:
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            await self.rollback()

    async def commit(self) -> None:
        await self._commit()
        self._committed = True
        events = self._collect_events()
        if events:
            await self._publisher.publish(events)

    async def rollback(self) -> None:
        await self._rollback()

    def _collect_events(self) -> list[DomainEvent]:
        return [event for aggregate in self._seen() for event in aggregate.pull_events()]

    def _pending_events(self) -> list[DomainEvent]:
        """The events that the next commit will publish (for adapters that store an outbox)."""
        return [event for aggregate in self._seen() for event in aggregate.pending_events]

    def _seen(self) -> list[AggregateRoot]:
        repositories: tuple[TracksAggregates, ...] = (
            self.customers,
            self.products,
            self.stock,
            self.orders,
        )
        return [aggregate for repository in repositories for aggregate in repository.seen]

    @abc.abstractmethod
    async def _commit(self) -> None: ...

    @abc.abstractmethod
    async def _rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]
