"""Order use cases. Placing and cancelling touch stock in the same unit of work."""

from ordersvc.application.catalog import require_product, require_stock
from ordersvc.application.dto import OrderDTO, OrderRequest
from ordersvc.application.idempotency import IdempotencyKeyReused, IdempotencyRecord, fingerprint
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.domain.errors import CustomerNotFound, OrderNotFound
from ordersvc.domain.order import Order, OrderLine


class PlaceOrder:
    """Prices the lines, reserves stock for every line and places the order: all or nothing.

    With an idempotency key, a retry of the same request returns the order the first attempt
    created; the key is stored in the same transaction as the order, so a failed attempt leaves
    no trace and a successful one can never be replayed into a second order.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, command: OrderRequest, idempotency_key: str | None = None) -> OrderDTO:
        async with self._uow_factory() as uow:
            digest = fingerprint(command)
            if idempotency_key is not None:
                stored = await uow.idempotency_keys.get(command.customer_id, idempotency_key)
                if stored is not None:
                    if stored.fingerprint != digest:
                        raise IdempotencyKeyReused(idempotency_key)
                    previous = await uow.orders.get(stored.order_id)
                    if previous is None:
                        raise OrderNotFound(stored.order_id)
                    return OrderDTO.from_domain(previous)
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
            if idempotency_key is not None:
                await uow.idempotency_keys.add(
                    IdempotencyRecord(command.customer_id, idempotency_key, digest, order.identity)
                )
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
    """Cancels a placed order and releases its stock."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

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
        return OrderDTO.from_domain(order)
