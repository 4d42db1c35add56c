from fastapi import APIRouter, status

from ordersvc.application.dto import OrderLineRequest, OrderRequest
from ordersvc.domain.errors import OrderLineQuantityLimit, TooManyOrderLines
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import OrderIn, OrderOut

router = APIRouter(prefix="/orders", tags=["orders"], responses=ERROR_RESPONSES)

MAX_LINES_PER_ORDER = 10
MAX_UNITS_PER_LINE = 25


@router.post("", status_code=status.HTTP_201_CREATED)
async def place_order(body: OrderIn, use_cases: UseCasesDep) -> OrderOut:
    if len(body.lines) > MAX_LINES_PER_ORDER:
        raise TooManyOrderLines(len(body.lines), MAX_LINES_PER_ORDER)
    for line in body.lines:
        if line.quantity > MAX_UNITS_PER_LINE:
            raise OrderLineQuantityLimit(line.product_id, line.quantity, MAX_UNITS_PER_LINE)
    command = OrderRequest(
        customer_id=body.customer_id,
        lines=tuple(
            OrderLineRequest(product_id=line.product_id, quantity=line.quantity)
            for line in body.lines
        ),
    )
    return OrderOut.model_validate(await use_cases.place_order.execute(command))


@router.get("/{order_id}")
async def get_order(order_id: int, use_cases: UseCasesDep) -> OrderOut:
    return OrderOut.model_validate(await use_cases.get_order.execute(order_id))


@router.post("/{order_id}/cancel")
async def cancel_order(order_id: int, use_cases: UseCasesDep) -> OrderOut:
    return OrderOut.model_validate(await use_cases.cancel_order.execute(order_id))
