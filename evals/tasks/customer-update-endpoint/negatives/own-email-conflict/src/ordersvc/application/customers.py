"""Customer use cases."""

from ordersvc.application.dto import CustomerDTO, CustomerUpdate, NewCustomer
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.domain.customer import Customer, normalise_email
from ordersvc.domain.errors import CustomerNotFound, DuplicateEmail


class RegisterCustomer:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, command: NewCustomer) -> CustomerDTO:
        customer = Customer(email=command.email, name=command.name)
        async with self._uow_factory() as uow:
            if await uow.customers.get_by_email(customer.email) is not None:
                raise DuplicateEmail(customer.email)
            await uow.customers.add(customer)
            await uow.commit()
        return CustomerDTO.from_domain(customer)


class UpdateCustomer:
    """Changes the name and/or email; an email may belong to one customer only."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, command: CustomerUpdate) -> CustomerDTO:
        async with self._uow_factory() as uow:
            customer = await uow.customers.get(command.customer_id)
            if customer is None:
                raise CustomerNotFound(command.customer_id)
            if command.email is not None:
                if await uow.customers.get_by_email(command.email) is not None:
                    raise DuplicateEmail(normalise_email(command.email))
                customer.change_email(command.email)
            if command.name is not None:
                customer.rename(command.name)
            await uow.commit()
        return CustomerDTO.from_domain(customer)


class GetCustomer:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, customer_id: int) -> CustomerDTO:
        async with self._uow_factory() as uow:
            customer = await uow.customers.get(customer_id)
        if customer is None:
            raise CustomerNotFound(customer_id)
        return CustomerDTO.from_domain(customer)
