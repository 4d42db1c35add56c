import asyncio
import gc
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings


@pytest.fixture(autouse=True)
async def settle_failed_connections() -> AsyncIterator[None]:
    # A failed aiosqlite connect stops its worker thread without waiting for it; the thread then
    # reports to this test's event loop. Wait for those threads to end while the loop still runs
    # (joined, not slept on), so none reports into a closed loop during a later test, however
    # loaded the machine is. Threads of connections the application still holds are left alone
    # once the deadline passes.
    yield
    gc.collect()
    deadline = time.monotonic() + 3
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))


def unreachable(tmp_path: Path, **overrides: Any) -> Settings:
    # The directory does not exist, so SQLite cannot open the file.
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db.sqlite",
        create_schema=False,
        **overrides,
    )


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


async def test_liveness_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_is_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


async def test_readiness_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    async with running(create_app(unreachable(tmp_path))) as client:
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "checks": {"database": "error"}}
        again = await client.get("/health/ready")
        assert again.status_code == 503


async def test_liveness_does_not_depend_on_the_database(tmp_path: Path) -> None:
    async with running(create_app(unreachable(tmp_path))) as client:
        response = await client.get("/health/live")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


async def test_readiness_recovers_when_the_database_comes_back(tmp_path: Path) -> None:
    settings = unreachable(tmp_path)
    async with running(create_app(settings)) as client:
        assert (await client.get("/health/ready")).status_code == 503
        (tmp_path / "missing" / "dir").mkdir(parents=True)
        response = await client.get("/health/ready")
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok"}


async def test_start_up_fails_fast_when_verification_is_on(tmp_path: Path) -> None:
    app = create_app(unreachable(tmp_path, verify_database_on_startup=True))
    with pytest.raises(Exception):  # noqa: B017, PT011 - any start-up failure will do
        async with app.router.lifespan_context(app):
            pass


async def test_start_up_verification_passes_with_a_healthy_database(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/ok.db", verify_database_on_startup=True
    )
    async with running(create_app(settings)) as client:
        assert (await client.get("/health/ready")).status_code == 200
        created = await client.post("/customers", json={"email": "a@example.com", "name": "A"})
        assert created.status_code == 201


async def test_verification_off_starts_without_touching_the_database(tmp_path: Path) -> None:
    async with running(create_app(unreachable(tmp_path))) as client:
        assert (await client.get("/health/live")).status_code == 200
