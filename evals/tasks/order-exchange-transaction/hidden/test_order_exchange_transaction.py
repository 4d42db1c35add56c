"""Hidden tests: POST /orders/{id}/exchange moves a line to another product atomically."""

from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

JSON = dict[str, Any]


async def _customer(client: httpx.AsyncClient) -> int:
    response = await client.post("/customers", json={"email": "ex@example.com", "name": "Ex"})
    assert response.status_code == 201, response.text
    customer_id: int = response.json()["id"]
    return customer_id


async def _product(client: httpx.AsyncClient, sku: str, price: str, stock: int) -> int:
    response = await client.post(
        "/products", json={"sku": sku, "name": sku.title(), "price": price, "currency": "EUR"}
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    if stock:
        added = await client.post(f"/stock/{product_id}", json={"quantity": stock})
        assert added.status_code == 200, added.text
    return product_id


async def _stock(client: httpx.AsyncClient, product_id: int) -> int:
    response = await client.get(f"/stock/{product_id}")
    assert response.status_code == 200, response.text
    value: int = response.json()["quantity"]
    return value


async def _order(client: httpx.AsyncClient, customer_id: int, lines: list[tuple[int, int]]) -> JSON:
    response = await client.post(
        "/orders",
        json={
            "customer_id": customer_id,
            "lines": [{"product_id": p, "quantity": q} for p, q in lines],
        },
    )
    assert response.status_code == 201, response.text
    body: JSON = response.json()
    return body


async def _exchange(
    client: httpx.AsyncClient, order_id: int, from_id: int, to_id: int
) -> httpx.Response:
    return await client.post(
        f"/orders/{order_id}/exchange",
        json={"from_product_id": from_id, "to_product_id": to_id},
    )


async def test_exchange_moves_the_line_and_the_reservation(client: httpx.AsyncClient) -> None:
    customer = await _customer(client)
    widget = await _product(client, "WIDGET", "12.50", 5)
    gadget = await _product(client, "GADGET", "0.99", 5)
    gizmo = await _product(client, "GIZMO", "7.25", 5)
    order = await _order(client, customer, [(widget, 2), (gadget, 1)])

    response = await _exchange(client, order["id"], widget, gizmo)

    assert response.status_code == 200, response.text
    expected = {
        "id": order["id"],
        "customer_id": customer,
        "status": "placed",
        "lines": [
            {"product_id": gizmo, "quantity": 2, "unit_price": "7.25"},
            {"product_id": gadget, "quantity": 1, "unit_price": "0.99"},
        ],
        "total": "15.49",
        "currency": "EUR",
    }
    assert response.json() == expected
    assert (await client.get(f"/orders/{order['id']}")).json() == expected
    assert await _stock(client, widget) == 5
    assert await _stock(client, gadget) == 4
    assert await _stock(client, gizmo) == 3

    back = await _exchange(client, order["id"], gizmo, widget)
    assert back.status_code == 200, back.text
    assert back.json()["lines"][0] == {"product_id": widget, "quantity": 2, "unit_price": "12.50"}
    assert back.json()["total"] == "25.99"
    assert await _stock(client, widget) == 3
    assert await _stock(client, gizmo) == 5


async def test_insufficient_new_stock_changes_nothing(client: httpx.AsyncClient) -> None:
    customer = await _customer(client)
    widget = await _product(client, "WIDGET", "12.50", 5)
    scarce = await _product(client, "SCARCE", "3.00", 1)
    order = await _order(client, customer, [(widget, 2)])

    response = await _exchange(client, order["id"], widget, scarce)

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "insufficient_stock"
    assert set(response.json()) == {"detail", "code"}
    assert (await client.get(f"/orders/{order['id']}")).json() == order
    assert await _stock(client, widget) == 3  # the old reservation is intact
    assert await _stock(client, scarce) == 1

    cancelled = await client.post(f"/orders/{order['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert await _stock(client, widget) == 5
    assert await _stock(client, scarce) == 1


async def test_exchange_errors_leave_everything_unchanged(client: httpx.AsyncClient) -> None:
    customer = await _customer(client)
    widget = await _product(client, "WIDGET", "12.50", 5)
    gadget = await _product(client, "GADGET", "0.99", 5)
    gizmo = await _product(client, "GIZMO", "7.25", 5)
    order = await _order(client, customer, [(widget, 2), (gadget, 1)])

    missing_order = await _exchange(client, 999, widget, gizmo)
    assert missing_order.status_code == 404
    assert missing_order.json()["code"] == "order_not_found"

    missing_product = await _exchange(client, order["id"], widget, 999)
    assert missing_product.status_code == 404
    assert missing_product.json()["code"] == "product_not_found"

    not_on_order = await _exchange(client, order["id"], gizmo, widget)
    assert not_on_order.status_code == 422, not_on_order.text
    already_on_order = await _exchange(client, order["id"], widget, gadget)
    assert already_on_order.status_code == 422, already_on_order.text
    same_product = await _exchange(client, order["id"], widget, widget)
    assert same_product.status_code == 422, same_product.text
    bad_body = await client.post(f"/orders/{order['id']}/exchange", json={"from_product_id": 1})
    assert bad_body.status_code == 422

    assert (await client.get(f"/orders/{order['id']}")).json() == order
    assert [await _stock(client, p) for p in (widget, gadget, gizmo)] == [3, 4, 5]

    assert (await client.post(f"/orders/{order['id']}/cancel")).status_code == 200
    after_cancel = await _exchange(client, order["id"], widget, gizmo)
    assert after_cancel.status_code == 409
    assert after_cancel.json()["code"] == "invalid_order_state"
    assert [await _stock(client, p) for p in (widget, gadget, gizmo)] == [5, 5, 5]


async def test_exchange_is_committed_before_the_response_is_sent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A client that reads right after it receives the 200 must see the exchange."""
    customer = await _customer(client)
    widget = await _product(client, "WIDGET", "12.50", 5)
    gizmo = await _product(client, "GIZMO", "7.25", 5)
    order = await _order(client, customer, [(widget, 2)])
    seen_when_sent: list[JSON] = []

    async def observing_app(scope: Scope, receive: Receive, send: Send) -> None:
        async def observing_send(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                # The response is complete now: read through the API on a separate request.
                current = await client.get(f"/orders/{order['id']}")
                seen_when_sent.append(current.json())
                gizmo_stock = await client.get(f"/stock/{gizmo}")
                seen_when_sent.append(gizmo_stock.json())
            await send(message)

        await app(scope, receive, observing_send)

    transport = httpx.ASGITransport(app=observing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as observed:
        response = await _exchange(observed, order["id"], widget, gizmo)

    assert response.status_code == 200, response.text
    assert len(seen_when_sent) == 2
    assert seen_when_sent[0] == response.json()
    assert seen_when_sent[0]["lines"][0]["product_id"] == gizmo
    assert seen_when_sent[1] == {"product_id": gizmo, "quantity": 3}
