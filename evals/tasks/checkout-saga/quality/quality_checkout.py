"""Quality probes: the checkout saga under a real race and an unknown payment outcome."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings
from ordersvc.infrastructure.unit_of_work import SqlAlchemyUnitOfWork


class RecordingGateway:
    def __init__(self, failure: BaseException | None = None) -> None:
        self.failure = failure
        self.calls: list[tuple[int, Decimal, str]] = []

    async def charge(self, *, order_id: int, amount: Decimal, currency: str) -> str:
        self.calls.append((order_id, amount, currency))
        if self.failure is not None:
            raise self.failure
        return f"PAY-{order_id}-{len(self.calls)}"


class Rendezvous:
    """Holds the first two commits until both have arrived (both requests have read the order),
    then lets the commits run one after the other (SQLite allows one writer at a time)."""

    def __init__(self) -> None:
        self.arrived = 0
        self.both = asyncio.Event()
        self.one_at_a_time = asyncio.Lock()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived > 2:
            return
        if self.arrived == 2:
            self.both.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.both.wait(), 2)


@contextlib.contextmanager
def commits_meet(monkeypatch: pytest.MonkeyPatch) -> Iterator[Rendezvous]:
    rendezvous = Rendezvous()
    original = SqlAlchemyUnitOfWork.commit

    async def commit(self: SqlAlchemyUnitOfWork) -> None:
        await rendezvous.wait()
        async with rendezvous.one_at_a_time:
            await original(self)

    with monkeypatch.context() as patch:
        patch.setattr(SqlAlchemyUnitOfWork, "commit", commit)
        yield rendezvous


@asynccontextmanager
async def service(
    settings: Settings, gateway: RecordingGateway
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, payment_gateway=gateway)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


async def placed_order(client: httpx.AsyncClient) -> tuple[dict[str, Any], int]:
    """An order of 2 x 12.50 EUR; the product starts with 5 in stock."""
    customer = await client.post("/customers", json={"email": "q@example.com", "name": "Q"})
    assert customer.status_code == 201, customer.text
    product = await client.post(
        "/products", json={"sku": "WIDGET", "name": "Widget", "price": "12.50", "currency": "EUR"}
    )
    assert product.status_code == 201, product.text
    product_id: int = product.json()["id"]
    assert (await client.post(f"/stock/{product_id}", json={"quantity": 5})).status_code == 200
    order = await client.post(
        "/orders",
        json={
            "customer_id": customer.json()["id"],
            "lines": [{"product_id": product_id, "quantity": 2}],
        },
    )
    assert order.status_code == 201, order.text
    body: dict[str, Any] = order.json()
    return body, product_id


async def stock_of(client: httpx.AsyncClient, product_id: int) -> int:
    quantity: int = (await client.get(f"/stock/{product_id}")).json()["quantity"]
    return quantity


async def test_simultaneous_checkouts_charge_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = RecordingGateway()
    async with service(settings, gateway) as client:
        order, _ = await placed_order(client)
        with commits_meet(monkeypatch):
            # Both requests read the placed order before either claims it.
            first, second = await asyncio.gather(
                client.post(f"/orders/{order['id']}/checkout"),
                client.post(f"/orders/{order['id']}/checkout"),
            )
        statuses = sorted([first.status_code, second.status_code])
        assert len(gateway.calls) == 1, (
            f"two simultaneous checkouts charged the customer {len(gateway.calls)} times"
        )
        assert statuses == [200, 409], statuses
        assert (await client.get(f"/orders/{order['id']}")).json()["status"] == "paid"


async def test_unknown_charge_outcome_is_not_compensated(settings: Settings) -> None:
    # The adapter let a read timeout through: the charge may or may not have gone through.
    gateway = RecordingGateway(TimeoutError("read timed out after the charge was sent"))
    async with service(settings, gateway) as client:
        order, product_id = await placed_order(client)

        response = await client.post(f"/orders/{order['id']}/checkout")

        assert response.status_code >= 500, response.text
        status = (await client.get(f"/orders/{order['id']}")).json()["status"]
        assert status != "cancelled", "an order that may have been charged was cancelled"
        assert await stock_of(client, product_id) == 3, "the stock of a maybe-paid order was freed"
        retry = await client.post(f"/orders/{order['id']}/checkout")
        cancel = await client.post(f"/orders/{order['id']}/cancel")
        assert (retry.status_code, cancel.status_code) == (409, 409)
        assert len(gateway.calls) == 1
        assert await stock_of(client, product_id) == 3
