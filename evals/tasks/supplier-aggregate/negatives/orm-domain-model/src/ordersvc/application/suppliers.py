"""Supplier use cases."""

from collections.abc import Sequence

from ordersvc.application.dto import NewSupplier, SupplierDTO
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.domain.errors import DuplicateSupplier, SupplierNotFound
from ordersvc.domain.supplier import Supplier


class RegisterSupplier:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, command: NewSupplier) -> SupplierDTO:
        supplier = Supplier(
            name=command.name,
            contact_email=command.contact_email,
            lead_time_days=command.lead_time_days,
            active=command.active,
        )
        async with self._uow_factory() as uow:
            if await uow.suppliers.get_by_name(supplier.name) is not None:
                raise DuplicateSupplier(supplier.name)
            await uow.suppliers.add(supplier)
            await uow.commit()
            return SupplierDTO.from_domain(supplier)


class GetSupplier:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, supplier_id: int) -> SupplierDTO:
        async with self._uow_factory() as uow:
            supplier = await uow.suppliers.get(supplier_id)
            if supplier is None:
                raise SupplierNotFound(supplier_id)
            # Read inside the transaction: the rollback on exit expires ORM instances.
            return SupplierDTO.from_domain(supplier)


class ListSuppliers:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, active: bool | None = None) -> Sequence[SupplierDTO]:
        """All suppliers ordered by id; `active` filters on the flag when given."""
        async with self._uow_factory() as uow:
            suppliers = await uow.suppliers.list(active=active)
            return [SupplierDTO.from_domain(supplier) for supplier in suppliers]
