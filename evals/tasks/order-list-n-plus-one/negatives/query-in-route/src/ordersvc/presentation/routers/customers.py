from fastapi import APIRouter, Request, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from ordersvc.application.dto import NewCustomer, OrderDTO
from ordersvc.infrastructure.mappers import order_to_domain
from ordersvc.infrastructure.models import OrderModel
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
async def list_customer_orders(
    customer_id: int, request: Request, use_cases: UseCasesDep
) -> list[OrderOut]:
    await use_cases.get_customer.execute(customer_id)  # 404 for an unknown customer
    session_factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    stmt = (
        select(OrderModel)
        .where(OrderModel.customer_id == customer_id)
        .order_by(OrderModel.id)
        .options(selectinload(OrderModel.lines))
    )
    async with session_factory() as session:
        rows = await session.scalars(stmt)
        return [OrderOut.model_validate(OrderDTO.from_domain(order_to_domain(row))) for row in rows]
