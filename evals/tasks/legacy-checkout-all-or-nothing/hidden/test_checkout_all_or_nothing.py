import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from start_factories import make_cart, make_coupon, make_customer, make_product

from shopapp.main import app
from shopapp.models import Base, Cart, Coupon, Customer, Product

Snapshot = dict[str, list[tuple[Any, ...]]]
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table, in primary key order."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(table.select().order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


@contextmanager
def count_commits(engine: Engine) -> Iterator[list[int]]:
    commits = [0]

    def on_commit(connection: Any) -> None:
        commits[0] += 1

    event.listen(engine, "commit", on_commit)
    try:
        yield commits
    finally:
        event.remove(engine, "commit", on_commit)


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


def checkout_call(cart_id: int, **body: Any) -> Callable[[], httpx2.Response]:
    def call() -> httpx2.Response:
        with TestClient(app, raise_server_exceptions=False) as client:
            return client.post(f"/carts/{cart_id}/checkout", json=body)

    return call


def full_cart(db: Session, *, credit: int = 10_000) -> tuple[Cart, Customer, Coupon]:
    """A cart that touches every table on checkout: two products, a coupon, store credit."""
    ann = make_customer(db, store_credit_cents=credit)
    mug = make_product(db, name="Mug", price_cents=1250, stock=5)
    tee = make_product(db, name="Tee", price_cents=1999, stock=5)
    coupon = make_coupon(db, code="TEN", percent_off=10, max_uses=3, times_used=1)
    return make_cart(db, ann, (mug, 2), (tee, 1)), ann, coupon


def assert_error(response: httpx2.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)


def test_successful_checkout_is_unchanged(client: TestClient, db: Session) -> None:
    cart, ann, _ = full_cart(db)

    response = client.post(
        f"/carts/{cart.id}/checkout", json={"couponCode": "ten", "useStoreCredit": True}
    )

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "PAID"
    assert [
        (line["productName"], line["quantity"], line["lineTotalCents"]) for line in order["lines"]
    ] == [
        ("Mug", 2, 2500),
        ("Tee", 1, 1999),
    ]
    assert (order["subtotalCents"], order["discountPercent"], order["discountCents"]) == (
        4499,
        10,
        450,
    )
    assert (order["totalCents"], order["creditUsedCents"], order["couponCode"]) == (
        4049,
        4049,
        "TEN",
    )
    assert order["paidAt"] is not None
    assert client.get(f"/orders/{order['id']}").json() == order
    stocks = [
        client.get(f"/products/{line['productId']}").json()["stock"] for line in order["lines"]
    ]
    assert stocks == [3, 4]
    assert client.get("/coupons/TEN").json()["timesUsed"] == 2
    assert client.get(f"/customers/{ann.id}").json()["storeCreditCents"] == 10_000 - 4049
    history = client.get(f"/customers/{ann.id}/credit-history").json()
    assert [(e["amountCents"], e["reason"], e["orderId"]) for e in history] == [
        (-4049, "CHECKOUT", order["id"])
    ]
    assert client.get(f"/carts/{cart.id}").json()["status"] == "CHECKED_OUT"


def test_a_pending_checkout_is_unchanged(client: TestClient, db: Session) -> None:
    ann = make_customer(db, store_credit_cents=0)
    mug = make_product(db, price_cents=700, stock=2)
    cart = make_cart(db, ann, (mug, 2))

    response = client.post(f"/carts/{cart.id}/checkout", json={})

    assert response.status_code == 201, response.text
    order = response.json()
    assert (order["status"], order["totalCents"], order["creditUsedCents"]) == ("PENDING", 1400, 0)
    assert (order["paidAt"], order["couponCode"], order["discountCents"]) == (None, None, 0)
    assert client.get(f"/products/{mug.id}").json()["stock"] == 0
    assert client.get(f"/customers/{ann.id}/credit-history").json() == []


def _no_op(db: Session, cart: Cart, coupon: Coupon) -> None:
    return None


def _last_line_short(db: Session, cart: Cart, coupon: Coupon) -> None:
    product = db.get(Product, cart.items[-1].product_id)
    assert product is not None
    product.stock = 0
    db.commit()


def _last_line_inactive(db: Session, cart: Cart, coupon: Coupon) -> None:
    product = db.get(Product, cart.items[-1].product_id)
    assert product is not None
    product.active = False
    db.commit()


def _coupon_used_up(db: Session, cart: Cart, coupon: Coupon) -> None:
    coupon.times_used = 3
    db.commit()


def _coupon_inactive(db: Session, cart: Cart, coupon: Coupon) -> None:
    coupon.active = False
    db.commit()


def _coupon_minimum(db: Session, cart: Cart, coupon: Coupon) -> None:
    coupon.min_subtotal_cents = 5000
    db.commit()


@pytest.mark.parametrize(
    ("case", "body", "arrange", "status", "code"),
    [
        (
            "not-enough-credit",
            {"couponCode": "TEN", "useStoreCredit": True},
            _no_op,
            402,
            "INSUFFICIENT_CREDIT",
        ),
        ("last-line-out-of-stock", {"couponCode": "TEN"}, _last_line_short, 409, "OUT_OF_STOCK"),
        (
            "last-line-inactive",
            {"useStoreCredit": True},
            _last_line_inactive,
            409,
            "PRODUCT_INACTIVE",
        ),
        ("coupon-used-up", {"couponCode": "TEN"}, _coupon_used_up, 409, "COUPON_EXHAUSTED"),
        ("coupon-inactive", {"couponCode": "TEN"}, _coupon_inactive, 409, "COUPON_INACTIVE"),
        ("coupon-minimum", {"couponCode": "TEN"}, _coupon_minimum, 409, "COUPON_MIN_SUBTOTAL"),
        ("coupon-unknown", {"couponCode": "NOPE"}, _no_op, 404, "COUPON_NOT_FOUND"),
    ],
)
def test_a_failed_checkout_changes_nothing(
    client: TestClient,
    db: Session,
    engine: Engine,
    case: str,
    body: dict[str, Any],
    arrange: Callable[[Session, Cart, Coupon], None],
    status: int,
    code: str,
) -> None:
    credit = 1000 if case == "not-enough-credit" else 10_000
    cart, _, coupon = full_cart(db, credit=credit)
    arrange(db, cart, coupon)
    before = snapshot(engine)

    with count_commits(engine) as commits:
        response = client.post(f"/carts/{cart.id}/checkout", json=body)

    assert_error(response, status, code)
    assert snapshot(engine) == before
    assert commits[0] == 0
    again = client.get(f"/carts/{cart.id}").json()
    assert again["status"] == "OPEN"
    assert [item["quantity"] for item in again["items"]] == [2, 1]


def test_the_customer_can_retry_after_fixing_the_problem(
    client: TestClient, db: Session, engine: Engine
) -> None:
    cart, ann, _ = full_cart(db, credit=1000)
    body = {"couponCode": "TEN", "useStoreCredit": True}
    assert_error(client.post(f"/carts/{cart.id}/checkout", json=body), 402, "INSUFFICIENT_CREDIT")

    assert client.post(f"/customers/{ann.id}/credit", json={"amountCents": 5000}).is_success
    retried = client.post(f"/carts/{cart.id}/checkout", json=body)

    assert retried.status_code == 201, retried.text
    assert retried.json()["totalCents"] == 4049
    assert client.get(f"/customers/{ann.id}").json()["storeCreditCents"] == 6000 - 4049
    assert client.get("/coupons/TEN").json()["timesUsed"] == 2
    assert [line["productName"] for line in retried.json()["lines"]] == ["Mug", "Tee"]


@pytest.mark.parametrize(
    "statement",
    [
        r"\s*UPDATE\s+\"?carts\b",
        r"\s*UPDATE\s+\"?products\b",
        r"\s*UPDATE\s+\"?coupons\b",
        r"\s*INSERT\s+INTO\s+\"?orders\b",
        r"\s*INSERT\s+INTO\s+\"?order_lines\b",
        r"\s*UPDATE\s+\"?customers\b",
        r"\s*INSERT\s+INTO\s+\"?store_credit_entries\b",
    ],
)
def test_a_database_failure_on_any_write_changes_nothing(
    client: TestClient, db: Session, engine: Engine, statement: str
) -> None:
    cart, _, _ = full_cart(db)
    before = snapshot(engine)

    with count_commits(engine) as commits, failing_statement(engine, statement) as failed:
        response = client.post(
            f"/carts/{cart.id}/checkout", json={"couponCode": "TEN", "useStoreCredit": True}
        )

    assert failed, f"checkout never ran a statement matching {statement}"
    assert_error(response, 500, "INTERNAL_ERROR")
    assert snapshot(engine) == before
    assert commits[0] == 0


def test_a_successful_checkout_commits_exactly_once(
    client: TestClient, db: Session, engine: Engine
) -> None:
    cart, _, _ = full_cart(db)
    with count_commits(engine) as commits:
        response = client.post(
            f"/carts/{cart.id}/checkout", json={"couponCode": "TEN", "useStoreCredit": True}
        )
    assert response.status_code == 201, response.text
    assert commits[0] == 1


def test_concurrent_checkouts_never_oversell(
    client: TestClient, db: Session, engine: Engine
) -> None:
    lamp = make_product(db, name="Lamp", price_cents=3000, stock=3)
    carts = [make_cart(db, make_customer(db), (lamp, 2)) for _ in range(2)]

    responses = race(engine, [checkout_call(cart.id) for cart in carts])

    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert_error(loser, 409, "OUT_OF_STOCK")
    assert client.get(f"/products/{lamp.id}").json()["stock"] == 1
    losing_cart = carts[responses.index(loser)]
    assert client.get(f"/carts/{losing_cart.id}").json()["status"] == "OPEN"
    orders = [client.get(f"/customers/{cart.customer_id}/orders").json() for cart in carts]
    assert sorted(len(o) for o in orders) == [0, 1]
