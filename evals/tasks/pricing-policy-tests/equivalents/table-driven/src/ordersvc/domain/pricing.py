"""The pricing policy, rewritten the way next sprint's refactoring might: same rules, other code.

Bulk tiers are looked up in an ascending table, loyalty is capped by comparison, and both
discounts go through one helper. Every public name, signature, value, error and message is what
the original has, so a suite that pins behaviour passes here exactly as it does there.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ordersvc.domain.errors import CurrencyMismatch, DomainError, InvalidValue
from ordersvc.domain.money import CENT, Money

BULK_TIERS: tuple[tuple[int, Decimal], ...] = (
    (100, Decimal("0.15")),
    (50, Decimal("0.10")),
    (10, Decimal("0.05")),
)
LOYALTY_RATE_PER_YEAR = Decimal("0.01")
MAX_LOYALTY_RATE = Decimal("0.05")

_THRESHOLDS = sorted(threshold for threshold, _ in BULK_TIERS)
_RATES = [Decimal("0"), *(dict(BULK_TIERS)[threshold] for threshold in _THRESHOLDS)]


class BelowMinimumOrder(DomainError):
    code = "below_minimum_order"

    def __init__(self, total: Money, minimum: Money) -> None:
        super().__init__(f"order total {total} is below the minimum order value {minimum}")
        self.total = total
        self.minimum = minimum


def round_to_cents(amount: Decimal, currency: str) -> Money:
    """To the cent, halves up."""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return Money(cents, currency)


def bulk_discount_rate(quantity: int) -> Decimal:
    """The rate of the highest tier the quantity reaches."""
    if quantity < 1:
        raise InvalidValue(f"quantity must be positive, got {quantity}")
    return _RATES[bisect.bisect_right(_THRESHOLDS, quantity)]


def loyalty_discount_rate(years: int) -> Decimal:
    """One point per year, capped."""
    if years < 0:
        raise InvalidValue(f"loyalty years must not be negative, got {years}")
    rate = years * LOYALTY_RATE_PER_YEAR
    return MAX_LOYALTY_RATE if rate > MAX_LOYALTY_RATE else rate


def _discount(base: Money, rate: Decimal) -> Money:
    return round_to_cents(base.amount * rate, base.currency)


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
        """Bulk first, loyalty on the remainder."""
        rate = bulk_discount_rate(quantity)
        subtotal = unit_price * quantity
        bulk = _discount(subtotal, rate)
        remainder = subtotal - bulk
        loyalty = _discount(remainder, loyalty_discount_rate(loyalty_years))
        return Quote(subtotal, bulk, loyalty, remainder - loyalty)

    def check_minimum(self, total: Money) -> None:
        """Equal to the minimum passes; below it, or in another currency, does not."""
        minimum = self.minimum_order
        if minimum.currency != total.currency:
            raise CurrencyMismatch(minimum.currency, total.currency)
        if not total.amount >= minimum.amount:
            raise BelowMinimumOrder(total, minimum)
