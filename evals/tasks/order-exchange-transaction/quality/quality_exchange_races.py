"""Quality probes: exchanges racing other stock changes never oversell or leak stock."""

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ordersvc.infrastructure.unit_of_work import SqlAlchemyUnitOfWork

JSON = dict[str, Any]


class Rendezvous:
    """Holds the first two commits until both have arrived (both requests have read the same
    order and stock), then lets the commits run one after the other (one SQLite writer)."""

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
def commits_meet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    rendezvous = Rendezvous()
    original = SqlAlchemyUnitOfWork.commit

    async def commit(self: SqlAlchemyUnitOfWork) -> None:
        await rendezvous.wait()
        async with rendezvous.one_at_a_time:
            await original(self)

    with monkeypatch.context() as patch:
        patch.setattr(SqlAlchemyUnitOfWork, "commit", commit)
        yield


async def post(client: httpx.AsyncClient, url: str, body: JSON | None = None) -> JSON:
    response = await client.post(url, json=body)
    assert response.status_code in (200, 201), response.text
    result: JSON = response.json()
    return result


async def product(client: httpx.AsyncClient, sku: str, stock: int) -> int:
    created = await post(
        client, "/products", {"sku": sku, "name": sku, "price": "5.00", "currency": "EUR"}
    )
    await post(client, f"/stock/{created['id']}", {"quantity": stock})
    product_id: int = created["id"]
    return product_id


async def order(client: httpx.AsyncClient, customer_id: int, product_id: int) -> int:
    placed = await post(
        client,
        "/orders",
        {"customer_id": customer_id, "lines": [{"product_id": product_id, "quantity": 2}]},
    )
    order_id: int = placed["id"]
    return order_id


async def reserved_plus_stock(
    client: httpx.AsyncClient, order_ids: list[int], product_id: int
) -> int:
    """Units of the product held by placed orders, plus what is left in stock."""
    held = 0
    for order_id in order_ids:
        current = (await client.get(f"/orders/{order_id}")).json()
        if current["status"] == "placed":
            held += sum(
                line["quantity"] for line in current["lines"] if line["product_id"] == product_id
            )
    stock: int = (await client.get(f"/stock/{product_id}")).json()["quantity"]
    return held + stock


@contextlib.asynccontextmanager
async def service(app: FastAPI) -> Any:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


async def test_two_exchanges_cannot_oversell_the_last_units(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with service(app) as client:
        customer = (await post(client, "/customers", {"email": "r@example.com", "name": "R"}))["id"]
        widget = await product(client, "WIDGET", 10)
        scarce = await product(client, "SCARCE", 2)
        orders = [await order(client, customer, widget) for _ in range(2)]

        with commits_meet(monkeypatch):
            # Both requests find 2 units of SCARCE before either saves its reservation.
            results = await asyncio.gather(
                *(
                    client.post(
                        f"/orders/{order_id}/exchange",
                        json={"from_product_id": widget, "to_product_id": scarce},
                    )
                    for order_id in orders
                )
            )

        statuses = sorted(response.status_code for response in results)
        assert await reserved_plus_stock(client, orders, scarce) == 2, (
            f"SCARCE had 2 units; after two racing exchanges ({statuses}) more are promised"
        )
        assert statuses == [200, 409], statuses


async def test_an_exchange_racing_a_cancel_leaks_no_stock(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with service(app) as client:
        customer = (await post(client, "/customers", {"email": "r@example.com", "name": "R"}))["id"]
        widget = await product(client, "WIDGET", 5)
        gizmo = await product(client, "GIZMO", 5)
        order_id = await order(client, customer, widget)

        with commits_meet(monkeypatch):
            # Both requests read the placed order, with its WIDGET line, before either saves.
            exchange, cancel = await asyncio.gather(
                client.post(
                    f"/orders/{order_id}/exchange",
                    json={"from_product_id": widget, "to_product_id": gizmo},
                ),
                client.post(f"/orders/{order_id}/cancel"),
            )

        outcome = (exchange.status_code, cancel.status_code)
        for product_id in (widget, gizmo):
            assert await reserved_plus_stock(client, [order_id], product_id) == 5, (
                f"stock of product {product_id} leaked after an exchange and a cancel raced"
                f" ({outcome})"
            )
        assert sorted(outcome) == [200, 409], outcome
