from typing import Any

import httpx
import pytest

JSON = dict[str, Any]

PEN = {"id": 1, "sku": "AB-1", "name": "Pen", "price": "12.50", "currency": "EUR"}
CUP = {"id": 2, "sku": "B", "name": "Cup", "price": "3.00", "currency": "USD"}


async def import_two(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        "/catalogue/import",
        json={
            "products": [
                {"sku": " ab-1 ", "name": " Pen ", "price": "12.5"},
                {"sku": "b", "name": "Cup", "price": 3, "currency": "usd"},
            ]
        },
    )


async def test_import_returns_the_created_products(client: httpx.AsyncClient) -> None:
    response = await import_two(client)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"count": 2, "products": [PEN, CUP]}


async def test_imported_products_are_regular_products(client: httpx.AsyncClient) -> None:
    assert (await import_two(client)).status_code == 201
    product = await client.get("/products/1")
    assert product.json() == PEN


async def test_export_lists_the_catalogue(client: httpx.AsyncClient) -> None:
    empty = await client.get("/catalogue/export")
    assert empty.status_code == 200
    assert empty.json() == {"count": 0, "products": []}

    assert (await import_two(client)).status_code == 201
    created = await client.post(
        "/products", json={"sku": "C-9", "name": "Bag", "price": "0.99", "currency": "EUR"}
    )
    assert created.status_code == 201
    exported = await client.get("/catalogue/export")
    assert exported.status_code == 200
    assert exported.json() == {
        "count": 3,
        "products": [
            PEN,
            CUP,
            {"id": 3, "sku": "C-9", "name": "Bag", "price": "0.99", "currency": "EUR"},
        ],
    }


async def test_unknown_fields_are_ignored(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/catalogue/import",
        json={
            "products": [{"sku": "x-1", "name": "Pen", "price": "1", "colour": "red"}],
            "source": "erp",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["products"][0]["price"] == "1.00"


@pytest.mark.parametrize(
    "item",
    [
        {"sku": "A", "name": "Pen", "price": "0"},
        {"sku": "A", "name": "Pen", "price": "-1.00"},
        {"sku": "A", "name": "Pen", "price": "1.234"},
        {"sku": "A", "name": "Pen", "price": "abc"},
        {"sku": "  ", "name": "Pen", "price": "1.00"},
        {"sku": "A", "name": "   ", "price": "1.00"},
        {"sku": "A", "name": "Pen", "price": "1.00", "currency": "EURO"},
        {"sku": "A", "name": "Pen", "price": "1.00", "currency": "E1R"},
        {"name": "Pen", "price": "1.00"},
        {"sku": "A", "price": "1.00"},
    ],
)
async def test_invalid_items_are_422(client: httpx.AsyncClient, item: JSON) -> None:
    response = await client.post("/catalogue/import", json={"products": [item]})
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)
    assert (await client.get("/catalogue/export")).json() == {"count": 0, "products": []}


async def test_a_body_without_products_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/catalogue/import", json={"items": []})
    assert response.status_code == 422


async def test_duplicate_sku_is_409(client: httpx.AsyncClient) -> None:
    assert (await import_two(client)).status_code == 201
    again = await client.post(
        "/catalogue/import", json={"products": [{"sku": "AB-1", "name": "Pen", "price": "1"}]}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_sku"
