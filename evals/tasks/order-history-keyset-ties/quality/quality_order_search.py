"""Quality probes for the order search: properties of a keyset walk the ticket leaves implicit."""

import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

JSON = dict[str, Any]
BASE = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = BASE

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def running(settings: Settings, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


@contextmanager
def process_timezone(tz: str) -> Iterator[None]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


async def seed(client: httpx.AsyncClient, clock: Clock) -> dict[int, tuple[datetime, int]]:
    """18 orders over four instants (ties, microseconds apart); id -> (placed_at, total cents)."""
    customer = await client.post("/customers", json={"email": "q@example.com", "name": "Q"})
    assert customer.status_code == 201, customer.text
    product = await client.post(
        "/products", json={"sku": "Q", "name": "Q", "price": "2.50", "currency": "EUR"}
    )
    assert product.status_code == 201, product.text
    product_id = product.json()["id"]
    assert (await client.post(f"/stock/{product_id}", json={"quantity": 10_000})).is_success
    instants = [BASE, BASE + timedelta(microseconds=1), BASE + timedelta(seconds=1), BASE]
    orders: dict[int, tuple[datetime, int]] = {}
    for n in range(18):
        clock.now = instants[n % 4] - timedelta(hours=n % 3)
        quantity = 1 + n % 3
        body = {
            "customer_id": customer.json()["id"],
            "lines": [{"product_id": product_id, "quantity": quantity}],
        }
        response = await client.post("/orders", json=body)
        assert response.status_code == 201, response.text
        orders[response.json()["id"]] = (clock.now, 250 * quantity)
    return orders


async def page(client: httpx.AsyncClient, **params: Any) -> JSON:
    response = await client.get("/orders", params=params)
    assert response.status_code == 200, response.text
    body: JSON = response.json()
    return body


async def walk(client: httpx.AsyncClient, limit: int, sort: str) -> list[int]:
    ids: list[int] = []
    cursor: str | None = None
    for _ in range(100):
        query: JSON = {"limit": limit, "sort": sort}
        body = await page(client, **query | ({} if cursor is None else {"cursor": cursor}))
        ids.extend(item["id"] for item in body["items"])
        assert len(ids) == len(set(ids)), f"orders returned twice: {ids}"
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("the walk does not end")


def delete_order(settings: Settings, order_id: int) -> None:
    """What the retention job does to an order whose data must be erased."""
    connection = sqlite3.connect(settings.database_url.split(":///", 1)[1])
    try:
        connection.execute("DELETE FROM order_lines WHERE order_id = ?", (order_id,))
        connection.execute("DELETE FROM orders WHERE id = ?", (order_id,))
        connection.commit()
    finally:
        connection.close()


async def test_walk_continues_after_the_last_order_seen_is_deleted(settings: Settings) -> None:
    """A cursor holds the last row's sort key, not a reference to a row that may disappear."""
    clock = Clock()
    async with running(settings, clock) as client:
        orders = await seed(client, clock)
        newest = sorted(orders, key=lambda i: (orders[i][0], i), reverse=True)
        largest = sorted(orders, key=lambda i: (-orders[i][1], i))
        for sort, expected, limit in (("newest", newest, 4), ("largest", largest, 3)):
            first = await page(client, limit=limit, sort=sort)
            assert [item["id"] for item in first["items"]] == expected[:limit]
            anchor = expected[limit - 1]
            delete_order(settings, anchor)
            rest: list[int] = []
            cursor = first["next_cursor"]
            while cursor is not None:
                body = await page(client, limit=limit, sort=sort, cursor=cursor)
                rest.extend(item["id"] for item in body["items"])
                cursor = body["next_cursor"]
            remaining = [i for i in expected[limit:] if i in orders]
            assert rest == remaining, f"{sort}: the walk lost its place after a deletion"
            del orders[anchor]
            newest.remove(anchor)
            largest.remove(anchor)


async def test_walk_is_the_same_whatever_the_host_timezone(settings: Settings) -> None:
    """Timestamps in cursors are instants: a server outside UTC pages exactly like one in UTC."""
    clock = Clock()
    with process_timezone("EST+5"):
        async with running(settings, clock) as client:
            orders = await seed(client, clock)
            newest = sorted(orders, key=lambda i: (orders[i][0], i), reverse=True)
            for limit in (1, 3, 4):
                assert await walk(client, limit, "newest") == newest, f"limit={limit}"
