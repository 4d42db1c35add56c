"""Quality probes: imports refuse what the catalogue cannot store, and make ordinary products."""

from typing import Any

import httpx
from fastapi import FastAPI

JSON = dict[str, Any]


async def import_items(client: httpx.AsyncClient, *items: JSON) -> httpx.Response:
    return await client.post("/catalogue/import", json={"products": list(items)})


async def test_values_the_catalogue_cannot_store_are_422(app: FastAPI) -> None:
    # POST /products allows skus of up to 64 characters, names of up to 200 and prices below
    # 10^10, which is what the catalogue stores; larger values overflow or get truncated there.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        for item in (
            {"sku": "A-1", "name": "Pen", "price": "1e30"},
            {"sku": "A-1", "name": "Pen", "price": "100000000000000000000.00"},
            {"sku": "S" * 65, "name": "Pen", "price": "1.00"},
            {"sku": "A-1", "name": "N" * 201, "price": "1.00"},
        ):
            response = await import_items(client, item)
            assert response.status_code == 422, (item, response.status_code, response.text[:200])
            assert isinstance(response.json()["detail"], list)
        assert (await client.get("/catalogue/export")).json() == {"count": 0, "products": []}


async def test_imported_products_can_be_stocked_and_ordered(client: httpx.AsyncClient) -> None:
    imported = await import_items(client, {"sku": "pen-1", "name": "Pen", "price": "2.50"})
    assert imported.status_code == 201, imported.text
    product_id = imported.json()["products"][0]["id"]

    stock = await client.get(f"/stock/{product_id}")
    assert stock.status_code == 200, "an imported product has no stock record"
    assert stock.json()["quantity"] == 0
    assert (await client.post(f"/stock/{product_id}", json={"quantity": 3})).status_code == 200
    customer = await client.post("/customers", json={"email": "e@example.com", "name": "E"})
    order = await client.post(
        "/orders",
        json={
            "customer_id": customer.json()["id"],
            "lines": [{"product_id": product_id, "quantity": 2}],
        },
    )
    assert order.status_code == 201, order.text
