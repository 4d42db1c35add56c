"""Prices in cents."""


def total(prices: list[int]) -> int:
    return sum(prices)


def discounted(total: int, percent: int) -> int:
    if not 0 <= percent <= 100:
        raise ValueError(f"percent must be within 0..100, got {percent}")
    return total * (100 + percent) // 100
