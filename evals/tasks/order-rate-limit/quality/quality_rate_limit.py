"""Quality probes: a polling client is let back in, and the limiter forgets idle customers."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings


class FakeClock:
    def __init__(self, now: float = 5000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def _running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


async def _seed(client: httpx.AsyncClient) -> None:
    response = await client.post("/customers", json={"email": "c1@example.com", "name": "C"})
    assert response.status_code == 201, response.text
    product = await client.post(
        "/products", json={"sku": "W", "name": "Widget", "price": "1.00", "currency": "EUR"}
    )
    assert product.status_code == 201, product.text
    assert (await client.post("/stock/1", json={"quantity": 100})).status_code == 200


async def _order(client: httpx.AsyncClient, customer_id: int = 1) -> httpx.Response:
    return await client.post(
        "/orders",
        json={"customer_id": customer_id, "lines": [{"product_id": 1, "quantity": 1}]},
    )


async def test_a_client_polling_while_limited_is_let_in_when_the_window_frees(
    settings: Settings,
) -> None:
    """Refused requests cost nothing: a script that retries every 5 s while limited gets its
    next order in once its first order leaves the window, instead of being locked out forever."""
    clock = FakeClock()
    async with _running(create_app(settings, clock=clock)) as client:
        await _seed(client)
        for _ in range(5):
            assert (await _order(client)).status_code == 201
        statuses: list[int] = []
        for _ in range(13):  # 5 s apart, from 5 s to 65 s after the first orders
            clock.now += 5
            statuses.append((await _order(client)).status_code)

    assert statuses[:11] == [429] * 11  # 5 s .. 55 s: the five orders are still in the window
    assert 201 in statuses[11:], statuses  # 60 s / 65 s: they have left it


def _live_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


async def test_limiter_state_does_not_grow_with_every_customer_id_ever_sent(
    settings: Settings,
) -> None:
    """Customer ids come from request bodies: waves of 300 new ids, each followed by an hour of
    quiet, must not pile up state (it holds recently active customers only)."""
    clock = FakeClock()
    live: list[int] = []
    async with _running(create_app(settings, clock=clock)) as client:
        await _seed(client)
        for wave in range(3):
            first = 10_000 + 300 * wave
            for customer_id in range(first, first + 300):
                assert (await _order(client, customer_id)).status_code == 404
            clock.now += 3600
            assert (await _order(client)).status_code == 201
            live.append(_live_objects())

    assert live[2] - live[0] < 300, live  # 600 idle customers later
