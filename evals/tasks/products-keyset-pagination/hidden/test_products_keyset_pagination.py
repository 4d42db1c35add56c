import base64
import sqlite3
from typing import Any

import httpx
import pytest

from ordersvc.config import Settings

JSON = dict[str, Any]


async def make_products(client: httpx.AsyncClient, count: int) -> list[JSON]:
    created: list[JSON] = []
    for n in range(1, count + 1):
        response = await client.post(
            "/products",
            json={"sku": f"SKU-{n}", "name": f"Widget {n}", "price": "1.50", "currency": "EUR"},
        )
        assert response.status_code == 201, response.text
        created.append(response.json())
    return created


async def get_page(client: httpx.AsyncClient, **params: Any) -> JSON:
    response = await client.get("/products/page", params=params)
    assert response.status_code == 200, response.text
    body: JSON = response.json()
    assert set(body) == {"items", "next_cursor"}
    return body


def ids(page: JSON) -> list[int]:
    return [item["id"] for item in page["items"]]


def db_path(settings: Settings) -> str:
    return settings.database_url.split(":///", 1)[1]


def run_sql(settings: Settings, sql: str, *args: object) -> None:
    connection = sqlite3.connect(db_path(settings))
    try:
        connection.execute(sql, args)
        connection.commit()
    finally:
        connection.close()


async def test_empty_catalogue(client: httpx.AsyncClient) -> None:
    assert await get_page(client) == {"items": [], "next_cursor": None}


async def test_walks_all_pages_in_id_order(client: httpx.AsyncClient) -> None:
    products = await make_products(client, 5)

    first = await get_page(client, limit=2)
    assert first["items"] == products[:2]
    assert isinstance(first["next_cursor"], str)
    second = await get_page(client, limit=2, after=first["next_cursor"])
    assert second["items"] == products[2:4]
    third = await get_page(client, limit=2, after=second["next_cursor"])
    assert third == {"items": products[4:], "next_cursor": None}


async def test_full_last_page_has_no_next_cursor(client: httpx.AsyncClient) -> None:
    products = await make_products(client, 4)
    first = await get_page(client, limit=2)
    last = await get_page(client, limit=2, after=first["next_cursor"])
    assert last == {"items": products[2:], "next_cursor": None}


async def test_default_limit_is_20(client: httpx.AsyncClient) -> None:
    await make_products(client, 23)
    first = await get_page(client)
    assert ids(first) == list(range(1, 21))
    rest = await get_page(client, after=first["next_cursor"])
    assert ids(rest) == [21, 22, 23]
    assert rest["next_cursor"] is None
    everything = await get_page(client, limit=100)
    assert ids(everything) == list(range(1, 24))
    assert everything["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "-1", "101", "1000", "ten"])
async def test_limit_out_of_range_is_422(client: httpx.AsyncClient, limit: str) -> None:
    await make_products(client, 2)
    response = await client.get("/products/page", params={"limit": limit})
    assert response.status_code == 422


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor", "%%%", "!!", b64(b'{"id": "x"}'), b64(b"[1, 2]"), b64(b"\xff\xfe\x00")],
)
async def test_invalid_cursor_is_422(client: httpx.AsyncClient, cursor: str) -> None:
    await make_products(client, 3)
    response = await client.get("/products/page", params={"after": cursor, "limit": 2})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_cursor"


async def test_rows_deleted_between_pages_are_not_skipped(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_products(client, 6)
    first = await get_page(client, limit=3)
    assert ids(first) == [1, 2, 3]

    run_sql(settings, "DELETE FROM stock WHERE product_id = ?", 2)
    run_sql(settings, "DELETE FROM products WHERE id = ?", 2)

    second = await get_page(client, limit=3, after=first["next_cursor"])
    assert ids(second) == [4, 5, 6]


async def test_rows_inserted_between_pages_are_not_repeated(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_products(client, 6)
    run_sql(settings, "DELETE FROM stock WHERE product_id = ?", 2)
    run_sql(settings, "DELETE FROM products WHERE id = ?", 2)
    first = await get_page(client, limit=2)
    assert ids(first) == [1, 3]

    run_sql(
        settings,
        "INSERT INTO products (id, sku, name, price_cents, currency) VALUES (?, ?, ?, ?, ?)",
        2,
        "LATE-1",
        "Late",
        100,
        "EUR",
    )

    second = await get_page(client, limit=2, after=first["next_cursor"])
    assert ids(second) == [4, 5]
    third = await get_page(client, limit=2, after=second["next_cursor"])
    assert third["items"][0]["id"] == 6
    assert third["next_cursor"] is None


async def test_new_products_appear_on_later_pages(client: httpx.AsyncClient) -> None:
    await make_products(client, 3)
    first = await get_page(client, limit=2)
    await client.post(
        "/products", json={"sku": "NEW-1", "name": "New", "price": "2.00", "currency": "EUR"}
    )
    second = await get_page(client, limit=2, after=first["next_cursor"])
    assert ids(second) == [3, 4]
    assert second["next_cursor"] is None


async def test_old_list_endpoint_is_unchanged(client: httpx.AsyncClient) -> None:
    products = await make_products(client, 3)
    assert (await client.get("/products")).json() == products
    assert (await client.get("/products/2")).json() == products[1]
