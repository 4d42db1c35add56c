import asyncio
import io
import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

REQUIRED = {"timestamp", "level", "logger", "message", "request_id"}


@asynccontextmanager
async def service(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, io.StringIO]]:
    stream = io.StringIO()
    app = create_app(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/log.db"), log_stream=stream
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client, stream


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    assert lines, "nothing was logged to log_stream"
    parsed: list[dict[str, Any]] = []
    for line in lines:
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        assert entry.keys() >= REQUIRED, line
        parsed.append(entry)
    return parsed


def is_uuid4(value: str) -> bool:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == value


async def seed(client: httpx.AsyncClient) -> None:
    assert (
        await client.post("/customers", json={"email": "a@example.com", "name": "A"})
    ).status_code == 201
    for sku in ("S-1", "S-2", "S-3"):
        created = await client.post(
            "/products", json={"sku": sku, "name": "Pen", "price": "2.00", "currency": "EUR"}
        )
        assert created.status_code == 201
    assert (await client.post("/stock/1", json={"quantity": 10})).status_code == 200


async def test_a_request_id_is_generated_when_missing(tmp_path: Path) -> None:
    async with service(tmp_path) as (client, _):
        first = await client.get("/products")
        second = await client.get("/products")
    assert is_uuid4(first.headers["X-Request-ID"])
    assert is_uuid4(second.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["A.b_c-9", "x" * 64])
async def test_a_valid_incoming_id_is_echoed(tmp_path: Path, incoming: str) -> None:
    async with service(tmp_path) as (client, _):
        response = await client.get("/customers/7", headers={"X-Request-ID": incoming})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["x" * 65, "semi;colon <script>", ""])
async def test_an_invalid_incoming_id_is_replaced(tmp_path: Path, incoming: str) -> None:
    async with service(tmp_path) as (client, stream):
        response = await client.get("/products", headers={"X-Request-ID": incoming})
    assert response.status_code == 200
    assert is_uuid4(response.headers["X-Request-ID"])
    assert all(entry["request_id"] != incoming for entry in records(stream))


async def test_application_logs_are_json_with_the_request_id(tmp_path: Path) -> None:
    async with service(tmp_path) as (client, stream):
        await seed(client)
        response = await client.post(
            "/orders",
            json={"customer_id": 1, "lines": [{"product_id": 1, "quantity": 2}]},
            headers={"X-Request-ID": "req-42"},
        )
        assert response.status_code == 201
        order_id = response.json()["id"]
    entries = records(stream)
    placed = [e for e in entries if str(e["message"]).startswith("order placed")]
    assert len(placed) == 1, entries
    entry = placed[0]
    assert re.match(rf"order placed id={order_id}\b", entry["message"])
    assert entry["request_id"] == "req-42"
    assert entry["level"] == "INFO"
    assert str(entry["logger"]).startswith("ordersvc.")
    assert entry["logger"] != "ordersvc.access"
    timestamp = datetime.fromisoformat(entry["timestamp"])
    assert timestamp.utcoffset() is not None

    access = [
        e for e in entries if e["logger"] == "ordersvc.access" and e["request_id"] == "req-42"
    ]
    assert [e["message"] for e in access] == ["POST /orders 201"]
    assert access[0]["level"] == "INFO"


async def test_every_request_gets_one_access_line(tmp_path: Path) -> None:
    async with service(tmp_path) as (client, stream):
        ok = await client.get("/products")
        missing = await client.get("/orders/5")
    entries = records(stream)
    access = [e for e in entries if e["logger"] == "ordersvc.access"]
    assert [(e["message"], e["request_id"]) for e in access] == [
        ("GET /products 200", ok.headers["X-Request-ID"]),
        ("GET /orders/5 404", missing.headers["X-Request-ID"]),
    ]


async def test_concurrent_requests_never_mix_ids(tmp_path: Path) -> None:
    async with service(tmp_path) as (client, stream):
        await seed(client)  # its lines may still be on their way (a queued handler): kept
        responses = await asyncio.gather(
            *(
                client.get(f"/products/{n}", headers={"X-Request-ID": f"conc-{n}"})
                for n in range(1, 7)
            )
        )
    for n, response in enumerate(responses, start=1):
        assert response.headers["X-Request-ID"] == f"conc-{n}"
    expected = {f"GET /products/{n} {200 if n <= 3 else 404}": f"conc-{n}" for n in range(1, 7)}
    access = [
        (e["message"], e["request_id"])
        for e in records(stream)
        if e["logger"] == "ordersvc.access"
        and (e["message"] in expected or str(e["request_id"]).startswith("conc-"))
    ]
    assert sorted(access) == sorted(expected.items())  # each line once, with its own id


async def test_concurrent_orders_log_their_own_request_id(tmp_path: Path) -> None:
    async with service(tmp_path) as (client, stream):
        await seed(client)
        for product_id in (2, 3):
            assert (
                await client.post(f"/stock/{product_id}", json={"quantity": 10})
            ).status_code == 200
        responses = await asyncio.gather(
            *(
                client.post(
                    "/orders",
                    json={"customer_id": 1, "lines": [{"product_id": n, "quantity": 1}]},
                    headers={"X-Request-ID": f"order-req-{n}"},
                )
                for n in (1, 2, 3)
            )
        )
    by_order: dict[int, str] = {}
    for n, response in zip((1, 2, 3), responses, strict=True):
        assert response.status_code == 201, response.text
        by_order[response.json()["id"]] = f"order-req-{n}"
    placed = [e for e in records(stream) if str(e["message"]).startswith("order placed")]
    assert len(placed) == 3
    for entry in placed:
        match = re.match(r"order placed id=(\d+)", entry["message"])
        assert match is not None, entry
        assert entry["request_id"] == by_order[int(match.group(1))]
