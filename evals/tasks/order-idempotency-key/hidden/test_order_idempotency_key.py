from typing import Any

import httpx
import pytest

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

JSON = dict[str, Any]


async def customer(client: httpx.AsyncClient, email: str) -> int:
    response = await client.post("/customers", json={"email": email, "name": "Ann"})
    assert response.status_code == 201, response.text
    customer_id: int = response.json()["id"]
    return customer_id


async def product(client: httpx.AsyncClient, sku: str, stock: int) -> int:
    response = await client.post(
        "/products", json={"sku": sku, "name": "Widget", "price": "12.50", "currency": "EUR"}
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    if stock:
        assert (await client.post(f"/stock/{product_id}", json={"quantity": stock})).is_success
    return product_id


async def quantity(client: httpx.AsyncClient, product_id: int) -> int:
    value: int = (await client.get(f"/stock/{product_id}")).json()["quantity"]
    return value


def order_body(customer_id: int, product_id: int, qty: int = 2) -> JSON:
    return {"customer_id": customer_id, "lines": [{"product_id": product_id, "quantity": qty}]}


async def place(client: httpx.AsyncClient, body: JSON, key: str | None) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    return await client.post("/orders", json=body, headers=headers)


async def test_retry_with_same_key_returns_the_same_order(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com")
    widget = await product(client, "W", stock=10)

    first = await place(client, order_body(ann, widget), "key-1")
    retry = await place(client, order_body(ann, widget), "key-1")

    assert first.status_code == 201, first.text
    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert await quantity(client, widget) == 8
    assert (await client.get(f"/orders/{first.json()['id'] + 1}")).status_code == 404


async def test_same_key_with_a_different_body_is_422(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com")
    widget = await product(client, "W", stock=10)
    first = await place(client, order_body(ann, widget, qty=2), "key-1")
    assert first.status_code == 201

    reused = await place(client, order_body(ann, widget, qty=3), "key-1")

    assert reused.status_code == 422, reused.text
    assert reused.json()["code"] == "idempotency_key_reused"
    assert isinstance(reused.json()["detail"], str)
    assert await quantity(client, widget) == 8
    assert (await client.get(f"/orders/{first.json()['id'] + 1}")).status_code == 404


async def test_keys_are_scoped_per_customer(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com")
    bob = await customer(client, "bob@example.com")
    widget = await product(client, "W", stock=10)

    anns = await place(client, order_body(ann, widget, qty=1), "shared-key")
    bobs = await place(client, order_body(bob, widget, qty=2), "shared-key")

    assert anns.status_code == 201
    assert bobs.status_code == 201, bobs.text
    assert bobs.json()["id"] != anns.json()["id"]
    assert bobs.json()["customer_id"] == bob
    assert await quantity(client, widget) == 7


async def test_requests_without_a_key_are_not_deduplicated(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com")
    widget = await product(client, "W", stock=10)
    first = await place(client, order_body(ann, widget), None)
    second = await place(client, order_body(ann, widget), None)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert await quantity(client, widget) == 6


async def test_different_keys_place_different_orders(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com")
    widget = await product(client, "W", stock=10)
    first = await place(client, order_body(ann, widget), "key-1")
    second = await place(client, order_body(ann, widget), "key-2")
    assert first.json()["id"] != second.json()["id"]
    assert await quantity(client, widget) == 6


async def test_keys_survive_a_new_app_instance(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ann = await customer(client, "ann@example.com")
    widget = await product(client, "W", stock=10)
    first = await place(client, order_body(ann, widget), "key-1")
    assert first.status_code == 201

    other = create_app(settings)
    async with (
        other.router.lifespan_context(other),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other), base_url="http://test"
        ) as other_client,
    ):
        retry = await place(other_client, order_body(ann, widget), "key-1")
        assert retry.status_code == 201, retry.text
        assert retry.json() == first.json()
        reused = await place(other_client, order_body(ann, widget, qty=5), "key-1")
        assert reused.status_code == 422
        assert await quantity(other_client, widget) == 8


async def test_a_failed_attempt_does_not_consume_the_key(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com")
    widget = await product(client, "W", stock=1)

    failed = await place(client, order_body(ann, widget, qty=2), "key-1")
    assert failed.status_code == 409
    assert (await client.post(f"/stock/{widget}", json={"quantity": 5})).is_success

    succeeded = await place(client, order_body(ann, widget, qty=2), "key-1")
    assert succeeded.status_code == 201, succeeded.text
    again = await place(client, order_body(ann, widget, qty=2), "key-1")
    assert again.json() == succeeded.json()
    assert await quantity(client, widget) == 4


@pytest.mark.parametrize("key", ["", "k" * 256])
async def test_key_length_is_validated(client: httpx.AsyncClient, key: str) -> None:
    ann = await customer(client, "ann@example.com")
    widget = await product(client, "W", stock=10)
    response = await place(client, order_body(ann, widget), key)
    assert response.status_code == 422
    assert await quantity(client, widget) == 10
