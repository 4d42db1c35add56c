"""Quality probes: the order history's cost and its transaction boundary."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool


class DatabaseUsage:
    """SQL statements executed and connections checked out, over every engine and pool."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.checkouts = 0

    def _statement(self, *args: object) -> None:
        self.statements.append(str(args[2]))

    def _checkout(self, *_: object) -> None:
        self.checkouts += 1

    @contextmanager
    def measuring(self) -> Iterator[None]:
        self.statements.clear()
        self.checkouts = 0
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Pool, "checkout", self._checkout)
        try:
            yield
        finally:
            event.remove(Engine, "before_cursor_execute", self._statement)
            event.remove(Pool, "checkout", self._checkout)


async def _customer(client: httpx.AsyncClient, email: str) -> int:
    response = await client.post("/customers", json={"email": email, "name": "C"})
    assert response.status_code == 201, response.text
    customer_id: int = response.json()["id"]
    return customer_id


async def _products(client: httpx.AsyncClient, count: int) -> list[int]:
    ids: list[int] = []
    for n in range(count):
        response = await client.post(
            "/products", json={"sku": f"P-{n}", "name": "P", "price": "1.25", "currency": "EUR"}
        )
        assert response.status_code == 201, response.text
        product_id: int = response.json()["id"]
        assert (await client.post(f"/stock/{product_id}", json={"quantity": 99})).status_code == 200
        ids.append(product_id)
    return ids


async def _orders(client: httpx.AsyncClient, customer_id: int, products: list[int], n: int) -> None:
    for i in range(n):
        lines = [
            {"product_id": p, "quantity": 1 + i % 2} for p in products[: 1 + i % len(products)]
        ]
        response = await client.post("/orders", json={"customer_id": customer_id, "lines": lines})
        assert response.status_code == 201, response.text


async def _history_statements(
    client: httpx.AsyncClient, usage: DatabaseUsage, customer_id: int, expected: int
) -> int:
    with usage.measuring():
        response = await client.get(f"/customers/{customer_id}/orders")
    assert response.status_code == 200, response.text
    assert len(response.json()) == expected
    return len(usage.statements)


async def test_history_query_count_does_not_grow_with_orders(client: httpx.AsyncClient) -> None:
    products = await _products(client, 3)
    small = await _customer(client, "small@example.com")
    large = await _customer(client, "large@example.com")
    await _orders(client, small, products, 1)
    await _orders(client, large, products, 12)
    usage = DatabaseUsage()

    for_one = await _history_statements(client, usage, small, 1)
    for_twelve = await _history_statements(client, usage, large, 12)

    assert for_twelve == for_one, (
        f"{for_one} statements for 1 order but {for_twelve} for 12: the history loads per order"
    )


async def test_history_is_read_in_one_unit_of_work(client: httpx.AsyncClient) -> None:
    products = await _products(client, 2)
    customer = await _customer(client, "one@example.com")
    await _orders(client, customer, products, 2)
    usage = DatabaseUsage()

    with usage.measuring():
        response = await client.get(f"/customers/{customer}/orders")

    assert response.status_code == 200, response.text
    assert usage.checkouts == 1, (
        f"{usage.checkouts} database connections (transactions) for one history read: the customer"
        " check and the listing should be one unit of work"
    )
