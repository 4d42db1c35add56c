import httpx


async def test_customer_orders_lists_orders_with_lines(client: httpx.AsyncClient) -> None:
    customer = (
        await client.post("/customers", json={"email": "l@example.com", "name": "L"})
    ).json()
    product = await client.post(
        "/products", json={"sku": "A", "name": "A", "price": "2.50", "currency": "EUR"}
    )
    await client.post(f"/stock/{product.json()['id']}", json={"quantity": 10})
    placed = []
    for quantity in (1, 3):
        response = await client.post(
            "/orders",
            json={
                "customer_id": customer["id"],
                "lines": [{"product_id": product.json()["id"], "quantity": quantity}],
            },
        )
        placed.append(response.json())

    response = await client.get(f"/customers/{customer['id']}/orders")

    assert response.status_code == 200
    assert response.json() == placed
    assert (await client.get("/customers/99/orders")).status_code == 404
