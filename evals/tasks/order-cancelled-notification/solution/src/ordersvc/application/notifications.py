"""Customer notifications, sent by event handlers once the change they announce is committed."""

import logging

from ordersvc.application.ports import Notifier
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.domain.events import OrderCancelled

logger = logging.getLogger(__name__)


class NotifyCustomerOfCancellation:
    """Handles OrderCancelled by telling the order's customer.

    The unit of work publishes events only after its commit, so the cancellation is durable before
    the customer hears of it, and a failing notifier cannot undo it: the event bus logs the failure
    and carries on. The handler reads in its own unit of work; the command's is already done.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, notifier: Notifier) -> None:
        self._uow_factory = uow_factory
        self._notifier = notifier

    async def __call__(self, event: OrderCancelled) -> None:
        async with self._uow_factory() as uow:
            order = await uow.orders.get(event.order_id)
        if order is None:
            logger.warning("cancelled order %s not found; no notification sent", event.order_id)
            return
        await self._notifier.send(
            order.customer_id,
            f"Order {event.order_id} cancelled",
            f"Your order {event.order_id} has been cancelled. You will not be charged for it.",
        )
