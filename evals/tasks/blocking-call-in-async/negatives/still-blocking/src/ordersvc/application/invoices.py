"""Invoice documents for placed orders."""

from ordersvc.application.dto import OrderDTO
from ordersvc.application.ports import InvoiceRenderer
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.domain.errors import OrderNotFound


class GetInvoice:
    """The invoice of an order as a PDF document."""

    def __init__(self, uow_factory: UnitOfWorkFactory, render: InvoiceRenderer) -> None:
        self._uow_factory = uow_factory
        self._render = render

    async def execute(self, order_id: int) -> bytes:
        async with self._uow_factory() as uow:
            order = await uow.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        return await self._render_async(OrderDTO.from_domain(order))

    async def _render_async(self, order: OrderDTO) -> bytes:
        """Async wrapper so rendering does not block the request handler."""
        return self._render(order)
