"""Payment gateway adapters."""

from decimal import Decimal

from ordersvc.application.ports import PaymentGatewayError


class UnconfiguredPaymentGateway:
    """Used when the composition root is given no gateway: every charge fails, nothing is paid."""

    async def charge(self, *, order_id: int, amount: Decimal, currency: str) -> str:
        raise PaymentGatewayError("no payment gateway is configured")
