"""Basket quotes: what an order would cost, without reserving stock or saving anything."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ordersvc.application.catalog import require_product
from ordersvc.application.dto import OrderLineRequest
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.domain.money import CENT


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


@dataclass(frozen=True, slots=True)
class QuoteDTO:
    currency: str
    lines: tuple[QuoteLineDTO, ...]
    subtotal: Decimal
    discount: Decimal
    total: Decimal


class QuoteBasket:
    """Prices the basket at the current product prices; reads only, nothing is committed."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, request: QuoteRequest) -> QuoteDTO:
        lines: list[QuoteLineDTO] = []
        currency = ""
        async with self._uow_factory() as uow:
            for requested in request.lines:
                product = await require_product(uow, requested.product_id)
                currency = currency or product.price.currency
                unit_price = product.price.amount
                lines.append(
                    QuoteLineDTO(
                        product_id=product.identity,
                        quantity=requested.quantity,
                        unit_price=unit_price,
                        line_total=unit_price * requested.quantity,
                    )
                )
        subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
        discount = (subtotal * request.discount_percent / 100).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        return QuoteDTO(
            currency=currency,
            lines=tuple(lines),
            subtotal=subtotal,
            discount=discount,
            total=subtotal - discount,
        )
