from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings


class FakeClock:
    def __init__(self, now: float = 5000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> FastAPI:
    return create_app(settings, clock=clock)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


async def seed(client: httpx.AsyncClient, customers: int = 1, stock: int = 100) -> None:
    for n in range(1, customers + 1):
        response = await client.post("/customers", json={"email": f"c{n}@example.com", "name": "C"})
        assert response.status_code == 201
    product = await client.post(
        "/products", json={"sku": "W", "name": "Widget", "price": "1.00", "currency": "EUR"}
    )
    assert product.status_code == 201
    assert (await client.post("/stock/1", json={"quantity": stock})).status_code == 200


async def order(client: httpx.AsyncClient, customer_id: int = 1) -> httpx.Response:
    return await client.post(
        "/orders",
        json={"customer_id": customer_id, "lines": [{"product_id": 1, "quantity": 1}]},
    )


async def stock(client: httpx.AsyncClient) -> int:
    value: int = (await client.get("/stock/1")).json()["quantity"]
    return value


def retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    header = response.headers.get("Retry-After")
    assert header is not None
    assert header.isdigit(), header
    return int(header)


async def test_sixth_order_in_a_minute_is_429(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await seed(client)
    for _ in range(5):
        assert (await order(client)).status_code == 201
        clock.now += 1

    limited = await order(client)

    seconds = retry_after(limited)
    assert 1 <= seconds <= 60
    assert limited.json()["code"] == "rate_limited"
    assert isinstance(limited.json()["detail"], str)
    assert await stock(client) == 95
    assert (await client.get("/orders/6")).status_code == 404


async def test_retry_after_is_honest(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await seed(client)
    for _ in range(5):
        assert (await order(client)).status_code == 201
    seconds = retry_after(await order(client))

    if seconds > 1:
        clock.now += seconds - 1
        retry_after(await order(client))
        clock.now += 1
    else:
        clock.now += seconds
    assert (await order(client)).status_code == 201


async def test_limit_is_per_customer(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await seed(client, customers=3)
    for _ in range(5):
        assert (await order(client, 1)).status_code == 201
    retry_after(await order(client, 1))

    for _ in range(5):
        assert (await order(client, 2)).status_code == 201
    retry_after(await order(client, 2))
    assert (await order(client, 3)).status_code == 201
    retry_after(await order(client, 1))


async def test_window_slides(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await seed(client)
    for _ in range(5):
        assert (await order(client)).status_code == 201
    retry_after(await order(client))
    clock.now += 61
    for _ in range(5):
        assert (await order(client)).status_code == 201
    retry_after(await order(client))


async def test_limit_and_window_come_from_settings(tmp_path: Path, clock: FakeClock) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/custom.db",
        order_rate_limit=2,
        order_rate_window_seconds=10,
    )
    async with running(create_app(settings, clock=clock)) as client:
        await seed(client)
        assert (await order(client)).status_code == 201
        assert (await order(client)).status_code == 201
        wait = retry_after(await order(client))
        assert wait <= 11  # the 10 s window, whether a request 10 s old still counts or not
        clock.now += wait  # an honest Retry-After: waiting that long is enough
        assert (await order(client)).status_code == 201


async def test_app_instances_do_not_share_limits(
    client: httpx.AsyncClient, clock: FakeClock, tmp_path: Path
) -> None:
    await seed(client)
    for _ in range(5):
        assert (await order(client)).status_code == 201
    retry_after(await order(client))

    other = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/other.db")
    async with running(create_app(other, clock=clock)) as other_client:
        await seed(other_client)
        assert (await order(other_client)).status_code == 201
