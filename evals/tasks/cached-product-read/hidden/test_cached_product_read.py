import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from start_fakes import FakeProductRepository, FakeUnitOfWork

from ordersvc.application.dto import NewProduct, PriceChange
from ordersvc.bootstrap import build_use_cases, create_app
from ordersvc.config import Settings
from ordersvc.domain.catalog import Product
from ordersvc.domain.money import Money
from ordersvc.infrastructure.cache import InMemoryCache

JSON = dict[str, Any]


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


async def create_product(
    client: httpx.AsyncClient, sku: str = "SKU-1", price: str = "12.50"
) -> JSON:
    response = await client.post(
        "/products", json={"sku": sku, "name": "Widget", "price": price, "currency": "EUR"}
    )
    assert response.status_code == 201, response.text
    body: JSON = response.json()
    return body


def change_row_behind_the_apps_back(settings: Settings, product_id: int) -> None:
    database = make_url(settings.database_url).database
    assert database is not None
    with sqlite3.connect(database) as connection:
        updated = connection.execute(
            "UPDATE products SET price_cents = 1, name = 'Changed' WHERE id = ?", (product_id,)
        ).rowcount
    connection.close()
    assert updated == 1


async def test_repeated_reads_are_served_from_the_cache(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    product = await create_product(client)
    first = await client.get(f"/products/{product['id']}")
    assert first.status_code == 200
    assert first.json() == product

    change_row_behind_the_apps_back(settings, product["id"])

    second = await client.get(f"/products/{product['id']}")
    assert second.status_code == 200
    assert second.json() == product


async def test_price_change_is_visible_on_the_next_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    product = await create_product(client)
    assert (await client.get(f"/products/{product['id']}")).json()["price"] == "12.50"

    changed = await client.put(
        f"/products/{product['id']}/price", json={"price": "9.99", "currency": "USD"}
    )
    assert changed.status_code == 200, changed.text

    after = await client.get(f"/products/{product['id']}")
    assert after.json() == product | {"price": "9.99", "currency": "USD"}
    # The fresh value is cached again.
    change_row_behind_the_apps_back(settings, product["id"])
    assert (await client.get(f"/products/{product['id']}")).json() == after.json()


async def test_repeated_price_changes_are_all_visible(client: httpx.AsyncClient) -> None:
    product = await create_product(client)
    for price in ("1.10", "2.20", "3.30"):
        await client.get(f"/products/{product['id']}")
        response = await client.put(
            f"/products/{product['id']}/price", json={"price": price, "currency": "EUR"}
        )
        assert response.status_code == 200
        assert (await client.get(f"/products/{product['id']}")).json()["price"] == price


async def test_a_product_created_after_a_miss_is_readable(client: httpx.AsyncClient) -> None:
    missing = await client.get("/products/1")
    assert missing.status_code == 404
    assert missing.json()["code"] == "product_not_found"
    product = await create_product(client)
    assert product["id"] == 1
    assert (await client.get("/products/1")).json() == product


async def test_apps_do_not_share_cached_products(tmp_path: Path) -> None:
    first_app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/first.db"))
    second_app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/second.db"))
    async with running(first_app) as first:
        created = await create_product(first, price="12.50")
        assert (await first.get(f"/products/{created['id']}")).json()["price"] == "12.50"
    async with running(second_app) as second:
        other = await create_product(second, sku="OTHER", price="3.00")
        assert other["id"] == created["id"]
        read = await second.get(f"/products/{other['id']}")
        assert read.json() == other


async def test_use_cases_read_through_the_cache_they_are_given() -> None:
    cache = InMemoryCache()
    uow = FakeUnitOfWork()
    use_cases = build_use_cases(lambda: uow, cache, uow.publisher)
    created = await use_cases.create_product.execute(
        NewProduct("SKU-1", "Widget", Decimal("12.5"), "EUR")
    )
    first = await use_cases.get_product.execute(created.id)
    assert first == created
    assert isinstance(first.price, Decimal)

    # The stored product changes without going through the use cases: reads stay cached.
    products = cast(FakeProductRepository, uow.products)  # the fake the uow was built with
    products.items[created.id] = Product(
        id=created.id, sku="SKU-1", name="Widget", price=Money(Decimal("1.00"), "EUR")
    )
    assert await use_cases.get_product.execute(created.id) == created

    # Another set of use cases sharing the cache (another worker, same Redis) sees the entry.
    empty = FakeUnitOfWork()
    elsewhere = build_use_cases(lambda: empty, cache, empty.publisher)
    shared = await elsewhere.get_product.execute(created.id)
    assert shared == created
    assert shared.price == Decimal("12.50")

    await use_cases.change_product_price.execute(PriceChange(created.id, Decimal("9.99"), "EUR"))
    assert (await use_cases.get_product.execute(created.id)).price == Decimal("9.99")
    assert (await elsewhere.get_product.execute(created.id)).price == Decimal("9.99")
