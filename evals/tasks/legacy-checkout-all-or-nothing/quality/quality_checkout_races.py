import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from start_factories import make_cart, make_coupon, make_customer, make_product

from shopapp.main import app

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


def checkout_call(cart_id: int, **body: Any) -> Callable[[], httpx2.Response]:
    def call() -> httpx2.Response:
        with TestClient(app, raise_server_exceptions=False) as client:
            return client.post(f"/carts/{cart_id}/checkout", json=body)

    return call


def test_a_double_submitted_checkout_places_one_order(
    client: TestClient, db: Session, engine: Engine
) -> None:
    ann = make_customer(db)
    mug = make_product(db, price_cents=1000, stock=10)
    cart = make_cart(db, ann, (mug, 2))

    responses = race(engine, [checkout_call(cart.id), checkout_call(cart.id)])

    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    assert next(r for r in responses if r.status_code == 409).json()["error"]["code"] == (
        "CART_CLOSED"
    )
    assert len(client.get(f"/customers/{ann.id}/orders").json()) == 1
    assert client.get(f"/products/{mug.id}").json()["stock"] == 8


def test_the_last_use_of_a_coupon_is_redeemed_once(
    client: TestClient, db: Session, engine: Engine
) -> None:
    mug = make_product(db, price_cents=1000, stock=10)
    make_coupon(db, code="LAST", percent_off=50, max_uses=1)
    carts = [make_cart(db, make_customer(db), (mug, 1)) for _ in range(2)]

    responses = race(engine, [checkout_call(c.id, couponCode="LAST") for c in carts])

    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    assert next(r for r in responses if r.status_code == 409).json()["error"]["code"] == (
        "COUPON_EXHAUSTED"
    )
    assert client.get("/coupons/LAST").json()["timesUsed"] == 1
    assert client.get(f"/products/{mug.id}").json()["stock"] == 9


def test_store_credit_is_never_spent_twice(client: TestClient, db: Session, engine: Engine) -> None:
    ann = make_customer(db, store_credit_cents=1500)
    mug = make_product(db, price_cents=1000, stock=10)
    carts = [make_cart(db, ann, (mug, 1)) for _ in range(2)]

    responses = race(engine, [checkout_call(c.id, useStoreCredit=True) for c in carts])

    assert sorted(r.status_code for r in responses) == [201, 402], [r.text for r in responses]
    assert client.get(f"/customers/{ann.id}").json()["storeCreditCents"] == 500
    history = client.get(f"/customers/{ann.id}/credit-history").json()
    assert [e["amountCents"] for e in history] == [-1000]
    assert client.get(f"/products/{mug.id}").json()["stock"] == 9
