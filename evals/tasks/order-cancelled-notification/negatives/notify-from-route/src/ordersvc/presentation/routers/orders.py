from fastapi import APIRouter, status

from ordersvc.application.dto import OrderLineRequest, OrderRequest
from ordersvc.presentation.dependencies import NotifierDep, UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import OrderIn, OrderOut

router = APIRouter(prefix="/orders", tags=["orders"], responses=ERROR_RESPONSES)


@router.post("", status_code=status.HTTP_201_CREATED)
async def place_order(body: OrderIn, use_cases: UseCasesDep) -> OrderOut:
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
async def cancel_order(order_id: int, use_cases: UseCasesDep, notifier: NotifierDep) -> OrderOut:
    order = await use_cases.cancel_order.execute(order_id)
    await notifier.send(
        order.customer_id,
        f"Order {order.id} cancelled",
        f"Your order {order.id} has been cancelled. You will not be charged for it.",
    )
    return OrderOut.model_validate(order)
