"""Quality probes: the order list under a concurrent write, and for the biggest accounts."""

import sqlite3
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from ordersvc.config import Settings


async def _customer(client: httpx.AsyncClient, email: str) -> int:
    response = await client.post("/customers", json={"email": email, "name": "N"})
    assert response.status_code == 201, response.text
    customer_id: int = response.json()["id"]
    return customer_id


def _insert_orders(settings: Settings, customer_id: int, product_id: int, count: int) -> None:
    """Orders as an old, busy account has them, written straight into the database."""
    database = make_url(settings.database_url).database
    assert database is not None
    connection = sqlite3.connect(database)
    with connection:
        start = connection.execute("SELECT coalesce(max(id), 0) FROM orders").fetchone()[0]
        ids = range(start + 1, start + count + 1)
        connection.executemany(
            "INSERT INTO orders (id, customer_id, status, currency) VALUES (?, ?, 'placed', 'EUR')",
            [(order_id, customer_id) for order_id in ids],
        )
        connection.executemany(
            "INSERT INTO order_lines (order_id, product_id, quantity, unit_price_cents)"
            " VALUES (?, ?, 1, 250)",
            [(order_id, product_id) for order_id in ids],
        )
    connection.close()


async def _product(client: httpx.AsyncClient) -> int:
    response = await client.post(
        "/products", json={"sku": "A", "name": "A", "price": "2.50", "currency": "EUR"}
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    return product_id


async def test_an_order_placed_while_the_list_is_read_does_not_break_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Another instance commits an order for the customer while the list is being read (just
    before the first statement that reads order lines): the list is still a consistent 200."""
    product_id = await _product(client)
    customer_id = await _customer(client, "busy@example.com")
    _insert_orders(settings, customer_id, product_id, 3)
    injected: list[str] = []

    def concurrent_order(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if not injected and "order_lines" in statement:
            injected.append(statement)
            _insert_orders(settings, customer_id, product_id, 1)

    event.listen(Engine, "before_cursor_execute", concurrent_order)
    try:
        response = await client.get(f"/customers/{customer_id}/orders")
    finally:
        event.remove(Engine, "before_cursor_execute", concurrent_order)

    assert injected
    assert response.status_code == 200, response.text[:300]
    listed = response.json()
    assert [order["id"] for order in listed][:3] == [1, 2, 3]
    assert all(len(order["lines"]) == 1 for order in listed)


async def test_no_statement_binds_a_parameter_per_order(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A 1 500-order account: no statement carries a bind parameter per order (Oracle caps IN
    lists at 1 000 items, SQL Server at 2 100 parameters, older SQLite builds at 999)."""
    product_id = await _product(client)
    big = await _customer(client, "big@example.com")
    _insert_orders(settings, big, product_id, 1_500)
    sizes: list[int] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        sizes.append(len(parameters or ()))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        response = await client.get(f"/customers/{big}/orders")
    finally:
        event.remove(Engine, "before_cursor_execute", record)

    assert response.status_code == 200, response.text[:300]
    assert len(response.json()) == 1_500
    assert max(sizes) <= 999, sizes
