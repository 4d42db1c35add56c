from typing import Annotated

from fastapi import APIRouter, Header, status

from ordersvc.application.dto import OrderLineRequest, OrderRequest
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import OrderIn, OrderOut

router = APIRouter(prefix="/orders", tags=["orders"], responses=ERROR_RESPONSES)

IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        description="Client-generated key (a UUID); retries with the same key place one order.",
    ),
]


@router.post("", status_code=status.HTTP_201_CREATED)
async def place_order(
    body: OrderIn, use_cases: UseCasesDep, idempotency_key: IdempotencyKey = None
) -> OrderOut:
    command = OrderRequest(
        customer_id=body.customer_id,
        lines=tuple(
            OrderLineRequest(product_id=line.product_id, quantity=line.quantity)
            for line in body.lines
        ),
    )
    order = await use_cases.place_order.execute(command, idempotency_key=idempotency_key)
    return OrderOut.model_validate(order)


@router.get("/{order_id}")
async def get_order(order_id: int, use_cases: UseCasesDep) -> OrderOut:
    return OrderOut.model_validate(await use_cases.get_order.execute(order_id))


@router.post("/{order_id}/cancel")
async def cancel_order(order_id: int, use_cases: UseCasesDep) -> OrderOut:
    return OrderOut.model_validate(await use_cases.cancel_order.execute(order_id))
