import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import timedelta
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from start_factories import make_coupon, make_customer, make_order, make_product

from shopapp.main import app
from shopapp.models import Base
from shopapp.utils.clock import utcnow

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(table.select().order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


@contextmanager
def failing_statement(engine: Engine, pattern: str) -> Iterator[list[str]]:
    """The database fails the first statement matching ``pattern`` (as a full disk would)."""
    matcher = re.compile(pattern, re.IGNORECASE)
    failed: list[str] = []

    def before(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if not failed and matcher.match(statement):
            failed.append(statement)
            raise sqlite3.OperationalError("disk I/O error (injected by the test)")

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield failed
    finally:
        event.remove(engine, "before_cursor_execute", before)


def race(engine: Engine, calls: list[Callable[[], httpx2.Response]]) -> list[httpx2.Response]:
    """Run the calls on threads of their own; each stops before its first write until all have
    got there, so every one of them has read the database before any of them writes."""
    barrier = threading.Barrier(len(calls))
    arrived: set[int] = set()
    lock = threading.Lock()

    def before(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if not WRITE.match(statement):
            return
        with lock:
            if threading.get_ident() in arrived:
                return
            arrived.add(threading.get_ident())
        with suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=10)  # a guard only: correct code never waits this long

    event.listen(engine, "before_cursor_execute", before)
    try:
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            futures = [pool.submit(call) for call in calls]
            return [future.result(timeout=60) for future in futures]
    finally:
        event.remove(engine, "before_cursor_execute", before)


def return_call(order_id: int, product_id: int, quantity: int) -> Callable[[], httpx2.Response]:
    def call() -> httpx2.Response:
        body = {"items": [{"productId": product_id, "quantity": quantity}]}
        with TestClient(app, raise_server_exceptions=False) as client:
            return client.post(f"/orders/{order_id}/returns", json=body)

    return call


def test_a_database_failure_during_a_return_changes_nothing(
    client: TestClient, db: Session, engine: Engine
) -> None:
    coupon = make_coupon(db, code="TEN", percent_off=10)
    fired = 0
    for table in ("products", "order_lines", "orders", "customers", "store_credit_entries"):
        mug = make_product(db, price_cents=1000, stock=5)
        tee = make_product(db, price_cents=2000, stock=5)
        ann = make_customer(db)
        when = utcnow() - timedelta(days=1)
        order = make_order(
            db, ann, (mug, 2), (tee, 1), status="PAID", coupon=coupon, created_at=when
        )
        before = snapshot(engine)
        pattern = rf"\s*(UPDATE\s+\"?{table}\b|INSERT\s+INTO\s+\"?{table}\b)"
        body = {
            "items": [{"productId": mug.id, "quantity": 1}, {"productId": tee.id, "quantity": 1}]
        }

        with failing_statement(engine, pattern) as failed:
            response = client.post(f"/orders/{order.id}/returns", json=body)

        if not failed:  # this solution never writes that table during a return
            assert response.status_code == 201, response.text
            continue
        fired += 1
        assert response.status_code == 500, f"{table}: {response.text}"
        assert snapshot(engine) == before, f"a failure writing {table} left changes behind"
    assert fired >= 3


def test_two_concurrent_returns_of_the_last_unit_refund_once(
    client: TestClient, db: Session, engine: Engine
) -> None:
    mug = make_product(db, price_cents=1000, stock=5)
    tee = make_product(db, price_cents=2000, stock=5)
    ann = make_customer(db, store_credit_cents=0)
    order = make_order(
        db, ann, (mug, 1), (tee, 1), status="PAID", created_at=utcnow() - timedelta(days=1)
    )

    responses = race(engine, [return_call(order.id, mug.id, 1), return_call(order.id, mug.id, 1)])

    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["error"]["code"] == "RETURN_QUANTITY_EXCEEDED"
    assert client.get(f"/products/{mug.id}").json()["stock"] == 5
    assert client.get(f"/customers/{ann.id}").json()["storeCreditCents"] == 1000
    assert client.get(f"/orders/{order.id}").json()["refundedCents"] == 1000
    assert len(client.get(f"/orders/{order.id}/returns").json()) == 1
