"""Paying for an order through the external payments provider."""

import uuid

from ordersvc.application.dto import PaymentDTO
from ordersvc.application.ports import PaymentGateway
from ordersvc.application.unit_of_work import AbstractUnitOfWork, UnitOfWorkFactory
from ordersvc.domain.errors import OrderNotFound, PaymentUnavailable
from ordersvc.domain.money import Money
from ordersvc.domain.order import Order


class PayOrder:
    """Charges the order total and marks the order paid.

    The provider is called outside any database transaction: a slow provider must not hold a
    connection (or locks) for the length of its retries.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, payments: PaymentGateway) -> None:
        self._uow_factory = uow_factory
        self._payments = payments

    async def execute(self, order_id: int) -> PaymentDTO:
        async with self._uow_factory() as uow:
            order = await _require_order(uow, order_id)
            order.ensure_payable()
            amount = order.total
        charge_id = await self._payments.charge(
            order_id, amount, idempotency_key=f"order-{order_id}-{uuid.uuid4()}"
        )
        async with self._uow_factory() as uow:
            order = await _require_order(uow, order_id)
            order.mark_paid()
            await uow.commit()
        return PaymentDTO(order_id=order.identity, charge_id=charge_id, status=order.status.value)


class PaymentsNotConfigured:
    """The PaymentGateway of a service started without a payments provider."""

    async def charge(self, order_id: int, amount: Money, *, idempotency_key: str) -> str:
        raise PaymentUnavailable("no payments provider is configured")


async def _require_order(uow: AbstractUnitOfWork, order_id: int) -> Order:
    order = await uow.orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order
