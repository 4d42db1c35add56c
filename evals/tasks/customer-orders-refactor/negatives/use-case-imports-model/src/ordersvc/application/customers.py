"""Customer use cases."""

from decimal import Decimal

from ordersvc.application.dto import CustomerDTO, CustomerOrderSummary, NewCustomer
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.domain.customer import Customer
from ordersvc.domain.errors import CustomerNotFound, DuplicateEmail
from ordersvc.infrastructure.models import OrderModel


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


class GetCustomer:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, customer_id: int) -> CustomerDTO:
        async with self._uow_factory() as uow:
            customer = await uow.customers.get(customer_id)
        if customer is None:
            raise CustomerNotFound(customer_id)
        return CustomerDTO.from_domain(customer)


class ListCustomerOrders:
    """A customer's order history, newest first."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, customer_id: int) -> list[CustomerOrderSummary]:
        async with self._uow_factory() as uow:
            if await uow.customers.get(customer_id) is None:
                raise CustomerNotFound(customer_id)
            orders = await uow.order_history.list_for_customer(customer_id)
            return [_summary(row) for row in orders]


def _summary(row: OrderModel) -> CustomerOrderSummary:
    cents = sum(line.quantity * line.unit_price_cents for line in row.lines)
    return CustomerOrderSummary(
        id=row.id,
        status=row.status,
        item_count=sum(line.quantity for line in row.lines),
        total=Decimal(cents).scaleb(-2),
        currency=row.currency,
    )
