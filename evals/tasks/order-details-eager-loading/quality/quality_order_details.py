"""Quality probes for order details: what a details read model must also get right."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def rows_read() -> Iterator[list[int]]:
    """Rows returned by each SQL statement executed while active."""
    rows: list[int] = []

    def after(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        buffered = getattr(cursor, "_rows", None)
        assert buffered is not None, "cannot count the rows of this driver's cursor"
        rows.append(len(buffered))

    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield rows
    finally:
        event.remove(Engine, "after_cursor_execute", after)


async def shop(client: httpx.AsyncClient, products: int) -> tuple[int, list[int]]:
    response = await client.post("/customers", json={"email": "q@example.com", "name": "Q"})
    assert response.status_code == 201, response.text
    ids: list[int] = []
    for n in range(products):
        created = await client.post(
            "/products",
            json={"sku": f"Q-{n}", "name": f"Q {n}", "price": "2.00", "currency": "EUR"},
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
        assert (await client.post(f"/stock/{ids[-1]}", json={"quantity": 10_000})).is_success
    customer_id: int = response.json()["id"]
    return customer_id, ids


async def place(client: httpx.AsyncClient, customer_id: int, lines: list[tuple[int, int]]) -> int:
    body = {
        "customer_id": customer_id,
        "lines": [{"product_id": p, "quantity": q} for p, q in lines],
    }
    response = await client.post("/orders", json=body)
    assert response.status_code == 201, response.text
    order_id: int = response.json()["id"]
    return order_id


async def test_status_filter_is_applied_by_the_database(client: httpx.AsyncClient) -> None:
    """Filtering 2 cancelled orders out of 30 must not read the other 28 and their lines."""
    customer_id, products = await shop(client, 5)
    orders = [
        await place(client, customer_id, [(p, 1 + n % 3) for p in products[: 1 + n % 5]])
        for n in range(30)
    ]
    cancelled = [orders[4], orders[19]]
    for order_id in cancelled:
        assert (await client.post(f"/orders/{order_id}/cancel")).status_code == 200

    path = f"/customers/{customer_id}/orders/details?status=cancelled"
    with rows_read() as rows:
        response = await client.get(path)
    assert response.status_code == 200, response.text
    listed = response.json()
    assert [order["id"] for order in listed] == cancelled
    matching_lines = sum(len(order["lines"]) for order in listed)
    # the customer, the matching orders and their lines (with products joined or selected)
    budget = 1 + len(cancelled) + 2 * matching_lines
    assert sum(rows) <= budget, f"{sum(rows)} rows read for {len(cancelled)} matching orders"


async def test_details_are_never_stale_after_a_write(client: httpx.AsyncClient) -> None:
    """After a price change or a cancellation, the next read shows it."""
    customer_id, products = await shop(client, 2)
    order_id = await place(client, customer_id, [(products[0], 1), (products[1], 2)])
    before = await client.get(f"/orders/{order_id}/details")
    assert before.status_code == 200, before.text
    assert [line["product"]["price"] for line in before.json()["lines"]] == ["2.00", "2.00"]

    repriced = await client.put(
        f"/products/{products[1]}/price", json={"price": "3.50", "currency": "EUR"}
    )
    assert repriced.status_code == 200, repriced.text
    after_price = (await client.get(f"/orders/{order_id}/details")).json()
    assert [line["product"]["price"] for line in after_price["lines"]] == ["2.00", "3.50"]
    assert [line["unit_price"] for line in after_price["lines"]] == ["2.00", "2.00"]

    assert (await client.post(f"/orders/{order_id}/cancel")).status_code == 200
    after_cancel = (await client.get(f"/orders/{order_id}/details")).json()
    assert after_cancel["status"] == "cancelled"
