from fastapi import APIRouter, Request, status

from ordersvc.application.dto import OrderLineRequest, OrderRequest
from ordersvc.application.ports import PaymentDeclined, PaymentGateway, PaymentGatewayError
from ordersvc.domain.errors import InvalidOrderState
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import ErrorOut, OrderIn, OrderOut

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
async def cancel_order(order_id: int, use_cases: UseCasesDep) -> OrderOut:
    return OrderOut.model_validate(await use_cases.cancel_order.execute(order_id))


@router.post(
    "/{order_id}/checkout",
    responses={
        status.HTTP_402_PAYMENT_REQUIRED: {"model": ErrorOut},
        status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut},
    },
)
async def checkout_order(order_id: int, request: Request, use_cases: UseCasesDep) -> OrderOut:
    gateway: PaymentGateway = request.app.state.payment_gateway
    order = await use_cases.get_order.execute(order_id)
    if order.status != "placed":
        raise InvalidOrderState(f"order {order_id} is {order.status} and cannot be checked out")
    try:
        reference = await gateway.charge(
            order_id=order_id, amount=order.total, currency=order.currency
        )
    except (PaymentDeclined, PaymentGatewayError):
        await use_cases.cancel_order.execute(order_id)
        raise
    return OrderOut.model_validate(await use_cases.mark_order_paid.execute(order_id, reference))
