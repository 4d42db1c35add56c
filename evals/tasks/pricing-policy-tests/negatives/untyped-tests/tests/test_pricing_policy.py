"""Characterisation tests for the pricing policy, written before it is refactored.

Every expected value is worked out by hand from the business rules, never by calling the code
under test, and every threshold is tested on both sides: a rule that drifts fails a test.
"""

from decimal import Decimal

import pytest

from ordersvc.domain.errors import CurrencyMismatch, InvalidValue
from ordersvc.domain.money import Money
from ordersvc.domain.pricing import (
    BelowMinimumOrder,
    PricingPolicy,
    Quote,
    bulk_discount_rate,
    loyalty_discount_rate,
    round_to_cents,
)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


@pytest.fixture
def policy() -> PricingPolicy:
    return PricingPolicy(minimum_order=eur("25.00"))


@pytest.mark.parametrize(
    ("quantity", "rate"),
    [
        (1, "0"),
        (9, "0"),
        (10, "0.05"),
        (49, "0.05"),
        (50, "0.10"),
        (99, "0.10"),
        (100, "0.15"),
        (10_000, "0.15"),
    ],
)
def test_bulk_rate_changes_exactly_at_the_tier_thresholds(quantity, rate):
    assert bulk_discount_rate(quantity) == Decimal(rate)


@pytest.mark.parametrize("quantity", [0, -1])
def test_bulk_rate_rejects_non_positive_quantities(quantity: int) -> None:
    with pytest.raises(InvalidValue):
        bulk_discount_rate(quantity)


@pytest.mark.parametrize(
    ("years", "rate"),
    [(0, "0"), (1, "0.01"), (4, "0.04"), (5, "0.05"), (6, "0.05"), (40, "0.05")],
)
def test_loyalty_rate_grows_per_year_up_to_the_cap(years, rate):
    assert loyalty_discount_rate(years) == Decimal(rate)


def test_loyalty_rate_rejects_negative_years() -> None:
    with pytest.raises(InvalidValue):
        loyalty_discount_rate(-1)


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("0.125", "0.13"),  # half rounds up even after an even digit
        ("0.135", "0.14"),
        ("0.005", "0.01"),
        ("0.0049", "0.00"),
        ("0.124", "0.12"),
        ("0.126", "0.13"),
        ("7", "7.00"),
    ],
)
def test_round_to_cents_rounds_halves_up(amount, rounded):
    assert round_to_cents(Decimal(amount), "EUR") == eur(rounded)


def test_round_to_cents_keeps_the_currency() -> None:
    assert round_to_cents(Decimal("1.005"), "USD") == Money(Decimal("1.01"), "USD")


@pytest.mark.parametrize(
    ("unit_price", "quantity", "years", "expected"),
    [
        # no discount at all
        ("10.00", 1, 0, ("10.00", "0.00", "0.00", "10.00")),
        # 5 % of 12.50 is 0.625: the half cent rounds up
        ("1.25", 10, 0, ("12.50", "0.63", "0.00", "11.87")),
        # just below a tier: loyalty only, 1 % of 112.50 is 1.125 -> 1.13
        ("12.50", 9, 1, ("112.50", "0.00", "1.13", "111.37")),
        # loyalty applies to the amount after the bulk discount: 2 % of 95.00, not of 100.00
        ("10.00", 10, 2, ("100.00", "5.00", "1.90", "93.10")),
        ("3.00", 50, 1, ("150.00", "15.00", "1.35", "133.65")),
        # the loyalty cap: ten years still give 5 %
        ("2.00", 100, 10, ("200.00", "30.00", "8.50", "161.50")),
    ],
)
def test_quote_breakdown(
    policy: PricingPolicy,
    unit_price: str,
    quantity: int,
    years: int,
    expected: tuple[str, str, str, str],
) -> None:
    subtotal, bulk, loyalty, total = expected
    quote = policy.quote(eur(unit_price), quantity, loyalty_years=years)
    assert quote == Quote(
        subtotal=eur(subtotal),
        bulk_discount=eur(bulk),
        loyalty_discount=eur(loyalty),
        total=eur(total),
    )


def test_quote_defaults_to_no_loyalty(policy: PricingPolicy) -> None:
    assert policy.quote(eur("4.00"), 10).loyalty_discount == eur("0.00")


def test_quote_is_in_the_currency_of_the_price(policy: PricingPolicy) -> None:
    quote = policy.quote(Money(Decimal("1.25"), "USD"), 10)
    assert quote.total == Money(Decimal("11.87"), "USD")


def test_quote_rejects_a_zero_quantity(policy: PricingPolicy) -> None:
    with pytest.raises(InvalidValue):
        policy.quote(eur("10.00"), 0)


@pytest.mark.parametrize("total", ["25.00", "25.01", "1000.00"])
def test_minimum_order_is_met_from_the_minimum_itself(policy: PricingPolicy, total: str) -> None:
    policy.check_minimum(eur(total))


@pytest.mark.parametrize("total", ["24.99", "0.00"])
def test_below_the_minimum_order_is_rejected(policy: PricingPolicy, total: str) -> None:
    with pytest.raises(BelowMinimumOrder) as raised:
        policy.check_minimum(eur(total))
    assert raised.value.total == eur(total)
    assert raised.value.minimum == eur("25.00")
    assert raised.value.code == "below_minimum_order"


@pytest.mark.parametrize("amount", ["1000.00", "25.00", "1.00"])
def test_minimum_order_in_another_currency_is_rejected(policy: PricingPolicy, amount: str) -> None:
    with pytest.raises(CurrencyMismatch):
        policy.check_minimum(Money(Decimal(amount), "USD"))
