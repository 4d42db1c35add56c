"""Which domain events leave the service, and in what shape (the published contract)."""

import json
import uuid
from collections.abc import Iterable

from ordersvc.domain.events import DomainEvent, IntegrationEvent, OrderCancelled, OrderPlaced


def integration_events_for(events: Iterable[DomainEvent]) -> list[IntegrationEvent]:
    """The integration events to store in the outbox for these domain events, in order."""
    return [message for event in events if (message := _to_integration(event)) is not None]


def _to_integration(event: DomainEvent) -> IntegrationEvent | None:
    match event:
        case OrderPlaced(order_id=order_id, customer_id=customer_id, total=total):
            return _message(
                "order.placed",
                {
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "total": str(total.amount),
                    "currency": total.currency,
                },
            )
        case OrderCancelled(order_id=order_id):
            return _message("order.cancelled", {"order_id": order_id})
        case _:
            return None


def _message(name: str, payload: dict[str, int | str]) -> IntegrationEvent:
    return IntegrationEvent(
        message_id=str(uuid.uuid4()), name=name, payload=json.dumps(payload, sort_keys=True)
    )
