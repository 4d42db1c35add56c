"""Relaying the transactional outbox to the event bus."""

from ordersvc.application.ports import EventPublisher
from ordersvc.application.unit_of_work import UnitOfWorkFactory


class RelayOutbox:
    """Publishes pending outbox messages, oldest first, then marks them sent.

    Delivery is at least once: if marking fails after publishing, the batch is published again
    on the next run, so consumers deduplicate on `message_id`. Run one relay at a time.
    """

    def __init__(
        self, uow_factory: UnitOfWorkFactory, publisher: EventPublisher, batch_size: int = 100
    ) -> None:
        self._uow_factory = uow_factory
        self._publisher = publisher
        self._batch_size = batch_size

    async def execute(self) -> int:
        """Relay everything pending; returns the number of messages published."""
        published = 0
        while True:
            async with self._uow_factory() as uow:
                messages = await uow.outbox.pending(self._batch_size)
                if not messages:
                    return published
                await self._publisher.publish(messages)
                await uow.outbox.mark_sent([message.message_id for message in messages])
                await uow.commit()
            published += len(messages)
