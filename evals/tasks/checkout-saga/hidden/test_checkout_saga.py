"""Hidden tests: POST /orders/{id}/checkout charges through the injected gateway or compensates."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx

from ordersvc.application.ports import PaymentDeclined, PaymentGatewayError
from ordersvc.bootstrap import create_app
from ordersvc.config import Settings


class FakeGateway:
    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure
        self.calls: list[tuple[int, Decimal, str]] = []
        self.during_charge: Callable[[], Awaitable[None]] | None = None

    async def charge(self, *, order_id: int, amount: Decimal, currency: str) -> str:
        self.calls.append((order_id, amount, currency))
        if self.during_charge is not None:
            await self.during_charge()
        if self.failure is not None:
            raise self.failure
        return f"PAY-{order_id}"


@asynccontextmanager
async def _client(settings: Settings, gateway: FakeGateway) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, payment_gateway=gateway)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


async def _product(client: httpx.AsyncClient, sku: str, price: str, stock: int) -> int:
    response = await client.post(
        "/products", json={"sku": sku, "name": sku, "price": price, "currency": "EUR"}
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    assert (await client.post(f"/stock/{product_id}", json={"quantity": stock})).status_code == 200
    return product_id


async def _stock(client: httpx.AsyncClient, product_id: int) -> int:
    quantity: int = (await client.get(f"/stock/{product_id}")).json()["quantity"]
    return quantity


async def _placed_order(client: httpx.AsyncClient) -> tuple[dict[str, Any], int, int]:
    """An order of 2 x 12.50 + 1 x 0.99 EUR; both products start with 5 in stock."""
    customer = await client.post("/customers", json={"email": "co@example.com", "name": "Co"})
    assert customer.status_code == 201, customer.text
    widget = await _product(client, "WIDGET", "12.50", 5)
    gadget = await _product(client, "GADGET", "0.99", 5)
    response = await client.post(
        "/orders",
        json={
            "customer_id": customer.json()["id"],
            "lines": [
                {"product_id": widget, "quantity": 2},
                {"product_id": gadget, "quantity": 1},
            ],
        },
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order, widget, gadget


async def test_successful_checkout_marks_the_order_paid(settings: Settings) -> None:
    gateway = FakeGateway()
    async with _client(settings, gateway) as client:
        order, widget, gadget = await _placed_order(client)

        response = await client.post(f"/orders/{order['id']}/checkout")

        assert response.status_code == 200, response.text
        assert response.json() == order | {"status": "paid"}
        assert gateway.calls == [(order["id"], Decimal("25.99"), "EUR")]
        assert (await client.get(f"/orders/{order['id']}")).json()["status"] == "paid"
        assert (await _stock(client, widget), await _stock(client, gadget)) == (3, 4)

        again = await client.post(f"/orders/{order['id']}/checkout")
        assert again.status_code == 409
        assert again.json()["code"] == "invalid_order_state"
        assert len(gateway.calls) == 1
        cancel = await client.post(f"/orders/{order['id']}/cancel")
        assert cancel.status_code == 409
        assert (await _stock(client, widget), await _stock(client, gadget)) == (3, 4)


async def _assert_compensated(
    client: httpx.AsyncClient, gateway: FakeGateway, order_id: int, widget: int, gadget: int
) -> None:
    assert (await client.get(f"/orders/{order_id}")).json()["status"] == "cancelled"
    assert (await _stock(client, widget), await _stock(client, gadget)) == (5, 5)
    retry = await client.post(f"/orders/{order_id}/checkout")
    assert retry.status_code == 409
    assert retry.json()["code"] == "invalid_order_state"
    assert len(gateway.calls) == 1
    assert (await client.post(f"/orders/{order_id}/cancel")).status_code == 409
    assert (await _stock(client, widget), await _stock(client, gadget)) == (5, 5)


async def test_declined_payment_cancels_and_releases_stock(settings: Settings) -> None:
    gateway = FakeGateway(PaymentDeclined("card declined"))
    async with _client(settings, gateway) as client:
        order, widget, gadget = await _placed_order(client)

        response = await client.post(f"/orders/{order['id']}/checkout")

        assert response.status_code == 402, response.text
        body = response.json()
        assert set(body) == {"detail", "code"}
        assert body["code"] == "payment_declined"
        assert isinstance(body["detail"], str)
        await _assert_compensated(client, gateway, order["id"], widget, gadget)


async def test_gateway_failure_cancels_and_releases_stock(settings: Settings) -> None:
    gateway = FakeGateway(PaymentGatewayError("provider timed out"))
    async with _client(settings, gateway) as client:
        order, widget, gadget = await _placed_order(client)

        response = await client.post(f"/orders/{order['id']}/checkout")

        assert response.status_code == 503, response.text
        body = response.json()
        assert set(body) == {"detail", "code"}
        assert body["code"] == "payment_unavailable"
        await _assert_compensated(client, gateway, order["id"], widget, gadget)


async def test_order_is_locked_while_the_payment_is_in_flight(settings: Settings) -> None:
    gateway = FakeGateway()
    during: list[int] = []
    async with _client(settings, gateway) as client:
        order, widget, gadget = await _placed_order(client)

        async def meanwhile() -> None:
            cancel = await client.post(f"/orders/{order['id']}/cancel")
            second = await client.post(f"/orders/{order['id']}/checkout")
            during.extend([cancel.status_code, second.status_code])

        gateway.during_charge = meanwhile
        response = await client.post(f"/orders/{order['id']}/checkout")

        assert during == [409, 409]
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "paid"
        assert len(gateway.calls) == 1
        assert (await _stock(client, widget), await _stock(client, gadget)) == (3, 4)


async def test_checkout_of_unknown_or_cancelled_order(settings: Settings) -> None:
    gateway = FakeGateway()
    async with _client(settings, gateway) as client:
        missing = await client.post("/orders/999/checkout")
        assert missing.status_code == 404
        assert missing.json()["code"] == "order_not_found"

        order, widget, _ = await _placed_order(client)
        assert (await client.post(f"/orders/{order['id']}/cancel")).status_code == 200
        cancelled = await client.post(f"/orders/{order['id']}/checkout")
        assert cancelled.status_code == 409
        assert cancelled.json()["code"] == "invalid_order_state"
        assert gateway.calls == []
        assert await _stock(client, widget) == 5
