import asyncio

import pytest
from dashkit import ALERTS, CUSTOMERS, REVENUE, SECTIONS, TOP, Behaviour, Board

from ordersvc.application.dashboard import GetDashboard
from ordersvc.application.dto import Dashboard
from ordersvc.domain.errors import DashboardUnavailable, DomainError


async def finish(board: Board, use_case: GetDashboard) -> asyncio.Task[Dashboard]:
    """Runs execute() to completion, or fails the test if it is still running after 5 s."""
    task = asyncio.create_task(use_case.execute())
    done, _ = await asyncio.wait({task}, timeout=5)
    if not done:
        task.cancel()
        pytest.fail(
            "execute() was still running 5 s later: the other sections were not cancelled"
            f" (cancelled so far: {board.cancelled}; problems: {board.problems})"
        )
    return task


def assert_every_unit_of_work_closed(board: Board) -> None:
    assert board.units, "no unit of work was opened"
    for uow in board.units:
        assert uow.entered == 1, "each unit of work is entered once"
        assert uow.exited == 1, "a unit of work was left open (its session would leak)"


async def test_sections_run_at_the_same_time_each_in_its_own_unit_of_work() -> None:
    board = Board(dict.fromkeys(SECTIONS, "meet"))
    use_case = GetDashboard(board.factory, top_products=1, low_stock_below=1, timeout_seconds=30)

    task = await finish(board, use_case)

    assert board.problems == []
    assert task.exception() is None, repr(task.exception())
    dashboard = task.result()
    assert list(dashboard.revenue) == REVENUE
    assert list(dashboard.top_products) == TOP[:1]
    assert list(dashboard.stock_alerts) == [ALERTS[0]]
    assert dashboard.customers == CUSTOMERS
    assert board.calls == {
        "revenue": (),
        "top_products": (1,),
        "stock_alerts": (1,),
        "customers": (),
    }
    assert len(board.units) == 4, "one unit of work (one session) per section"
    assert sorted(section for uow in board.units for section in uow.queries) == sorted(SECTIONS)
    assert_every_unit_of_work_closed(board)


async def test_defaults_are_five_top_products_and_fewer_than_five_units() -> None:
    board = Board(dict.fromkeys(SECTIONS, "meet"))
    task = await finish(board, GetDashboard(board.factory))
    assert task.exception() is None, repr(task.exception())
    assert board.calls["top_products"] == (5,)
    assert board.calls["stock_alerts"] == (5,)
    assert list(task.result().stock_alerts) == ALERTS


@pytest.mark.parametrize("failing", SECTIONS)
async def test_a_failing_section_cancels_the_others_and_closes_them(failing: str) -> None:
    behaviours: dict[str, Behaviour] = {s: "fail" if s == failing else "block" for s in SECTIONS}
    board = Board(behaviours)
    use_case = GetDashboard(board.factory, timeout_seconds=60)

    task = await finish(board, use_case)

    error = task.exception()
    assert isinstance(error, DashboardUnavailable), repr(error)
    assert isinstance(error, DomainError)
    assert error.code == "dashboard_unavailable"
    assert sorted(board.cancelled) == sorted(s for s in SECTIONS if s != failing), (
        "the sections still running when one failed must be cancelled before execute() answers"
    )
    assert len(board.units) == 4
    assert_every_unit_of_work_closed(board)


async def test_sections_slower_than_the_budget_are_cancelled() -> None:
    board = Board(dict.fromkeys(SECTIONS, "block"))
    use_case = GetDashboard(board.factory, timeout_seconds=0.2)

    task = await finish(board, use_case)

    error = task.exception()
    assert isinstance(error, DashboardUnavailable), repr(error)
    assert sorted(board.cancelled) == sorted(SECTIONS)
    assert len(board.units) == 4
    assert_every_unit_of_work_closed(board)
