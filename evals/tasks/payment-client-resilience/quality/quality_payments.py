"""Quality probes: which idempotency key a payment request carries across our own retries."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings


class FakeTime:
    def __init__(self) -> None:
        self.now = 10_000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class Provider:
    """Answers with the scripted statuses in turn (the last repeats); records every request."""

    def __init__(self, *script: int) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if status == 201:
            return httpx.Response(201, json={"charge_id": f"ch_{len(self.requests)}"})
        return httpx.Response(status, json={"error": "something"})

    def keys(self) -> list[str | None]:
        return [request.headers.get("Idempotency-Key") for request in self.requests]


@asynccontextmanager
async def _service(tmp_path: Path, provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/pay.db",
        payments_base_url="https://pay.test/v1",
        payments_max_attempts=2,
        payments_backoff_seconds=0.1,
        payments_breaker_threshold=10,
    )
    fake_time = FakeTime()
    app = create_app(
        settings,
        payments_transport=httpx.MockTransport(provider),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        assert (
            await client.post("/customers", json={"email": "a@example.com", "name": "A"})
        ).status_code == 201
        product = await client.post(
            "/products", json={"sku": "P-1", "name": "Pen", "price": "12.50", "currency": "EUR"}
        )
        assert product.status_code == 201, product.text
        assert (await client.post("/stock/1", json={"quantity": 100})).status_code == 200
        order = await client.post(
            "/orders", json={"customer_id": 1, "lines": [{"product_id": 1, "quantity": 2}]}
        )
        assert order.status_code == 201, order.text
        yield client


async def test_a_payment_retried_after_a_503_reuses_the_charge_key(tmp_path: Path) -> None:
    """After a 503 the outcome is unknown (the provider may have charged): the customer's retry
    must be the same charge for the provider, or the card can be charged twice."""
    provider = Provider(500, 500, 201)
    async with _service(tmp_path, provider) as client:
        unavailable = await client.post("/orders/1/payment")
        assert unavailable.status_code == 503, unavailable.text
        retried = await client.post("/orders/1/payment")
        assert retried.status_code == 200, retried.text

    keys = provider.keys()
    assert len(keys) == 3
    assert None not in keys
    assert len(set(keys)) == 1, keys


async def test_a_payment_after_a_decline_is_a_new_charge(tmp_path: Path) -> None:
    """A declined charge is settled: paying again (after topping up the card) must be a new
    charge, not the declined one replayed by the provider under the same key."""
    provider = Provider(402, 201)
    async with _service(tmp_path, provider) as client:
        declined = await client.post("/orders/1/payment")
        assert declined.status_code == 402, declined.text
        paid = await client.post("/orders/1/payment")
        assert paid.status_code == 200, paid.text

    first, second = provider.keys()
    assert first
    assert second
    assert first != second
