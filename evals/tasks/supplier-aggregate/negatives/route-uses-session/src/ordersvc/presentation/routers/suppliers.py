from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ordersvc.domain.errors import DuplicateSupplier, SupplierNotFound
from ordersvc.infrastructure.models import SupplierModel
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import SupplierIn, SupplierOut

router = APIRouter(prefix="/suppliers", tags=["suppliers"], responses=ERROR_RESPONSES)


async def get_session(request: Request) -> AsyncSession:
    factory = request.app.state.session_factory
    if not isinstance(factory, async_sessionmaker):
        raise HTTPException(status_code=500, detail="no database")
    session: AsyncSession = factory()
    return session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def register_supplier(body: SupplierIn, session: SessionDep) -> SupplierOut:
    async with session:
        name_key = body.name.casefold()
        taken = await session.scalar(
            select(SupplierModel).where(SupplierModel.name_key == name_key)
        )
        if taken is not None:
            raise DuplicateSupplier(body.name)
        row = SupplierModel(
            name=body.name,
            name_key=name_key,
            contact_email=body.contact_email.lower(),
            lead_time_days=body.lead_time_days,
            active=body.active,
        )
        session.add(row)
        await session.commit()
        return SupplierOut.model_validate(row)


@router.get("")
async def list_suppliers(session: SessionDep, active: bool | None = None) -> list[SupplierOut]:
    async with session:
        stmt = select(SupplierModel).order_by(SupplierModel.id)
        if active is not None:
            stmt = stmt.where(SupplierModel.active == active)
        rows = (await session.scalars(stmt)).all()
        return [SupplierOut.model_validate(row) for row in rows]


@router.get("/{supplier_id}")
async def get_supplier(supplier_id: int, session: SessionDep) -> SupplierOut:
    async with session:
        row = await session.get(SupplierModel, supplier_id)
        if row is None:
            raise SupplierNotFound(supplier_id)
        return SupplierOut.model_validate(row)
