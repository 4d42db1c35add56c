"""Invoice documents for placed orders."""

from starlette.concurrency import run_in_threadpool

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
        # The renderer is synchronous and CPU-bound: run it in a worker thread so the event loop
        # keeps serving other requests meanwhile.
        return await run_in_threadpool(self._render, OrderDTO.from_domain(order))
