from fastapi import APIRouter, status

from ordersvc.application.dto import NewCustomer
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import CustomerIn, CustomerOut, OrderOut

router = APIRouter(prefix="/customers", tags=["customers"], responses=ERROR_RESPONSES)


@router.post("", status_code=status.HTTP_201_CREATED)
async def register_customer(body: CustomerIn, use_cases: UseCasesDep) -> CustomerOut:
    customer = await use_cases.register_customer.execute(
        NewCustomer(email=body.email, name=body.name)
    )
    return CustomerOut.model_validate(customer)


@router.get("/{customer_id}")
async def get_customer(customer_id: int, use_cases: UseCasesDep) -> CustomerOut:
    return CustomerOut.model_validate(await use_cases.get_customer.execute(customer_id))


@router.get("/{customer_id}/orders")
async def list_customer_orders(customer_id: int, use_cases: UseCasesDep) -> list[OrderOut]:
    orders = await use_cases.list_customer_orders.execute(customer_id)
    return [OrderOut.model_validate(order) for order in orders]
