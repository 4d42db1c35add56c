"""Money as a value object: an exact Decimal amount in cents precision plus a currency."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ordersvc.domain.errors import CurrencyMismatch, InvalidValue

CENT = Decimal("0.01")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class Money:
    """Immutable amount of one currency. Amounts have at most two decimal places."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise InvalidValue(f"amount must be a finite Decimal, got {self.amount!r}")
        if not _CURRENCY.fullmatch(self.currency):
            raise InvalidValue(f"currency must be three upper-case letters, got {self.currency!r}")
        normalised = self.amount.quantize(CENT)
        if normalised != self.amount:
            raise InvalidValue(f"amount {self.amount} has more than two decimal places")
        object.__setattr__(self, "amount", normalised)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal("0.00"), currency)

    @classmethod
    def from_cents(cls, cents: int, currency: str) -> Money:
        return cls(Decimal(cents).scaleb(-2), currency)

    @property
    def cents(self) -> int:
        return int(self.amount.scaleb(2))

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def __add__(self, other: Money) -> Money:
        self._check_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            return NotImplemented
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    def percentage(self, percent: Decimal) -> Money:
        """`percent` % of this amount, rounded to the cent."""
        share = (self.amount * percent / 100).quantize(CENT)
        return Money(share, self.currency)

    def _check_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
