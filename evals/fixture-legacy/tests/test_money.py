import pytest

from shopapp.utils.money import format_cents, percent_of


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [(1000, 10, 100), (1225, 10, 123), (1224, 10, 122), (999, 15, 150), (1, 50, 1), (0, 30, 0)],
)
def test_percent_of_rounds_half_up(amount: int, percent: int, expected: int) -> None:
    assert percent_of(amount, percent) == expected


def test_percent_of_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="out of range"):
        percent_of(100, 101)


def test_format_cents() -> None:
    assert format_cents(123456) == "1234.56 EUR"
    assert format_cents(-5) == "-0.05 EUR"
