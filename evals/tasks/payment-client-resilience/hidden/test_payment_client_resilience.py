import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

BASE_URL = "https://pay.test/v1"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    def __init__(self) -> None:
        self.now = 10_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Provider:
    """Scripted provider: each item is a status code or an exception to raise; the last repeats."""

    def __init__(self, *script: int | Exception) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        if step == 201:
            return httpx.Response(201, json={"charge_id": f"ch_{len(self.requests)}"})
        if step == 402:
            return httpx.Response(402, json={"error": "card_declined"})
        return httpx.Response(step, json={"error": "something"})


@asynccontextmanager
async def service(
    tmp_path: Path, provider: Provider, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, FakeTime]]:
    options: dict[str, Any] = {
        "payments_base_url": BASE_URL,
        "payments_timeout_seconds": 1.5,
        "payments_max_attempts": 3,
        "payments_backoff_seconds": 0.1,
        "payments_breaker_threshold": 5,
        "payments_breaker_cooldown_seconds": 30.0,
    }
    options.update(overrides)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/pay.db", **options)
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
        customer = await client.post("/customers", json={"email": "a@example.com", "name": "A"})
        assert customer.status_code == 201, customer.text
        product = await client.post(
            "/products", json={"sku": "P-1", "name": "Pen", "price": "12.50", "currency": "EUR"}
        )
        assert product.status_code == 201, product.text
        stock = await client.post("/stock/1", json={"quantity": 100})
        assert stock.status_code == 200, stock.text
        yield client, fake_time


async def place_order(client: httpx.AsyncClient) -> int:
    response = await client.post(
        "/orders", json={"customer_id": 1, "lines": [{"product_id": 1, "quantity": 2}]}
    )
    assert response.status_code == 201, response.text
    order_id: int = response.json()["id"]
    return order_id


async def order_status(client: httpx.AsyncClient, order_id: int) -> str:
    response = await client.get(f"/orders/{order_id}")
    assert response.status_code == 200
    value: str = response.json()["status"]
    return value


async def test_successful_payment_marks_the_order_paid(tmp_path: Path) -> None:
    provider = Provider(201)
    async with service(tmp_path, provider) as (client, fake_time):
        order_id = await place_order(client)
        response = await client.post(f"/orders/{order_id}/payment")
        assert response.status_code == 200, response.text
        assert response.json() == {"order_id": order_id, "charge_id": "ch_1", "status": "paid"}
        assert await order_status(client, order_id) == "paid"
    assert len(provider.requests) == 1
    request = provider.requests[0]
    assert request.method == "POST"
    assert str(request.url) == f"{BASE_URL}/charges"
    assert json.loads(request.content) == {
        "order_id": order_id,
        "amount": "25.00",
        "currency": "EUR",
    }
    assert request.headers.get("Idempotency-Key")
    assert fake_time.sleeps == []


async def test_every_request_has_a_bounded_timeout(tmp_path: Path) -> None:
    provider = Provider(201)
    async with service(tmp_path, provider, payments_timeout_seconds=0.75) as (client, _):
        order_id = await place_order(client)
        assert (await client.post(f"/orders/{order_id}/payment")).status_code == 200
    timeouts = provider.requests[0].extensions.get("timeout")
    assert isinstance(timeouts, dict)
    for phase in ("connect", "read", "write", "pool"):
        value = timeouts.get(phase)
        assert value is not None, f"no {phase} timeout"
        assert 0 < value <= 0.75


async def test_declined_payment_is_402_and_never_retried(tmp_path: Path) -> None:
    provider = Provider(402)
    async with service(tmp_path, provider) as (client, fake_time):
        order_id = await place_order(client)
        response = await client.post(f"/orders/{order_id}/payment")
        assert response.status_code == 402, response.text
        assert response.json()["code"] == "payment_declined"
        assert await order_status(client, order_id) == "placed"
    assert len(provider.requests) == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize("status", [400, 404, 409, 422])
async def test_other_client_errors_are_502_and_never_retried(tmp_path: Path, status: int) -> None:
    provider = Provider(status)
    async with service(tmp_path, provider) as (client, fake_time):
        order_id = await place_order(client)
        response = await client.post(f"/orders/{order_id}/payment")
        assert response.status_code == 502, response.text
        assert response.json()["code"] == "payment_failed"
        assert await order_status(client, order_id) == "placed"
    assert len(provider.requests) == 1
    assert fake_time.sleeps == []


async def test_transient_failures_are_retried_with_exponential_backoff(tmp_path: Path) -> None:
    provider = Provider(503, httpx.ConnectError("refused"), 201)
    async with service(tmp_path, provider) as (client, fake_time):
        order_id = await place_order(client)
        response = await client.post(f"/orders/{order_id}/payment")
        assert response.status_code == 200, response.text
        assert response.json()["charge_id"] == "ch_3"
        assert await order_status(client, order_id) == "paid"
    assert len(provider.requests) == 3
    keys = {request.headers.get("Idempotency-Key") for request in provider.requests}
    assert len(keys) == 1, "every attempt must carry the same key"
    assert None not in keys
    assert len(fake_time.sleeps) == 2
    first, second = fake_time.sleeps
    assert 0.1 <= first <= 0.125
    assert 0.2 <= second <= 0.25


async def test_timeouts_are_retried(tmp_path: Path) -> None:
    provider = Provider(httpx.ReadTimeout("slow"), 201)
    async with service(tmp_path, provider) as (client, fake_time):
        order_id = await place_order(client)
        response = await client.post(f"/orders/{order_id}/payment")
        assert response.status_code == 200, response.text
    assert len(provider.requests) == 2
    assert len(fake_time.sleeps) == 1


async def test_gives_up_after_max_attempts(tmp_path: Path) -> None:
    provider = Provider(500)
    async with service(tmp_path, provider, payments_max_attempts=4) as (client, fake_time):
        order_id = await place_order(client)
        response = await client.post(f"/orders/{order_id}/payment")
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "payment_unavailable"
        assert await order_status(client, order_id) == "placed"
    assert len(provider.requests) == 4
    assert len(fake_time.sleeps) == 3


async def test_breaker_opens_fails_fast_and_recovers_after_cooldown(tmp_path: Path) -> None:
    provider = Provider(500)
    overrides: dict[str, Any] = {"payments_max_attempts": 2, "payments_breaker_threshold": 4}
    async with service(tmp_path, provider, **overrides) as (client, fake_time):
        order_id = await place_order(client)
        for _ in range(2):  # 2 calls x 2 attempts = 4 consecutive failures
            response = await client.post(f"/orders/{order_id}/payment")
            assert response.status_code == 503
        assert len(provider.requests) == 4

        sleeps_before = len(fake_time.sleeps)
        for _ in range(3):
            response = await client.post(f"/orders/{order_id}/payment")
            assert response.status_code == 503
            assert response.json()["code"] == "payment_unavailable"
        assert len(provider.requests) == 4, "an open breaker must not call the provider"
        assert len(fake_time.sleeps) == sleeps_before, "failing fast must not back off"

        fake_time.now += 10
        assert (await client.post(f"/orders/{order_id}/payment")).status_code == 503
        assert len(provider.requests) == 4, "still cooling down"

        fake_time.now += 25
        provider.script = [201]
        response = await client.post(f"/orders/{order_id}/payment")
        assert response.status_code == 200, response.text
        assert await order_status(client, order_id) == "paid"
        assert len(provider.requests) == 5

        second = await place_order(client)
        assert (await client.post(f"/orders/{second}/payment")).status_code == 200
        assert len(provider.requests) == 6


async def test_failed_trial_after_cooldown_reopens_the_breaker(tmp_path: Path) -> None:
    provider = Provider(500)
    overrides: dict[str, Any] = {"payments_max_attempts": 2, "payments_breaker_threshold": 2}
    async with service(tmp_path, provider, **overrides) as (client, fake_time):
        order_id = await place_order(client)
        assert (await client.post(f"/orders/{order_id}/payment")).status_code == 503
        assert len(provider.requests) == 2

        fake_time.now += 31
        assert (await client.post(f"/orders/{order_id}/payment")).status_code == 503
        tried = len(provider.requests)
        assert 3 <= tried <= 4

        response = await client.post(f"/orders/{order_id}/payment")
        assert response.status_code == 503
        assert len(provider.requests) == tried, "a failed trial must re-open the breaker"


async def test_success_and_declines_reset_the_failure_count(tmp_path: Path) -> None:
    provider = Provider(500, 500, 500, 402, 500, 500, 500, 201)
    overrides: dict[str, Any] = {"payments_max_attempts": 4, "payments_breaker_threshold": 4}
    async with service(tmp_path, provider, **overrides) as (client, _):
        order_id = await place_order(client)
        assert (await client.post(f"/orders/{order_id}/payment")).status_code == 402
        response = await client.post(f"/orders/{order_id}/payment")
        assert response.status_code == 200, response.text
    assert len(provider.requests) == 8


async def test_orders_that_cannot_be_paid_never_reach_the_provider(tmp_path: Path) -> None:
    provider = Provider(201)
    async with service(tmp_path, provider) as (client, _):
        assert (await client.post("/orders/99/payment")).status_code == 404
        order_id = await place_order(client)
        assert (await client.post(f"/orders/{order_id}/cancel")).status_code == 200
        response = await client.post(f"/orders/{order_id}/payment")
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_order_state"
        assert provider.requests == []

        paid = await place_order(client)
        assert (await client.post(f"/orders/{paid}/payment")).status_code == 200
        again = await client.post(f"/orders/{paid}/payment")
        assert again.status_code == 409
        assert len(provider.requests) == 1
