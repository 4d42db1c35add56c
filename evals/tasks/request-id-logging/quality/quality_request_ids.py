"""Quality probes: an unexpected failure (a 500) is still correlated by its request id."""

import io
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings


@asynccontextmanager
async def _failing_service(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, io.StringIO]]:
    """The service with its products table gone: `GET /products` fails with an unexpected
    database error, as on a bad day (a migration gone wrong, a dropped connection)."""
    database = tmp_path / "log.db"
    stream = io.StringIO()
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{database}"), log_stream=stream)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        connection = sqlite3.connect(database)
        with connection:
            connection.execute("ALTER TABLE products RENAME TO products_gone")
        connection.close()
        yield client, stream


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_a_500_response_carries_the_request_id(tmp_path: Path) -> None:
    """The customer reports the id shown with the error page: the 500 must carry it too."""
    async with _failing_service(tmp_path) as (client, _):
        response = await client.get("/products", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers.get("X-Request-ID") == "boom-1"


async def test_a_500_is_logged_with_its_request_id(tmp_path: Path) -> None:
    """The unexpected error is logged (level ERROR, as JSON) with the request id, and the request
    still gets its access line with status 500, so support can find what went wrong."""
    async with _failing_service(tmp_path) as (client, stream):
        await client.get("/products", headers={"X-Request-ID": "boom-2"})
    mine = [e for e in _records(stream) if e.get("request_id") == "boom-2"]
    assert any(e["level"] in {"ERROR", "CRITICAL"} for e in mine), mine
    assert [e["message"] for e in mine if e["logger"] == "ordersvc.access"] == ["GET /products 500"]
