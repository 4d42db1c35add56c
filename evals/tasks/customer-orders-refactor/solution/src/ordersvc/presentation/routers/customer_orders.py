"""A customer's order history."""

from fastapi import APIRouter

from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import CustomerOrderOut

router = APIRouter(prefix="/customers", tags=["customers"], responses=ERROR_RESPONSES)


@router.get("/{customer_id}/orders")
async def list_customer_orders(customer_id: int, use_cases: UseCasesDep) -> list[CustomerOrderOut]:
    orders = await use_cases.list_customer_orders.execute(customer_id)
    return [CustomerOrderOut.model_validate(order) for order in orders]
