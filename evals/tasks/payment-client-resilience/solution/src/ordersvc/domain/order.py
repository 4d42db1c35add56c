"""The Order aggregate and its lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ordersvc.domain.aggregate import Entity
from ordersvc.domain.errors import CurrencyMismatch, InvalidOrderState, InvalidValue
from ordersvc.domain.events import OrderCancelled, OrderPlaced
from ordersvc.domain.money import Money


class OrderStatus(StrEnum):
    PENDING = "pending"  # built but not yet placed; never committed in this state
    PLACED = "placed"
    PAID = "paid"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: int
    quantity: int
    unit_price: Money

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise InvalidValue(f"quantity must be positive, got {self.quantity}")

    @property
    def subtotal(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(eq=False, kw_only=True)
class Order(Entity):
    """An order of one customer, priced in one currency.

    Lifecycle: `Order.create(...)` (pending) -> added to the repository (gets its id) ->
    `place()` -> either `mark_paid()` or `cancel()`.
    """

    customer_id: int
    lines: tuple[OrderLine, ...]
    status: OrderStatus = OrderStatus.PENDING

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvalidValue("an order needs at least one line")
        product_ids = [line.product_id for line in self.lines]
        if len(set(product_ids)) != len(product_ids):
            raise InvalidValue("each product may appear on one line only")
        currency = self.lines[0].unit_price.currency
        for line in self.lines[1:]:
            if line.unit_price.currency != currency:
                raise CurrencyMismatch(currency, line.unit_price.currency)

    @classmethod
    def create(cls, customer_id: int, lines: Sequence[OrderLine]) -> Order:
        return cls(customer_id=customer_id, lines=tuple(lines))

    @property
    def currency(self) -> str:
        return self.lines[0].unit_price.currency

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total += line.subtotal
        return total

    def place(self) -> None:
        if self.status is not OrderStatus.PENDING:
            raise InvalidOrderState(f"order {self.id} is already {self.status}")
        self.status = OrderStatus.PLACED
        self.record(OrderPlaced(self.identity, self.customer_id, self.total))

    def ensure_payable(self) -> None:
        """Only a placed order can be paid (not a cancelled or an already paid one)."""
        if self.status is not OrderStatus.PLACED:
            raise InvalidOrderState(f"order {self.id} is {self.status} and cannot be paid")

    def mark_paid(self) -> None:
        self.ensure_payable()
        self.status = OrderStatus.PAID

    def cancel(self) -> None:
        if self.status is not OrderStatus.PLACED:
            raise InvalidOrderState(f"order {self.id} is {self.status} and cannot be cancelled")
        self.status = OrderStatus.CANCELLED
        self.record(OrderCancelled(self.identity))
