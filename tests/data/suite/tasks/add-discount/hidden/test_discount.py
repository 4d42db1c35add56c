import pytest

from minisvc.domain.pricing import discounted


def test_ten_percent_off() -> None:
    assert discounted(200, 10) == 180


def test_rounds_down() -> None:
    assert discounted(99, 50) == 49


@pytest.mark.parametrize("percent", [-1, 101])
def test_rejects_out_of_range(percent: int) -> None:
    with pytest.raises(ValueError):
        discounted(100, percent)
