"""Domain events: facts raised by aggregates, published after the transaction commits."""

from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from ordersvc.domain.money import Money


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base class of every event."""


@dataclass(frozen=True, slots=True)
class OrderPlaced(DomainEvent):
    order_id: int
    customer_id: int
    total: Money


@dataclass(frozen=True, slots=True)
class OrderCancelled(DomainEvent):
    order_id: int


@dataclass(frozen=True, slots=True)
class StockReserved(DomainEvent):
    product_id: int
    order_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class StockReleased(DomainEvent):
    product_id: int
    order_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class IntegrationEvent(DomainEvent):
    """A message for other services, relayed from the outbox after the transaction committed.

    `message_id` is unique and stable across redeliveries (consumers deduplicate on it);
    `payload` is JSON text.
    """

    message_id: str
    name: str
    payload: str


class OrderPlacedPayload(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: int
    customer_id: int
    total: Decimal
    currency: str


class OrderCancelledPayload(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: int
