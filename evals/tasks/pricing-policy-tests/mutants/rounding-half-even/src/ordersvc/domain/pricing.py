"""Pricing policy: bulk and loyalty discounts on one order line, and the minimum order value.

Amounts are computed exactly in Decimal; each discount is rounded once, half-up to the cent
(0.125 -> 0.13), as finance requires. Not used by any use case yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from ordersvc.domain.errors import CurrencyMismatch, DomainError, InvalidValue
from ordersvc.domain.money import CENT, Money

# (minimum quantity, rate), highest threshold first: 10-49 units 5 %, 50-99 10 %, 100+ 15 %.
BULK_TIERS: tuple[tuple[int, Decimal], ...] = (
    (100, Decimal("0.15")),
    (50, Decimal("0.10")),
    (10, Decimal("0.05")),
)
LOYALTY_RATE_PER_YEAR = Decimal("0.01")
MAX_LOYALTY_RATE = Decimal("0.05")


class BelowMinimumOrder(DomainError):
    code = "below_minimum_order"

    def __init__(self, total: Money, minimum: Money) -> None:
        super().__init__(f"order total {total} is below the minimum order value {minimum}")
        self.total = total
        self.minimum = minimum


def round_to_cents(amount: Decimal, currency: str) -> Money:
    """Round half-up to the cent: 0.125 -> 0.13, 0.124 -> 0.12."""
    return Money(amount.quantize(CENT, rounding=ROUND_HALF_EVEN), currency)


def bulk_discount_rate(quantity: int) -> Decimal:
    """The bulk discount rate for a line of `quantity` units."""
    if quantity <= 0:
        raise InvalidValue(f"quantity must be positive, got {quantity}")
    for threshold, rate in BULK_TIERS:
        if quantity >= threshold:
            return rate
    return Decimal("0")


def loyalty_discount_rate(years: int) -> Decimal:
    """1 % per full year as a customer, never more than 5 %."""
    if years < 0:
        raise InvalidValue(f"loyalty years must not be negative, got {years}")
    return min(LOYALTY_RATE_PER_YEAR * years, MAX_LOYALTY_RATE)


@dataclass(frozen=True, slots=True)
class Quote:
    subtotal: Money
    bulk_discount: Money
    loyalty_discount: Money
    total: Money


@dataclass(frozen=True, slots=True)
class PricingPolicy:
    minimum_order: Money

    def quote(self, unit_price: Money, quantity: int, *, loyalty_years: int = 0) -> Quote:
        """Bulk discount on the line subtotal first, then loyalty on what remains."""
        currency = unit_price.currency
        bulk_rate = bulk_discount_rate(quantity)
        subtotal = unit_price * quantity
        bulk = round_to_cents(subtotal.amount * bulk_rate, currency)
        after_bulk = subtotal - bulk
        loyalty_rate = loyalty_discount_rate(loyalty_years)
        loyalty = round_to_cents(after_bulk.amount * loyalty_rate, currency)
        return Quote(
            subtotal=subtotal,
            bulk_discount=bulk,
            loyalty_discount=loyalty,
            total=after_bulk - loyalty,
        )

    def check_minimum(self, total: Money) -> None:
        """Raise BelowMinimumOrder unless `total` reaches the minimum; equal is enough."""
        if total.currency != self.minimum_order.currency:
            raise CurrencyMismatch(self.minimum_order.currency, total.currency)
        if total.amount < self.minimum_order.amount:
            raise BelowMinimumOrder(total, self.minimum_order)
