from decimal import Decimal

import pytest

from ordersvc.domain.money import Money
from ordersvc.domain.pricing import (
    PricingPolicy,
    bulk_discount_rate,
    loyalty_discount_rate,
    round_to_cents,
)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


POLICY = PricingPolicy(minimum_order=eur("25.00"))


@pytest.mark.parametrize("quantity", [1, 9, 10, 49, 50, 99, 100])
@pytest.mark.parametrize("years", [0, 1, 5, 6])
def test_quote_matches_the_rates(quantity: int, years: int) -> None:
    unit_price = eur("1.25")
    quote = POLICY.quote(unit_price, quantity, loyalty_years=years)

    subtotal = unit_price * quantity
    bulk = round_to_cents(subtotal.amount * bulk_discount_rate(quantity), "EUR")
    loyalty = round_to_cents((subtotal - bulk).amount * loyalty_discount_rate(years), "EUR")

    assert quote.subtotal == subtotal
    assert quote.bulk_discount == bulk
    assert quote.loyalty_discount == loyalty


@pytest.mark.parametrize("amount", ["0.125", "0.135", "1.005"])
def test_rounding_is_stable(amount: str) -> None:
    rounded = round_to_cents(Decimal(amount), "EUR")
    assert round_to_cents(rounded.amount, "EUR") == rounded


def test_minimum_order_accepts_what_the_policy_considers_enough() -> None:
    quote = POLICY.quote(eur("30.00"), 1)
    POLICY.check_minimum(quote.total)
