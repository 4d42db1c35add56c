from typing import Any

import httpx

JSON = dict[str, Any]


async def product(client: httpx.AsyncClient, sku: str, price: str, currency: str = "EUR") -> int:
    response = await client.post(
        "/products", json={"sku": sku, "name": sku, "price": price, "currency": currency}
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    return product_id


async def quote(client: httpx.AsyncClient, body: JSON) -> httpx.Response:
    return await client.post("/quotes", json=body)


async def test_three_times_19_99_is_exact(client: httpx.AsyncClient) -> None:
    shirt = await product(client, "SHIRT", "19.99")

    response = await quote(client, {"lines": [{"product_id": shirt, "quantity": 3}]})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "currency": "EUR",
        "lines": [
            {"product_id": shirt, "quantity": 3, "unit_price": "19.99", "line_total": "59.97"}
        ],
        "subtotal": "59.97",
        "discount": "0.00",
        "total": "59.97",
    }


async def test_ten_plus_twenty_cents_is_thirty(client: httpx.AsyncClient) -> None:
    dime = await product(client, "DIME", "0.10")
    twenty = await product(client, "TWENTY", "0.20")

    response = await quote(
        client,
        {"lines": [{"product_id": dime, "quantity": 1}, {"product_id": twenty, "quantity": 1}]},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert [line["line_total"] for line in body["lines"]] == ["0.10", "0.20"]
    assert (body["subtotal"], body["discount"], body["total"]) == ("0.30", "0.00", "0.30")


# (price, quantity, discount_percent) -> (subtotal, discount, total); half cents round up.
DISCOUNT_CASES: list[tuple[tuple[str, int, str], tuple[str, str, str]]] = [
    (("0.30", 1, "15"), ("0.30", "0.05", "0.25")),
    (("1.25", 1, "10"), ("1.25", "0.13", "1.12")),
    (("0.05", 9, "50"), ("0.45", "0.23", "0.22")),
    (("19.99", 3, "15"), ("59.97", "9.00", "50.97")),
    (("19.99", 3, "12.5"), ("59.97", "7.50", "52.47")),
    (("33.33", 3, "100"), ("99.99", "99.99", "0.00")),
    (("10.00", 2, "0"), ("20.00", "0.00", "20.00")),
]


async def test_percentage_discount_rounds_half_up_to_the_cent(client: httpx.AsyncClient) -> None:
    for number, ((price, quantity, percent), expected) in enumerate(DISCOUNT_CASES):
        item = await product(client, f"ITEM-{number}", price)

        response = await quote(
            client,
            {"lines": [{"product_id": item, "quantity": quantity}], "discount_percent": percent},
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["subtotal"], body["discount"], body["total"]) == expected, (price, percent)


async def test_discount_as_json_number_still_works(client: httpx.AsyncClient) -> None:
    item = await product(client, "ITEM", "1.25")
    response = await quote(
        client, {"lines": [{"product_id": item, "quantity": 1}], "discount_percent": 10}
    )
    assert response.status_code == 200, response.text
    assert response.json()["total"] == "1.12"


async def test_single_foreign_currency_basket(client: httpx.AsyncClient) -> None:
    item = await product(client, "US-ITEM", "0.10", currency="USD")
    response = await quote(client, {"lines": [{"product_id": item, "quantity": 3}]})
    assert response.status_code == 200, response.text
    assert (response.json()["currency"], response.json()["total"]) == ("USD", "0.30")


async def test_mixing_currencies_is_rejected(client: httpx.AsyncClient) -> None:
    euro = await product(client, "EU-ITEM", "10.00", currency="EUR")
    dollar = await product(client, "US-ITEM", "10.00", currency="USD")

    response = await quote(
        client,
        {"lines": [{"product_id": euro, "quantity": 1}, {"product_id": dollar, "quantity": 1}]},
    )

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "currency_mismatch"
    assert isinstance(body["detail"], str)


async def test_invalid_discount_is_422(client: httpx.AsyncClient) -> None:
    item = await product(client, "ITEM", "1.00")
    for percent in ["-1", "100.01", "12.345", "abc", None]:
        response = await quote(
            client, {"lines": [{"product_id": item, "quantity": 1}], "discount_percent": percent}
        )
        assert response.status_code == 422, (percent, response.text)
