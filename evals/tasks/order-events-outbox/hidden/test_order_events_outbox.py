"""Hidden tests: order integration events go through a transactional outbox and a relay."""

import json
from typing import Any

import httpx
from fastapi import FastAPI

from ordersvc.application.use_cases import UseCases
from ordersvc.domain.events import IntegrationEvent, StockReleased, StockReserved
from ordersvc.infrastructure.event_bus import InProcessEventBus


def _bus(app: FastAPI) -> InProcessEventBus:
    bus = app.state.event_bus
    assert isinstance(bus, InProcessEventBus)
    return bus


def _use_cases(app: FastAPI) -> UseCases:
    use_cases = app.state.use_cases
    assert isinstance(use_cases, UseCases)
    return use_cases


def _record(app: FastAPI) -> list[IntegrationEvent]:
    received: list[IntegrationEvent] = []

    async def handler(event: IntegrationEvent) -> None:
        received.append(event)

    _bus(app).subscribe(IntegrationEvent, handler)
    return received


def _payload(event: IntegrationEvent) -> Any:
    return json.loads(event.payload)


async def _seed(client: httpx.AsyncClient, stock: int = 5) -> tuple[int, int]:
    customer = await client.post("/customers", json={"email": "ob@example.com", "name": "Ob"})
    assert customer.status_code == 201, customer.text
    product = await client.post(
        "/products", json={"sku": "W-1", "name": "Widget", "price": "12.50", "currency": "EUR"}
    )
    assert product.status_code == 201, product.text
    product_id: int = product.json()["id"]
    added = await client.post(f"/stock/{product_id}", json={"quantity": stock})
    assert added.status_code == 200, added.text
    customer_id: int = customer.json()["id"]
    return customer_id, product_id


async def _place(client: httpx.AsyncClient, customer_id: int, product_id: int, qty: int) -> Any:
    return await client.post(
        "/orders",
        json={"customer_id": customer_id, "lines": [{"product_id": product_id, "quantity": qty}]},
    )


async def test_placed_order_is_relayed_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    received = _record(app)
    customer_id, product_id = await _seed(client)

    response = await _place(client, customer_id, product_id, 2)
    assert response.status_code == 201, response.text
    order_id = response.json()["id"]
    assert received == []  # nothing leaves the service before the relay runs

    assert await _use_cases(app).relay_outbox.execute() == 1
    assert len(received) == 1
    event = received[0]
    assert type(event) is IntegrationEvent
    assert event.name == "order.placed"
    assert _payload(event) == {
        "order_id": order_id,
        "customer_id": customer_id,
        "total": "25.00",
        "currency": "EUR",
    }
    assert isinstance(event.message_id, str)
    assert event.message_id

    assert await _use_cases(app).relay_outbox.execute() == 0
    assert len(received) == 1


async def test_cancellation_is_relayed_in_order(app: FastAPI, client: httpx.AsyncClient) -> None:
    received = _record(app)
    customer_id, product_id = await _seed(client)
    first = (await _place(client, customer_id, product_id, 1)).json()["id"]
    second = (await _place(client, customer_id, product_id, 1)).json()["id"]
    cancelled = await client.post(f"/orders/{first}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert received == []

    assert await _use_cases(app).relay_outbox.execute() == 3

    assert [(event.name, _payload(event)["order_id"]) for event in received] == [
        ("order.placed", first),
        ("order.placed", second),
        ("order.cancelled", first),
    ]
    assert _payload(received[2]) == {"order_id": first}
    assert len({event.message_id for event in received}) == 3

    again = await client.post(f"/orders/{first}/cancel")
    assert again.status_code == 409
    assert await _use_cases(app).relay_outbox.execute() == 0
    assert len(received) == 3


async def test_failed_placement_writes_no_message(app: FastAPI, client: httpx.AsyncClient) -> None:
    received = _record(app)
    customer_id, product_id = await _seed(client, stock=1)

    assert (await _place(client, customer_id, product_id, 2)).status_code == 409
    assert (await _place(client, 999, product_id, 1)).status_code == 404
    assert (await client.post("/orders/42/cancel")).status_code == 404

    assert await _use_cases(app).relay_outbox.execute() == 0
    assert received == []


async def test_message_is_committed_together_with_the_order(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The moment the order change is committed, its message is already in the outbox."""
    received = _record(app)
    relayed_right_after_commit: list[int] = []

    async def relay_now(event: StockReserved | StockReleased) -> None:
        # Stock events are published right after the order's transaction commits.
        relayed_right_after_commit.append(await _use_cases(app).relay_outbox.execute())

    _bus(app).subscribe(StockReserved, relay_now)
    _bus(app).subscribe(StockReleased, relay_now)
    customer_id, product_id = await _seed(client)

    order_id = (await _place(client, customer_id, product_id, 1)).json()["id"]
    assert (await client.post(f"/orders/{order_id}/cancel")).status_code == 200

    assert relayed_right_after_commit == [1, 1]
    assert [event.name for event in received] == ["order.placed", "order.cancelled"]
    assert await _use_cases(app).relay_outbox.execute() == 0
