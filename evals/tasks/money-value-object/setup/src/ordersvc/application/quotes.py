"""Basket quotes: what an order would cost, without reserving stock or saving anything."""

from dataclasses import dataclass

from ordersvc.application.catalog import require_product
from ordersvc.application.dto import OrderLineRequest
from ordersvc.application.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    lines: tuple[OrderLineRequest, ...]
    discount_percent: float = 0.0


@dataclass(frozen=True, slots=True)
class QuoteLine:
    product_id: int
    quantity: int
    unit_price: float
    line_total: float


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    lines: tuple[QuoteLine, ...]
    subtotal: float
    discount: float
    total: float


class QuoteBasket:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, request: QuoteRequest) -> Quote:
        lines: list[QuoteLine] = []
        currency = ""
        async with self._uow_factory() as uow:
            for requested in request.lines:
                product = await require_product(uow, requested.product_id)
                currency = currency or product.price.currency
                unit_price = float(product.price.amount)
                lines.append(
                    QuoteLine(
                        product_id=product.identity,
                        quantity=requested.quantity,
                        unit_price=unit_price,
                        line_total=unit_price * requested.quantity,
                    )
                )
        subtotal = sum(line.line_total for line in lines)
        discount = round(subtotal * request.discount_percent / 100, 2)
        return Quote(
            currency=currency,
            lines=tuple(lines),
            subtotal=subtotal,
            discount=discount,
            total=subtotal - discount,
        )
