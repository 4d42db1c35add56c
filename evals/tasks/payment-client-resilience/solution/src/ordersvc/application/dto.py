"""Commands (input) and DTOs (output) of the use cases: frozen dataclasses, no framework types."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ordersvc.domain.catalog import Product, Stock
from ordersvc.domain.customer import Customer
from ordersvc.domain.order import Order, OrderLine


@dataclass(frozen=True, slots=True)
class NewCustomer:
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class NewProduct:
    sku: str
    name: str
    price: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class PriceChange:
    product_id: int
    price: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class StockAddition:
    product_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderLineRequest:
    product_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderRequest:
    customer_id: int
    lines: tuple[OrderLineRequest, ...]


@dataclass(frozen=True, slots=True)
class CustomerDTO:
    id: int
    email: str
    name: str

    @classmethod
    def from_domain(cls, customer: Customer) -> CustomerDTO:
        return cls(id=customer.identity, email=customer.email, name=customer.name)


@dataclass(frozen=True, slots=True)
class ProductDTO:
    id: int
    sku: str
    name: str
    price: Decimal
    currency: str

    @classmethod
    def from_domain(cls, product: Product) -> ProductDTO:
        return cls(
            id=product.identity,
            sku=product.sku,
            name=product.name,
            price=product.price.amount,
            currency=product.price.currency,
        )


@dataclass(frozen=True, slots=True)
class StockDTO:
    product_id: int
    quantity: int

    @classmethod
    def from_domain(cls, stock: Stock) -> StockDTO:
        return cls(product_id=stock.product_id, quantity=stock.quantity)


@dataclass(frozen=True, slots=True)
class OrderLineDTO:
    product_id: int
    quantity: int
    unit_price: Decimal

    @classmethod
    def from_domain(cls, line: OrderLine) -> OrderLineDTO:
        return cls(
            product_id=line.product_id, quantity=line.quantity, unit_price=line.unit_price.amount
        )


@dataclass(frozen=True, slots=True)
class OrderDTO:
    id: int
    customer_id: int
    status: str
    lines: tuple[OrderLineDTO, ...]
    total: Decimal
    currency: str

    @classmethod
    def from_domain(cls, order: Order) -> OrderDTO:
        return cls(
            id=order.identity,
            customer_id=order.customer_id,
            status=order.status.value,
            lines=tuple(OrderLineDTO.from_domain(line) for line in order.lines),
            total=order.total.amount,
            currency=order.currency,
        )


@dataclass(frozen=True, slots=True)
class PaymentDTO:
    order_id: int
    charge_id: str
    status: str
