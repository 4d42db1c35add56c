"""The SQLAlchemy unit of work: one AsyncSession (one transaction) per `async with`."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ordersvc.application.ports import EventPublisher
from ordersvc.application.unit_of_work import AbstractUnitOfWork
from ordersvc.infrastructure.outbox import SqlAlchemyOutbox
from ordersvc.infrastructure.repositories import (
    SqlAlchemyCustomerRepository,
    SqlAlchemyOrderRepository,
    SqlAlchemyProductRepository,
    SqlAlchemyStockRepository,
)


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """Create a new instance per transaction; do not share one across concurrent tasks."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], publisher: EventPublisher
    ) -> None:
        super().__init__(publisher)
        self._session_factory = session_factory

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self._customers = self.customers = SqlAlchemyCustomerRepository(self._session)
        self._products = self.products = SqlAlchemyProductRepository(self._session)
        self._stock = self.stock = SqlAlchemyStockRepository(self._session)
        self._orders = self.orders = SqlAlchemyOrderRepository(self._session)
        self._outbox = self.outbox = SqlAlchemyOutbox(self._session)
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
            await self._session.close()

    async def _commit(self) -> None:
        for repository in (self._customers, self._products, self._stock, self._orders):
            repository.sync()
        await self._session.commit()

    async def _rollback(self) -> None:
        await self._session.rollback()
