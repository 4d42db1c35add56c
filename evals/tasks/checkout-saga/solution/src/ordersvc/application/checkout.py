"""Checkout: a saga of local transactions around the external payment, with compensation."""

from ordersvc.application.catalog import require_stock
from ordersvc.application.dto import OrderDTO
from ordersvc.application.ports import PaymentDeclined, PaymentGateway, PaymentGatewayError
from ordersvc.application.unit_of_work import AbstractUnitOfWork, UnitOfWorkFactory
from ordersvc.domain.errors import OrderNotFound
from ordersvc.domain.order import Order


class CheckoutOrder:
    """1. claim the order (payment pending) and commit; 2. charge, outside any transaction;
    3a. mark it paid, or 3b. compensate: cancel it and release its stock, then re-raise.

    Claiming first means a second checkout or a cancellation cannot run while the charge is in
    flight. An unexpected error from the gateway leaves the order pending for reconciliation:
    the charge may or may not have happened.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, gateway: PaymentGateway) -> None:
        self._uow_factory = uow_factory
        self._gateway = gateway

    async def execute(self, order_id: int) -> OrderDTO:
        async with self._uow_factory() as uow:
            order = await _require_order(uow, order_id)
            order.start_payment()
            await uow.commit()
        total = order.total
        try:
            reference = await self._gateway.charge(
                order_id=order_id, amount=total.amount, currency=total.currency
            )
        except (PaymentDeclined, PaymentGatewayError):
            await self._compensate(order_id)
            raise
        async with self._uow_factory() as uow:
            order = await _require_order(uow, order_id)
            order.mark_paid(reference)
            await uow.commit()
        return OrderDTO.from_domain(order)

    async def _compensate(self, order_id: int) -> None:
        """Undo the placement in one transaction: cancel the order, release every line's stock."""
        async with self._uow_factory() as uow:
            order = await _require_order(uow, order_id)
            order.abandon_payment()
            for line in order.lines:
                stock = await require_stock(uow, line.product_id)
                stock.release(line.quantity, order_id=order_id)
            await uow.commit()


async def _require_order(uow: AbstractUnitOfWork, order_id: int) -> Order:
    order = await uow.orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order
