from typing import Any

import httpx


async def _order(client: httpx.AsyncClient, customer_id: int, lines: list[tuple[int, int]]) -> Any:
    response = await client.post(
        "/orders",
        json={
            "customer_id": customer_id,
            "lines": [{"product_id": p, "quantity": q} for p, q in lines],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_customer_order_history(client: httpx.AsyncClient) -> None:
    customer = (
        await client.post("/customers", json={"email": "h@example.com", "name": "H"})
    ).json()
    for sku, price in (("A", "12.50"), ("B", "0.99")):
        product = await client.post(
            "/products", json={"sku": sku, "name": sku, "price": price, "currency": "EUR"}
        )
        await client.post(f"/stock/{product.json()['id']}", json={"quantity": 10})
    first = await _order(client, customer["id"], [(1, 2), (2, 3)])
    second = await _order(client, customer["id"], [(2, 1)])

    response = await client.get(f"/customers/{customer['id']}/orders")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": second["id"],
            "status": "placed",
            "item_count": 1,
            "total": "0.99",
            "currency": "EUR",
        },
        {
            "id": first["id"],
            "status": "placed",
            "item_count": 5,
            "total": "27.97",
            "currency": "EUR",
        },
    ]
