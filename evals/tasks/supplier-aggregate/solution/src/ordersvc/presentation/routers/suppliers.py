from fastapi import APIRouter, status

from ordersvc.application.dto import NewSupplier
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import SupplierIn, SupplierOut

router = APIRouter(prefix="/suppliers", tags=["suppliers"], responses=ERROR_RESPONSES)


@router.post("", status_code=status.HTTP_201_CREATED)
async def register_supplier(body: SupplierIn, use_cases: UseCasesDep) -> SupplierOut:
    command = NewSupplier(
        name=body.name,
        contact_email=body.contact_email,
        lead_time_days=body.lead_time_days,
        active=body.active,
    )
    return SupplierOut.model_validate(await use_cases.register_supplier.execute(command))


@router.get("")
async def list_suppliers(use_cases: UseCasesDep, active: bool | None = None) -> list[SupplierOut]:
    suppliers = await use_cases.list_suppliers.execute(active=active)
    return [SupplierOut.model_validate(supplier) for supplier in suppliers]


@router.get("/{supplier_id}")
async def get_supplier(supplier_id: int, use_cases: UseCasesDep) -> SupplierOut:
    return SupplierOut.model_validate(await use_cases.get_supplier.execute(supplier_id))
