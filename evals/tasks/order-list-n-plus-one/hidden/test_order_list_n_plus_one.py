"""Hidden tests: a customer's order list costs a constant number of SQL statements."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def _count_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def _customer(client: httpx.AsyncClient, email: str) -> int:
    response = await client.post("/customers", json={"email": email, "name": "N"})
    assert response.status_code == 201, response.text
    customer_id: int = response.json()["id"]
    return customer_id


async def _products(client: httpx.AsyncClient) -> list[int]:
    ids: list[int] = []
    for sku, price in (("A", "2.50"), ("B", "0.99"), ("C", "10.00")):
        response = await client.post(
            "/products", json={"sku": sku, "name": sku, "price": price, "currency": "EUR"}
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
        stocked = await client.post(f"/stock/{ids[-1]}", json={"quantity": 1000})
        assert stocked.status_code == 200
    return ids


async def _place_orders(
    client: httpx.AsyncClient, customer_id: int, products: list[int], count: int
) -> list[Any]:
    placed: list[Any] = []
    for n in range(count):
        lines = [
            {"product_id": product_id, "quantity": n + k + 1}
            for k, product_id in enumerate(products[: 1 + n % 3])
        ]
        response = await client.post("/orders", json={"customer_id": customer_id, "lines": lines})
        assert response.status_code == 201, response.text
        placed.append(response.json())
    return placed


async def _listed(client: httpx.AsyncClient, customer_id: int) -> tuple[Any, int]:
    with _count_statements() as statements:
        response = await client.get(f"/customers/{customer_id}/orders")
    assert response.status_code == 200, response.text
    return response.json(), len(statements)


async def test_statement_count_does_not_grow_with_orders(client: httpx.AsyncClient) -> None:
    products = await _products(client)
    few = await _customer(client, "few@example.com")
    many = await _customer(client, "many@example.com")
    few_orders = await _place_orders(client, few, products, 1)
    many_orders = await _place_orders(client, many, products, 20)
    cancelled = await client.post(f"/orders/{many_orders[3]['id']}/cancel")
    assert cancelled.status_code == 200
    many_orders[3] = cancelled.json()

    few_listed, few_statements = await _listed(client, few)
    many_listed, many_statements = await _listed(client, many)

    assert few_listed == few_orders
    assert many_listed == many_orders
    assert 1 <= few_statements <= 4
    assert many_statements == few_statements


async def test_same_json_as_the_order_endpoint(client: httpx.AsyncClient) -> None:
    products = await _products(client)
    customer = await _customer(client, "same@example.com")
    other = await _customer(client, "other@example.com")
    await _place_orders(client, other, products, 2)
    placed = await _place_orders(client, customer, products, 4)

    listed, _ = await _listed(client, customer)

    assert [order["id"] for order in listed] == [order["id"] for order in placed]
    for order in listed:
        assert (await client.get(f"/orders/{order['id']}")).json() == order
    quiet = await _customer(client, "quiet@example.com")
    assert (await _listed(client, quiet))[0] == []
    missing = await client.get("/customers/999/orders")
    assert missing.status_code == 404
    assert missing.json()["code"] == "customer_not_found"
