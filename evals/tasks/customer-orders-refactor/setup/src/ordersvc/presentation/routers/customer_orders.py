"""Customer order history (legacy: reads the tables directly)."""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ordersvc.presentation.schemas import MoneyAmount, ResponseModel

router = APIRouter(prefix="/customers", tags=["customers"])

_ORDER_ROWS = text(
    "SELECT o.id, o.status, o.currency, l.quantity, l.unit_price_cents"
    " FROM orders AS o JOIN order_lines AS l ON l.order_id = o.id"
    " WHERE o.customer_id = :customer_id"
    " ORDER BY o.id DESC, l.id"
)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    session_factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with session_factory() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


class CustomerOrderOut(ResponseModel):
    id: int
    status: str
    item_count: int
    total: MoneyAmount
    currency: str


@router.get("/{customer_id}/orders")
async def list_customer_orders(customer_id: int, session: SessionDep) -> list[CustomerOrderOut]:
    rows = (await session.execute(_ORDER_ROWS, {"customer_id": customer_id})).all()
    summaries: dict[int, CustomerOrderOut] = {}
    for order_id, status, currency, quantity, unit_price_cents in rows:
        summary = summaries.setdefault(
            order_id,
            CustomerOrderOut(
                id=order_id, status=status, item_count=0, total=Decimal("0.00"), currency=currency
            ),
        )
        summary.item_count += quantity
        summary.total += Decimal(quantity * unit_price_cents).scaleb(-2)
    return list(summaries.values())
