"""Quality probe: old clients (no If-Match) never see a conflict they did not ask about."""

import asyncio

import httpx


async def test_concurrent_saves_without_if_match_both_succeed(client: httpx.AsyncClient) -> None:
    """Two old clients save at the same time without a precondition: both asked for last write
    wins, so both get 200 (the loser of the race is applied on top) and the version is +2."""
    created = await client.post(
        "/products", json={"sku": "SKU-1", "name": "Widget", "price": "10.00", "currency": "EUR"}
    )
    assert created.status_code == 201, created.text

    first, second = await asyncio.gather(
        client.put("/products/1/price", json={"price": "11.00", "currency": "EUR"}),
        client.put("/products/1/price", json={"price": "12.00", "currency": "EUR"}),
    )

    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    read = await client.get("/products/1")
    assert read.headers["ETag"] == '"3"'
    assert read.json()["price"] in {"11.00", "12.00"}
