"""Quality probes: readiness checks that are bounded in time and leave a trace in the logs."""

import asyncio
import gc
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.util import await_only

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings


@pytest.fixture(autouse=True)
async def settle_failed_connections() -> AsyncIterator[None]:
    # A failed aiosqlite connect stops its worker thread without waiting for it; let those
    # threads end while this test's loop still runs (see the hidden tests).
    yield
    gc.collect()
    deadline = time.monotonic() + 3
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


@contextmanager
def statements_hang() -> Iterator[asyncio.Event]:
    """Every SQL statement waits until the returned event is set: a database (or a connection
    pool) that accepts the request and never answers."""
    release = asyncio.Event()

    def hang(*_: object) -> None:
        await_only(release.wait())

    event.listen(Engine, "before_cursor_execute", hang)
    try:
        yield release
    finally:
        release.set()
        event.remove(Engine, "before_cursor_execute", hang)


async def test_readiness_answers_in_time_when_the_database_hangs(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/slow.db")
    async with running(create_app(settings)) as client:
        assert (await client.get("/health/ready")).status_code == 200
        with statements_hang():
            started = time.monotonic()
            try:
                async with asyncio.timeout(6):
                    response = await client.get("/health/ready")
            except TimeoutError:
                pytest.fail("/health/ready hung with the database: its check has no timeout")
        assert response.status_code == 503, response.text
        assert time.monotonic() - started < 6


async def test_readiness_failures_are_logged_with_their_cause(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db.sqlite", create_schema=False
    )
    async with running(create_app(settings)) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    assert "unable to open database file" in caplog.text, (
        "the readiness failure left no trace of its cause in the logs"
    )
