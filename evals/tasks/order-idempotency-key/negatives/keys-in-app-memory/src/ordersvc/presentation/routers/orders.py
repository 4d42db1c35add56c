import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from ordersvc.application.dto import OrderLineRequest, OrderRequest
from ordersvc.domain.errors import DomainError
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import OrderIn, OrderOut

router = APIRouter(prefix="/orders", tags=["orders"], responses=ERROR_RESPONSES)


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=255)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def place_order(
    body: OrderIn, use_cases: UseCasesDep, request: Request, idempotency_key: IdempotencyKey = None
) -> OrderOut:
    seen: dict[tuple[int, str], tuple[str, OrderOut]] = request.app.state.__dict__.setdefault(
        "idempotency_keys", {}
    )
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    if idempotency_key is not None:
        stored = seen.get((body.customer_id, idempotency_key))
        if stored is not None:
            if stored[0] != digest:
                raise IdempotencyKeyReused(f"key {idempotency_key} was used for another order")
            return stored[1]
    command = OrderRequest(
        customer_id=body.customer_id,
        lines=tuple(
            OrderLineRequest(product_id=line.product_id, quantity=line.quantity)
            for line in body.lines
        ),
    )
    order = OrderOut.model_validate(await use_cases.place_order.execute(command))
    if idempotency_key is not None:
        seen[(body.customer_id, idempotency_key)] = (digest, order)
    return order


@router.get("/{order_id}")
async def get_order(order_id: int, use_cases: UseCasesDep) -> OrderOut:
    return OrderOut.model_validate(await use_cases.get_order.execute(order_id))


@router.post("/{order_id}/cancel")
async def cancel_order(order_id: int, use_cases: UseCasesDep) -> OrderOut:
    return OrderOut.model_validate(await use_cases.cancel_order.execute(order_id))
