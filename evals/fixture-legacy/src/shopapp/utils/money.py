"""Money is an int number of cents everywhere: in the database, in code and on the wire
(``priceCents``, ``totalCents``). One currency (EUR); no floats, no Decimal.
"""


def percent_of(amount_cents: int, percent: int) -> int:
    """``percent`` % of ``amount_cents``, rounded half up to a whole cent.

    >>> percent_of(1225, 10)  # 122.5 -> 123
    123
    """
    if amount_cents < 0 or not 0 <= percent <= 100:
        raise ValueError(f"percent_of({amount_cents}, {percent}): out of range")
    return (amount_cents * percent + 50) // 100


def format_cents(amount_cents: int) -> str:
    """For messages only: 1234 -> '12.34 EUR'. The API itself sends cents."""
    sign = "-" if amount_cents < 0 else ""
    whole, cents = divmod(abs(amount_cents), 100)
    return f"{sign}{whole}.{cents:02d} EUR"
