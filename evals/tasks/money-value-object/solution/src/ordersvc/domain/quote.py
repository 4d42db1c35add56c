"""A priced basket: what an order would cost, with an optional percentage discount."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ordersvc.domain.errors import CurrencyMismatch, InvalidValue
from ordersvc.domain.money import Money
from ordersvc.domain.order import OrderLine

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Quote:
    """Value object: every amount is derived from the lines, in exact Money arithmetic."""

    lines: tuple[OrderLine, ...]
    discount_percent: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvalidValue("a quote needs at least one line")
        if not self.discount_percent.is_finite() or not 0 <= self.discount_percent <= _HUNDRED:
            raise InvalidValue(f"discount must be between 0 and 100 %, got {self.discount_percent}")
        currency = self.currency
        for line in self.lines:
            if line.unit_price.currency != currency:
                raise CurrencyMismatch(currency, line.unit_price.currency)

    @property
    def currency(self) -> str:
        return self.lines[0].unit_price.currency

    @property
    def subtotal(self) -> Money:
        subtotal = Money.zero(self.currency)
        for line in self.lines:
            subtotal += line.subtotal
        return subtotal

    @property
    def discount(self) -> Money:
        return self.subtotal.percentage(self.discount_percent)

    @property
    def total(self) -> Money:
        return self.subtotal - self.discount
