"""Which domain events leave the service, and in what shape (the published contract)."""

import uuid
from collections.abc import Iterable

from pydantic import BaseModel

from ordersvc.domain.events import (
    DomainEvent,
    IntegrationEvent,
    OrderCancelled,
    OrderCancelledPayload,
    OrderPlaced,
    OrderPlacedPayload,
)


def integration_events_for(events: Iterable[DomainEvent]) -> list[IntegrationEvent]:
    """The integration events to store in the outbox for these domain events, in order."""
    return [message for event in events if (message := _to_integration(event)) is not None]


def _to_integration(event: DomainEvent) -> IntegrationEvent | None:
    match event:
        case OrderPlaced(order_id=order_id, customer_id=customer_id, total=total):
            payload = OrderPlacedPayload(
                order_id=order_id,
                customer_id=customer_id,
                total=total.amount,
                currency=total.currency,
            )
            return _message("order.placed", payload)
        case OrderCancelled(order_id=order_id):
            return _message("order.cancelled", OrderCancelledPayload(order_id=order_id))
        case _:
            return None


def _message(name: str, payload: BaseModel) -> IntegrationEvent:
    return IntegrationEvent(
        message_id=str(uuid.uuid4()), name=name, payload=payload.model_dump_json()
    )
