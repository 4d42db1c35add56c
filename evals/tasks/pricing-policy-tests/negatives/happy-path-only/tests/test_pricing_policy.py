from decimal import Decimal

import pytest

from ordersvc.domain.errors import InvalidValue
from ordersvc.domain.money import Money
from ordersvc.domain.pricing import (
    BelowMinimumOrder,
    PricingPolicy,
    bulk_discount_rate,
    loyalty_discount_rate,
    round_to_cents,
)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


POLICY = PricingPolicy(minimum_order=eur("25.00"))


@pytest.mark.parametrize(
    ("quantity", "rate"), [(3, "0"), (20, "0.05"), (70, "0.10"), (250, "0.15")]
)
def test_bulk_rate(quantity: int, rate: str) -> None:
    assert bulk_discount_rate(quantity) == Decimal(rate)


def test_bulk_rate_rejects_zero() -> None:
    with pytest.raises(InvalidValue):
        bulk_discount_rate(0)


@pytest.mark.parametrize(("years", "rate"), [(0, "0"), (3, "0.03")])
def test_loyalty_rate(years: int, rate: str) -> None:
    assert loyalty_discount_rate(years) == Decimal(rate)


@pytest.mark.parametrize(("amount", "rounded"), [("1.234", "1.23"), ("1.236", "1.24")])
def test_rounding(amount: str, rounded: str) -> None:
    assert round_to_cents(Decimal(amount), "EUR") == eur(rounded)


def test_quote_without_discount() -> None:
    quote = POLICY.quote(eur("10.00"), 2)
    assert quote.total == eur("20.00")


def test_quote_with_bulk_discount() -> None:
    quote = POLICY.quote(eur("10.00"), 20)
    assert quote.subtotal == eur("200.00")
    assert quote.bulk_discount == eur("10.00")
    assert quote.total == eur("190.00")


def test_large_order_meets_minimum() -> None:
    POLICY.check_minimum(eur("100.00"))


def test_small_order_is_rejected() -> None:
    with pytest.raises(BelowMinimumOrder):
        POLICY.check_minimum(eur("5.00"))
