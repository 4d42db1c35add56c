"""Products and their stock levels (separate aggregates: prices and stock change independently)."""

from dataclasses import dataclass

from ordersvc.domain.aggregate import AggregateRoot, Entity
from ordersvc.domain.errors import InsufficientStock, InvalidValue, StaleVersion
from ordersvc.domain.events import StockReleased, StockReserved
from ordersvc.domain.money import Money


@dataclass(eq=False, kw_only=True)
class Product(Entity):
    """`version` starts at 1 and goes up by one with every change that is saved."""

    sku: str
    name: str
    price: Money
    version: int = 1

    def __post_init__(self) -> None:
        self.sku = self.sku.strip().upper()
        self.name = self.name.strip()
        if not self.sku or not self.name:
            raise InvalidValue("sku and name must not be empty")
        _require_positive(self.price)

    def change_price(self, price: Money, *, expected_version: int | None = None) -> None:
        """`expected_version`: the version the caller saw; None for an unconditional change."""
        if expected_version is not None and expected_version != self.version:
            raise StaleVersion(
                f"product {self.id} is at version {self.version}, not {expected_version}"
            )
        _require_positive(price)
        self.price = price
        self.version += 1


@dataclass(eq=False, kw_only=True)
class Stock(AggregateRoot):
    """Units on hand for one product; never negative."""

    product_id: int
    quantity: int = 0

    def __post_init__(self) -> None:
        if self.quantity < 0:
            raise InvalidValue("stock quantity must not be negative")

    def add(self, quantity: int) -> None:
        _require_positive_quantity(quantity)
        self.quantity += quantity

    def reserve(self, quantity: int, *, order_id: int) -> None:
        _require_positive_quantity(quantity)
        if quantity > self.quantity:
            raise InsufficientStock(self.product_id, quantity, self.quantity)
        self.quantity -= quantity
        self.record(StockReserved(self.product_id, order_id, quantity))

    def release(self, quantity: int, *, order_id: int) -> None:
        _require_positive_quantity(quantity)
        self.quantity += quantity
        self.record(StockReleased(self.product_id, order_id, quantity))


def _require_positive(price: Money) -> None:
    if not price.is_positive:
        raise InvalidValue(f"price must be positive, got {price}")


def _require_positive_quantity(quantity: int) -> None:
    if quantity <= 0:
        raise InvalidValue(f"quantity must be positive, got {quantity}")
