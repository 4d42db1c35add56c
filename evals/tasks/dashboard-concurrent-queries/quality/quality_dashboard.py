import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from dashkit import SECTIONS, Behaviour, Board, make_settings, running, seed

from ordersvc.application.dashboard import GetDashboard


async def test_cancelling_the_request_cancels_every_section() -> None:
    board = Board(dict.fromkeys(SECTIONS, "block"))
    task = asyncio.create_task(GetDashboard(board.factory, timeout_seconds=60).execute())
    async with asyncio.timeout(5):
        await board.all_blocking.wait()

    task.cancel()  # the client went away, or the server is shutting down
    done, _ = await asyncio.wait({task}, timeout=5)

    assert done, "execute() did not finish within 5 s of being cancelled"
    assert task.cancelled(), "the cancellation must propagate, not turn into another error"
    assert sorted(board.cancelled) == sorted(SECTIONS), (
        "sections kept running (holding their sessions) after the request was cancelled:"
        f" only {board.cancelled} were cancelled"
    )
    assert all(uow.exited == 1 for uow in board.units)


async def test_503_does_not_reveal_the_database_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with running(settings) as client:
        await seed(client)
        connection = sqlite3.connect(settings.database_url.split(":///", 1)[1])
        try:
            connection.execute("DROP TABLE stock")
            connection.commit()
        finally:
            connection.close()
        response = await client.get("/dashboard")
    assert response.status_code == 503, response.text
    detail = response.json()["detail"].lower()
    for internal in ("no such table", "stock", "select", "sqlite", "operationalerror", "[sql"):
        assert internal not in detail, f"the 503 body shows the database error: {detail!r}"


def chain(error: BaseException | None) -> list[BaseException]:
    """The error, its causes and contexts, and the members of exception groups."""
    found: list[BaseException] = []
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        pending += [current.__cause__, current.__context__]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)
    return found


async def test_a_failing_section_is_logged_with_its_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    behaviours: dict[str, Behaviour] = {s: "fail" if s == "revenue" else "block" for s in SECTIONS}
    board = Board(behaviours)
    with caplog.at_level(logging.INFO):
        task = asyncio.create_task(GetDashboard(board.factory, timeout_seconds=60).execute())
        await asyncio.wait({task}, timeout=5)
    assert task.done()
    assert task.exception() is not None
    logged = [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR
        and record.exc_info is not None
        and any(error is board.failure for error in chain(record.exc_info[1]))
    ]
    assert logged, (
        "the 503 is all anyone sees: the section's exception must reach the logs (ERROR, with"
        " its traceback) so operators can tell which query broke and why"
    )
