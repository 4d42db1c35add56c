"""Quality probes: retries racing each other, and retries after the stock has run out."""

import asyncio
from typing import Any

import httpx

JSON = dict[str, Any]


async def _seed(client: httpx.AsyncClient, stock: int) -> tuple[int, int]:
    response = await client.post("/customers", json={"email": "ann@example.com", "name": "Ann"})
    assert response.status_code == 201, response.text
    customer_id: int = response.json()["id"]
    response = await client.post(
        "/products", json={"sku": "W", "name": "Widget", "price": "12.50", "currency": "EUR"}
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    assert (await client.post(f"/stock/{product_id}", json={"quantity": stock})).is_success
    return customer_id, product_id


def _body(customer_id: int, product_id: int, qty: int) -> JSON:
    return {"customer_id": customer_id, "lines": [{"product_id": product_id, "quantity": qty}]}


async def _stock(client: httpx.AsyncClient, product_id: int) -> int:
    quantity: int = (await client.get(f"/stock/{product_id}")).json()["quantity"]
    return quantity


async def test_concurrent_retries_with_one_key_all_get_the_first_order(
    client: httpx.AsyncClient,
) -> None:
    """The app's retries overlap the original: each is answered 201 with the one order placed."""
    ann, widget = await _seed(client, stock=10)
    headers = {"Idempotency-Key": "key-1"}
    responses = await asyncio.gather(
        *(client.post("/orders", json=_body(ann, widget, 1), headers=headers) for _ in range(4))
    )

    statuses = [response.status_code for response in responses]
    assert statuses == [201] * 4, [response.text for response in responses]
    assert len({response.json()["id"] for response in responses}) == 1
    assert await _stock(client, widget) == 9


async def test_retry_is_replayed_after_the_stock_ran_out(client: httpx.AsyncClient) -> None:
    """A retry of an order that took the last units replays it; it is not placed (and refused)
    again."""
    ann, widget = await _seed(client, stock=2)
    headers = {"Idempotency-Key": "key-1"}
    first = await client.post("/orders", json=_body(ann, widget, 2), headers=headers)
    assert first.status_code == 201, first.text

    retry = await client.post("/orders", json=_body(ann, widget, 2), headers=headers)

    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert await _stock(client, widget) == 0
