import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from start_factories import make_customer, make_order, make_product

from shopapp.main import app
from shopapp.services.cancellation import expire_pending_orders

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


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


@contextmanager
def meanwhile(engine: Engine, sql: str, **params: Any) -> Iterator[list[str]]:
    """Just before the code under test writes for the first time (after it has read what it
    needs), another connection runs ``sql`` and commits: someone else's concurrent change."""
    done: list[str] = []

    def before(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if done or not WRITE.match(statement):
            return
        done.append(statement)
        with engine.begin() as other:
            other.execute(text(sql), params)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield done
    finally:
        event.remove(engine, "before_cursor_execute", before)


def cancel_call(order_id: int) -> Callable[[], httpx2.Response]:
    def call() -> httpx2.Response:
        with TestClient(app, raise_server_exceptions=False) as client:
            return client.post(f"/orders/{order_id}/cancel")

    return call


def test_two_concurrent_cancels_put_stock_and_credit_back_once(
    client: TestClient, db: Session, engine: Engine
) -> None:
    ann = make_customer(db, store_credit_cents=0)
    mug = make_product(db, price_cents=1000, stock=5)
    order = make_order(db, ann, (mug, 2), status="PAID")

    responses = race(engine, [cancel_call(order.id), cancel_call(order.id)])

    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    assert client.get(f"/products/{mug.id}").json()["stock"] == 5
    assert client.get(f"/customers/{ann.id}").json()["storeCreditCents"] == 2000
    assert len(client.get(f"/customers/{ann.id}/credit-history").json()) == 1


def test_restocking_keeps_a_sale_made_meanwhile(
    client: TestClient, db: Session, engine: Engine
) -> None:
    mug = make_product(db, price_cents=1000, stock=6)
    order = make_order(db, make_customer(db), (mug, 2))
    assert mug.stock == 4

    with meanwhile(engine, "UPDATE products SET stock = stock - 1 WHERE id = :id", id=mug.id):
        response = client.post(f"/orders/{order.id}/cancel")

    assert response.status_code == 200, response.text
    assert client.get(f"/products/{mug.id}").json()["stock"] == 4 - 1 + 2


def test_expiry_spares_an_order_paid_meanwhile(
    db: Session, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    ann = make_customer(db)
    mug = make_product(db, stock=10)
    cutoff = datetime(2026, 3, 1)
    first = make_order(db, ann, (mug, 1), created_at=cutoff - timedelta(hours=2))
    second = make_order(db, ann, (mug, 2), created_at=cutoff - timedelta(hours=1))

    paid_meanwhile = "UPDATE orders SET status = 'PAID', credit_used_cents = total_cents"
    with (
        meanwhile(engine, f"{paid_meanwhile} WHERE id = :id", id=second.id),
        session_factory() as job,  # the nightly job's own session
    ):
        expired = expire_pending_orders(job, cutoff=cutoff)
        job.commit()

    assert expired == [first.id]
    with engine.connect() as connection:
        status = connection.execute(
            text("SELECT status FROM orders WHERE id = :id"), {"id": second.id}
        ).scalar_one()
        stock = connection.execute(
            text("SELECT stock FROM products WHERE id = :id"), {"id": mug.id}
        ).scalar_one()
    assert status == "PAID"
    assert stock == 10 - 2
