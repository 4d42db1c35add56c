"""The SQLAlchemy outbox: rows in the same session (transaction) as the business change."""

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ordersvc.domain.events import IntegrationEvent
from ordersvc.infrastructure.models import OutboxMessageModel


class SqlAlchemyOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, events: Sequence[IntegrationEvent]) -> None:
        self._session.add_all(
            OutboxMessageModel(message_id=event.message_id, name=event.name, payload=event.payload)
            for event in events
        )

    async def pending(self, limit: int) -> list[IntegrationEvent]:
        stmt = (
            select(OutboxMessageModel)
            .where(OutboxMessageModel.sent.is_(False))
            .order_by(OutboxMessageModel.id)
            .limit(limit)
        )
        rows = await self._session.scalars(stmt)
        return [
            IntegrationEvent(message_id=row.message_id, name=row.name, payload=row.payload)
            for row in rows
        ]

    async def mark_sent(self, message_ids: Sequence[str]) -> None:
        stmt = (
            update(OutboxMessageModel)
            .where(OutboxMessageModel.message_id.in_(message_ids))
            .values(sent=True)
        )
        await self._session.execute(stmt)
