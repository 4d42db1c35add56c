"""Order use cases. Placing and cancelling touch stock in the same unit of work."""

import logging

from ordersvc.application.catalog import require_product, require_stock
from ordersvc.application.dto import OrderDTO, OrderRequest
from ordersvc.application.ports import Notifier
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.domain.errors import CustomerNotFound, OrderNotFound
from ordersvc.domain.order import Order, OrderLine

logger = logging.getLogger(__name__)


class PlaceOrder:
    """Prices the lines, reserves stock for every line and places the order: all or nothing."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, command: OrderRequest) -> OrderDTO:
        async with self._uow_factory() as uow:
            if await uow.customers.get(command.customer_id) is None:
                raise CustomerNotFound(command.customer_id)
            lines: list[OrderLine] = []
            for requested in command.lines:
                product = await require_product(uow, requested.product_id)
                lines.append(OrderLine(product.identity, requested.quantity, product.price))
            order = Order.create(command.customer_id, lines)
            await uow.orders.add(order)
            for line in order.lines:
                stock = await require_stock(uow, line.product_id)
                stock.reserve(line.quantity, order_id=order.identity)
            order.place()
            await uow.commit()
        return OrderDTO.from_domain(order)


class GetOrder:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, order_id: int) -> OrderDTO:
        async with self._uow_factory() as uow:
            order = await uow.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        return OrderDTO.from_domain(order)


class CancelOrder:
    """Cancels a placed order, releases its stock and tells the customer."""

    def __init__(self, uow_factory: UnitOfWorkFactory, notifier: Notifier) -> None:
        self._uow_factory = uow_factory
        self._notifier = notifier

    async def execute(self, order_id: int) -> OrderDTO:
        async with self._uow_factory() as uow:
            order = await uow.orders.get(order_id)
            if order is None:
                raise OrderNotFound(order_id)
            order.cancel()
            for line in order.lines:
                stock = await require_stock(uow, line.product_id)
                stock.release(line.quantity, order_id=order_id)
            await uow.commit()
            await self._notifier.send(
                order.customer_id,
                f"Order {order_id} cancelled",
                f"Your order {order_id} has been cancelled. You will not be charged for it.",
            )
        return OrderDTO.from_domain(order)
