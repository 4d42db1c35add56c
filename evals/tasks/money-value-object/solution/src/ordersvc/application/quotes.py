"""Basket quotes: what an order would cost, without reserving stock or saving anything."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ordersvc.application.catalog import require_product
from ordersvc.application.dto import OrderLineRequest
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.domain.order import OrderLine
from ordersvc.domain.quote import Quote


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    lines: tuple[OrderLineRequest, ...]
    discount_percent: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class QuoteLineDTO:
    product_id: int
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    @classmethod
    def from_domain(cls, line: OrderLine) -> QuoteLineDTO:
        return cls(
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=line.unit_price.amount,
            line_total=line.subtotal.amount,
        )


@dataclass(frozen=True, slots=True)
class QuoteDTO:
    currency: str
    lines: tuple[QuoteLineDTO, ...]
    subtotal: Decimal
    discount: Decimal
    total: Decimal

    @classmethod
    def from_domain(cls, quote: Quote) -> QuoteDTO:
        return cls(
            currency=quote.currency,
            lines=tuple(QuoteLineDTO.from_domain(line) for line in quote.lines),
            subtotal=quote.subtotal.amount,
            discount=quote.discount.amount,
            total=quote.total.amount,
        )


class QuoteBasket:
    """Prices the basket at the current product prices; reads only, nothing is committed."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, request: QuoteRequest) -> QuoteDTO:
        lines: list[OrderLine] = []
        async with self._uow_factory() as uow:
            for requested in request.lines:
                product = await require_product(uow, requested.product_id)
                lines.append(OrderLine(product.identity, requested.quantity, product.price))
        quote = Quote(lines=tuple(lines), discount_percent=request.discount_percent)
        return QuoteDTO.from_domain(quote)
