from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker
from start_factories import make_coupon, make_customer, make_order, make_product

from shopapp.config import Settings
from shopapp.errors import ApiError
from shopapp.models import Coupon, Customer, Order, Product, StoreCreditEntry
from shopapp.services.cancellation import cancel_order, expire_pending_orders
from shopapp.utils.clock import utcnow


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


def committed(factory: sessionmaker[Session]) -> dict[str, Any]:
    """What another session sees: stock, balances, coupon uses, orders and the credit ledger."""
    with factory() as other:
        return {
            "stock": {p.id: p.stock for p in other.scalars(select(Product))},
            "credit": {c.id: c.store_credit_cents for c in other.scalars(select(Customer))},
            "coupons": {c.code: c.times_used for c in other.scalars(select(Coupon))},
            "orders": {
                o.id: (o.status, o.cancel_reason, o.cancelled_at is not None)
                for o in other.scalars(select(Order))
            },
            "ledger": [
                (e.customer_id, e.amount_cents, e.reason, e.order_id)
                for e in other.scalars(select(StoreCreditEntry).order_by(StoreCreditEntry.id))
            ],
        }


def paid_order(db: Session) -> tuple[Order, Customer, Product, Product, Coupon]:
    ann = make_customer(db, store_credit_cents=100)
    mug = make_product(db, price_cents=1000, stock=5)
    tee = make_product(db, price_cents=2500, stock=2)
    coupon = make_coupon(db, code="TEN", percent_off=10, times_used=2)
    order = make_order(db, ann, (mug, 2), (tee, 1), status="PAID", coupon=coupon)
    return order, ann, mug, tee, coupon


# --- the HTTP endpoints keep their behaviour ------------------------------------------------


def test_cancelling_a_paid_order_over_http(client: TestClient, db: Session) -> None:
    order, ann, mug, tee, _ = paid_order(db)
    assert order.total_cents == 4050

    response = client.post(f"/orders/{order.id}/cancel", json={"reason": "too late"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["status"], body["cancelReason"]) == (order.id, "CANCELLED", "too late")
    assert body["cancelledAt"] is not None
    assert body["creditUsedCents"] == 4050
    assert [line["quantity"] for line in body["lines"]] == [2, 1]
    assert client.get(f"/orders/{order.id}").json() == body
    assert client.get(f"/products/{mug.id}").json()["stock"] == 5
    assert client.get(f"/products/{tee.id}").json()["stock"] == 2
    assert client.get(f"/customers/{ann.id}").json()["storeCreditCents"] == 100 + 4050
    history = client.get(f"/customers/{ann.id}/credit-history").json()
    assert [(e["amountCents"], e["reason"], e["orderId"]) for e in history] == [
        (4050, "CANCEL_REFUND", order.id)
    ]
    assert client.get("/coupons/TEN").json()["timesUsed"] == 2


def test_cancelling_a_pending_order_over_http(client: TestClient, db: Session) -> None:
    ann = make_customer(db)
    mug = make_product(db, stock=3, active=True)
    order = make_order(db, ann, (mug, 3))
    mug.active = False  # withdrawn products get their stock back too
    db.commit()

    response = client.post(f"/orders/{order.id}/cancel")

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["cancelReason"]) == (
        "CANCELLED",
        "CUSTOMER_REQUEST",
    )
    assert client.get(f"/products/{mug.id}").json()["stock"] == 3
    assert client.get(f"/customers/{ann.id}/credit-history").json() == []


def test_a_coupon_use_count_never_goes_below_zero(client: TestClient, db: Session) -> None:
    coupon = make_coupon(db, code="ZERO")
    order = make_order(db, make_customer(db), (make_product(db), 1), coupon=coupon)
    coupon.times_used = 0
    db.commit()

    assert client.post(f"/orders/{order.id}/cancel").status_code == 200
    assert client.get("/coupons/ZERO").json()["timesUsed"] == 0


@pytest.mark.parametrize("status", ["SHIPPED", "CANCELLED"])
def test_orders_past_paid_cannot_be_cancelled_over_http(
    client: TestClient, db: Session, session_factory: sessionmaker[Session], status: str
) -> None:
    order = make_order(db, make_customer(db), (make_product(db, stock=4), 1), status=status)
    before = committed(session_factory)

    response = client.post(f"/orders/{order.id}/cancel")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ORDER_NOT_CANCELLABLE"
    assert isinstance(response.json()["error"]["message"], str)
    assert committed(session_factory) == before


def test_unknown_order_over_http(client: TestClient) -> None:
    response = client.post("/orders/404/cancel")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "ORDER_NOT_FOUND", "message": "Order 404 not found"}
    }


def test_expiry_over_http(
    client: TestClient, db: Session, settings: Settings, admin_headers: dict[str, str]
) -> None:
    settings.pending_order_ttl_minutes = 30
    ann = make_customer(db)
    mug = make_product(db, stock=20)
    coupon = make_coupon(db, code="KEEP")
    now = utcnow()
    old_second = make_order(db, ann, (mug, 1), created_at=now - timedelta(minutes=45))
    old_first = make_order(db, ann, (mug, 2), coupon=coupon, created_at=now - timedelta(hours=5))
    fresh = make_order(db, ann, (mug, 4), created_at=now - timedelta(minutes=20))
    paid = make_order(db, ann, (mug, 8), status="PAID", created_at=now - timedelta(hours=5))
    assert mug.stock == 5

    response = client.post("/admin/orders/expire-pending", headers=admin_headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"expiredOrderIds": [old_second.id, old_first.id]}
    for order in (old_first, old_second):
        expired = client.get(f"/orders/{order.id}").json()
        assert (expired["status"], expired["cancelReason"]) == ("CANCELLED", "EXPIRED")
        assert expired["cancelledAt"] is not None
    assert client.get(f"/orders/{fresh.id}").json()["status"] == "PENDING"
    assert client.get(f"/orders/{paid.id}").json()["status"] == "PAID"
    assert client.get(f"/products/{mug.id}").json()["stock"] == 8
    assert client.get("/coupons/KEEP").json()["timesUsed"] == 1  # expiry keeps the coupon use
    again = client.post("/admin/orders/expire-pending", headers=admin_headers)
    assert again.json() == {"expiredOrderIds": []}


def test_expiry_still_needs_the_admin_token(client: TestClient) -> None:
    response = client.post("/admin/orders/expire-pending")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "ADMIN_TOKEN_INVALID"


# --- the service, without HTTP --------------------------------------------------------------


def test_cancel_order_works_in_the_callers_transaction(
    db: Session, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    order, ann, mug, tee, _ = paid_order(db)
    before = committed(session_factory)

    with count_commits(engine) as commits:
        cancelled = cancel_order(db, order.id, reason="support ticket 7")

    assert commits[0] == 0
    assert cancelled is db.get(Order, order.id)
    assert (cancelled.status, cancelled.cancel_reason) == ("CANCELLED", "support ticket 7")
    assert isinstance(cancelled.cancelled_at, datetime)
    assert committed(session_factory) == before  # nothing is committed until the caller commits

    db.commit()
    after = committed(session_factory)
    assert after["orders"][order.id] == ("CANCELLED", "support ticket 7", True)
    assert after["stock"] == {mug.id: 5, tee.id: 2}
    assert after["credit"] == {ann.id: 100 + 4050}
    assert after["coupons"] == {"TEN": 2}
    assert after["ledger"] == [(ann.id, 4050, "CANCEL_REFUND", order.id)]


def test_cancel_order_is_undone_when_the_caller_rolls_back(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    order, *_ = paid_order(db)
    before = committed(session_factory)

    cancel_order(db, order.id)
    db.rollback()

    assert committed(session_factory) == before
    assert committed(session_factory)["orders"][order.id] == ("PAID", None, False)


def test_cancel_order_defaults_and_keeping_the_coupon(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    order, *_ = paid_order(db)

    cancelled = cancel_order(db, order.id, release_coupon=False)
    db.commit()

    assert cancelled.cancel_reason == "CUSTOMER_REQUEST"
    assert committed(session_factory)["coupons"] == {"TEN": 3}


@pytest.mark.parametrize(("status", "found"), [("SHIPPED", True), ("CANCELLED", True), ("", False)])
def test_cancel_order_errors_leave_the_callers_work_alone(
    db: Session, session_factory: sessionmaker[Session], status: str, found: bool
) -> None:
    mug = make_product(db, price_cents=500, stock=4)
    order = make_order(db, make_customer(db), (mug, 1), status=status or "PAID")
    order_id = order.id if found else order.id + 100
    mug.price_cents = 650  # the caller's own pending change, not committed yet

    with pytest.raises(ApiError) as raised:
        cancel_order(db, order_id)

    error = raised.value
    if found:
        assert (error.status_code, error.code) == (409, "ORDER_NOT_CANCELLABLE")
    else:
        assert (error.status_code, error.code) == (404, "ORDER_NOT_FOUND")
        assert error.message == f"Order {order_id} not found"
    db.commit()  # the caller's transaction is still usable and still holds its change
    with session_factory() as other:
        reread = other.get(Product, mug.id)
        assert reread is not None
        assert (reread.price_cents, reread.stock) == (650, 3)
    assert committed(session_factory)["orders"][order.id][0] == (status or "PAID")


def test_expire_pending_orders_without_http(
    db: Session, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    ann = make_customer(db)
    mug = make_product(db, stock=10)
    coupon = make_coupon(db, code="KEEP")
    cutoff = datetime(2026, 3, 1, 12, 0)
    older = make_order(db, ann, (mug, 2), coupon=coupon, created_at=cutoff - timedelta(days=1))
    oldest = make_order(db, ann, (mug, 1), created_at=cutoff - timedelta(days=9))
    on_the_cutoff = make_order(db, ann, (mug, 1), created_at=cutoff)
    later = make_order(db, ann, (mug, 1), created_at=cutoff + timedelta(seconds=1))
    paid = make_order(db, ann, (mug, 1), status="PAID", created_at=cutoff - timedelta(days=2))
    before = committed(session_factory)

    with count_commits(engine) as commits:
        expired = expire_pending_orders(db, cutoff=cutoff)

    assert expired == [older.id, oldest.id]
    assert commits[0] == 0
    assert committed(session_factory) == before
    db.commit()
    after = committed(session_factory)
    assert after["orders"][older.id] == ("CANCELLED", "EXPIRED", True)
    assert after["orders"][oldest.id] == ("CANCELLED", "EXPIRED", True)
    for kept in (on_the_cutoff, later):
        assert after["orders"][kept.id] == ("PENDING", None, False)
    assert after["orders"][paid.id] == ("PAID", None, False)
    assert after["stock"] == {mug.id: 4 + 3}
    assert after["coupons"] == {"KEEP": 1}
    assert expire_pending_orders(db, cutoff=cutoff) == []


def test_expire_pending_orders_is_undone_by_a_rollback(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    make_order(db, make_customer(db), (make_product(db), 1), created_at=datetime(2026, 1, 1))
    before = committed(session_factory)

    assert len(expire_pending_orders(db, cutoff=datetime(2026, 2, 1))) == 1
    db.rollback()

    assert committed(session_factory) == before
