from decimal import Decimal

import httpx


async def test_quote_prices_the_basket_without_reserving(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/products", json={"sku": "W", "name": "Widget", "price": "12.50", "currency": "EUR"}
    )
    product_id = created.json()["id"]
    await client.post(f"/stock/{product_id}", json={"quantity": 5})

    response = await client.post(
        "/quotes", json={"lines": [{"product_id": product_id, "quantity": 2}]}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["currency"] == "EUR"
    assert Decimal(str(body["total"])) == Decimal("25")
    assert (await client.get(f"/stock/{product_id}")).json()["quantity"] == 5


async def test_quote_for_unknown_product_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/quotes", json={"lines": [{"product_id": 9, "quantity": 1}]})
    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"
