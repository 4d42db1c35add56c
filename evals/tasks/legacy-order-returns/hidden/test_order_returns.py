from datetime import timedelta
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from start_factories import make_coupon, make_customer, make_order, make_product

from shopapp.config import Settings
from shopapp.models import Base, Coupon, Customer, Order, Product
from shopapp.utils.clock import utcnow

JSON = dict[str, Any]


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary key order."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(table.select().order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


def paid_order(
    db: Session,
    *lines: tuple[Product, int],
    coupon: Coupon | None = None,
    status: str = "PAID",
    days_ago: float = 1,
) -> tuple[Order, Customer]:
    ann = make_customer(db, store_credit_cents=500)
    when = utcnow() - timedelta(days=days_ago)
    order = make_order(db, ann, *lines, status=status, coupon=coupon, created_at=when)
    return order, ann


def send_back(
    client: TestClient, order_id: int, *items: tuple[Product, int], reason: str | None = None
) -> httpx2.Response:
    body: JSON = {"items": [{"productId": p.id, "quantity": q} for p, q in items]}
    if reason is not None:
        body["reason"] = reason
    return client.post(f"/orders/{order_id}/returns", json=body)


def assert_error(response: httpx2.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)


def credit(client: TestClient, customer_id: int) -> int:
    value: int = client.get(f"/customers/{customer_id}").json()["storeCreditCents"]
    return value


def stock(client: TestClient, product_id: int) -> int:
    value: int = client.get(f"/products/{product_id}").json()["stock"]
    return value


def test_a_partial_return_refunds_store_credit(client: TestClient, db: Session) -> None:
    mug = make_product(db, name="Mug", price_cents=1225, stock=10)
    tee = make_product(db, name="Tee", price_cents=2000, stock=10)
    coupon = make_coupon(db, code="TEN", percent_off=10)
    order, ann = paid_order(db, (mug, 3), (tee, 1), coupon=coupon)
    assert (order.subtotal_cents, order.discount_cents, order.total_cents) == (5675, 568, 5107)

    response = send_back(client, order.id, (mug, 1), reason="chipped")

    assert response.status_code == 201, response.text
    created = response.json()
    assert isinstance(created["id"], int)
    assert isinstance(created["createdAt"], str)
    assert {k: v for k, v in created.items() if k not in ("id", "createdAt")} == {
        "orderId": order.id,
        "items": [{"productId": mug.id, "quantity": 1}],
        "refundCents": 1225 - 123,  # 10 % of 1225 is 122.5, rounded half up
        "reason": "chipped",
    }
    assert stock(client, mug.id) == 7 + 1
    assert stock(client, tee.id) == 9
    assert credit(client, ann.id) == 500 + 1102
    history = client.get(f"/customers/{ann.id}/credit-history").json()
    assert [(e["amountCents"], e["reason"], e["orderId"]) for e in history] == [
        (1102, "RETURN_REFUND", order.id)
    ]
    after = client.get(f"/orders/{order.id}").json()
    assert (after["status"], after["refundedCents"], after["totalCents"]) == (
        "PARTIALLY_RETURNED",
        1102,
        5107,
    )
    assert [(line["productId"], line["returnedQuantity"]) for line in after["lines"]] == [
        (mug.id, 1),
        (tee.id, 0),
    ]
    assert client.get(f"/orders/{order.id}/returns").json() == [created]


def test_orders_without_returns_show_zeroes(client: TestClient, db: Session) -> None:
    order, _ = paid_order(db, (make_product(db), 2))
    body = client.get(f"/orders/{order.id}").json()
    assert body["refundedCents"] == 0
    assert [line["returnedQuantity"] for line in body["lines"]] == [0]
    assert client.get(f"/orders/{order.id}/returns").json() == []


def test_returning_everything_refunds_exactly_the_total(client: TestClient, db: Session) -> None:
    mug = make_product(db, price_cents=1225, stock=0)
    tee = make_product(db, price_cents=1225, stock=0)
    coupon = make_coupon(db, code="TEN", percent_off=10)
    order, ann = paid_order(db, (mug, 1), (tee, 1), coupon=coupon, status="SHIPPED")
    assert order.total_cents == 2450 - 245

    first = send_back(client, order.id, (mug, 1))
    last = send_back(client, order.id, (tee, 1))

    assert first.status_code == 201, first.text
    assert last.status_code == 201, last.text
    assert first.json()["refundCents"] == 1102
    assert last.json()["refundCents"] == 2205 - 1102  # the remainder, not 1102 again
    after = client.get(f"/orders/{order.id}").json()
    assert (after["status"], after["refundedCents"]) == ("RETURNED", 2205)
    assert credit(client, ann.id) == 500 + 2205
    assert [r["refundCents"] for r in client.get(f"/orders/{order.id}/returns").json()] == [
        1102,
        1103,
    ]
    assert_error(send_back(client, order.id, (mug, 1)), 409, "ORDER_NOT_RETURNABLE")


def test_refunds_never_exceed_what_was_paid(client: TestClient, db: Session) -> None:
    mug = make_product(db, price_cents=1224, stock=0)
    pin = make_product(db, price_cents=1, stock=0)
    coupon = make_coupon(db, code="TEN", percent_off=10)
    order, ann = paid_order(db, (mug, 4), (pin, 1), coupon=coupon)
    assert order.total_cents == 4897 - 490

    refunds = [send_back(client, order.id, (mug, 1)).json()["refundCents"] for _ in range(4)]

    assert refunds == [1102, 1102, 1102, 4407 - 3 * 1102]
    after = client.get(f"/orders/{order.id}").json()
    assert (after["status"], after["refundedCents"]) == ("PARTIALLY_RETURNED", 4407)
    assert credit(client, ann.id) == 500 + 4407


def test_one_request_can_return_several_products(client: TestClient, db: Session) -> None:
    mug = make_product(db, price_cents=1000, stock=2)
    tee = make_product(db, price_cents=2500, stock=2)
    order, _ = paid_order(db, (mug, 2), (tee, 2))

    response = send_back(client, order.id, (tee, 2), (mug, 1))

    assert response.status_code == 201, response.text
    assert response.json()["items"] == [
        {"productId": tee.id, "quantity": 2},
        {"productId": mug.id, "quantity": 1},
    ]
    assert response.json()["refundCents"] == 6000
    assert response.json()["reason"] is None
    assert (stock(client, mug.id), stock(client, tee.id)) == (1, 2)


def test_withdrawn_products_go_back_to_stock_too(client: TestClient, db: Session) -> None:
    mug = make_product(db, price_cents=1000, stock=3)
    order, _ = paid_order(db, (mug, 2))
    mug.active = False
    db.commit()
    assert send_back(client, order.id, (mug, 2)).status_code == 201
    assert stock(client, mug.id) == 3


def test_quantities_count_earlier_returns(client: TestClient, db: Session, engine: Engine) -> None:
    mug = make_product(db, price_cents=1000, stock=0)
    order, _ = paid_order(db, (mug, 3))
    assert send_back(client, order.id, (mug, 2)).status_code == 201
    before = snapshot(engine)

    assert_error(send_back(client, order.id, (mug, 2)), 409, "RETURN_QUANTITY_EXCEEDED")

    assert snapshot(engine) == before
    assert send_back(client, order.id, (mug, 1)).status_code == 201
    assert client.get(f"/orders/{order.id}").json()["status"] == "RETURNED"


@pytest.mark.parametrize(
    ("items", "status", "code"),
    [
        ([("mug", 1), ("tee", 3)], 409, "RETURN_QUANTITY_EXCEEDED"),
        ([("mug", 1), ("other", 1)], 422, "PRODUCT_NOT_ON_ORDER"),
    ],
)
def test_a_refused_return_changes_nothing(
    client: TestClient,
    db: Session,
    engine: Engine,
    items: list[tuple[str, int]],
    status: int,
    code: str,
) -> None:
    products = {
        "mug": make_product(db, price_cents=1000, stock=4),
        "tee": make_product(db, price_cents=2000, stock=4),
        "other": make_product(db, price_cents=500, stock=4),
    }
    order, _ = paid_order(db, (products["mug"], 2), (products["tee"], 2))
    before = snapshot(engine)

    response = send_back(client, order.id, *[(products[name], q) for name, q in items])

    assert_error(response, status, code)
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    "body",
    [
        {"items": []},
        {"items": [{"productId": 1, "quantity": 0}]},
        {"items": [{"productId": 1, "quantity": -1}]},
        {"items": [{"productId": 1, "quantity": 1}, {"productId": 1, "quantity": 1}]},
        {"items": [{"productId": 1, "quantity": 1}], "reason": "x" * 201},
        {"items": [{"productId": 1, "quantity": 1.5}]},
        {},
    ],
)
def test_invalid_bodies_are_validation_errors(
    client: TestClient, db: Session, engine: Engine, body: JSON
) -> None:
    mug = make_product(db, price_cents=1000, stock=4)
    order, _ = paid_order(db, (mug, 2))
    assert mug.id == 1
    before = snapshot(engine)

    response = client.post(f"/orders/{order.id}/returns", json=body)

    assert_error(response, 422, "VALIDATION_ERROR")
    assert snapshot(engine) == before


@pytest.mark.parametrize("status", ["PENDING", "CANCELLED"])
def test_orders_not_paid_cannot_be_returned(
    client: TestClient, db: Session, engine: Engine, status: str
) -> None:
    mug = make_product(db)
    order, _ = paid_order(db, (mug, 1), status=status)
    before = snapshot(engine)
    assert_error(send_back(client, order.id, (mug, 1)), 409, "ORDER_NOT_RETURNABLE")
    assert snapshot(engine) == before


def test_unknown_orders(client: TestClient) -> None:
    response = client.post("/orders/999/returns", json={"items": [{"productId": 1, "quantity": 1}]})
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "ORDER_NOT_FOUND", "message": "Order 999 not found"}
    }
    assert_error(client.get("/orders/999/returns"), 404, "ORDER_NOT_FOUND")


def test_the_return_window_is_a_setting(
    client: TestClient, db: Session, engine: Engine, settings: Settings
) -> None:
    settings.return_window_days = 7
    mug = make_product(db)
    late, _ = paid_order(db, (mug, 1), days_ago=8)
    in_time, _ = paid_order(db, (mug, 1), days_ago=6)
    before = snapshot(engine)

    assert_error(send_back(client, late.id, (mug, 1)), 409, "RETURN_WINDOW_CLOSED")
    assert snapshot(engine) == before
    assert send_back(client, in_time.id, (mug, 1)).status_code == 201


def test_the_default_window_is_30_days(client: TestClient, db: Session) -> None:
    mug = make_product(db)
    late, _ = paid_order(db, (mug, 1), days_ago=31)
    in_time, _ = paid_order(db, (mug, 1), days_ago=29)
    assert_error(send_back(client, late.id, (mug, 1)), 409, "RETURN_WINDOW_CLOSED")
    assert send_back(client, in_time.id, (mug, 1)).status_code == 201


def test_the_window_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().return_window_days == 30
    monkeypatch.setenv("SHOP_RETURN_WINDOW_DAYS", "14")
    assert Settings().return_window_days == 14


def test_the_window_counts_from_payment(client: TestClient, db: Session) -> None:
    mug = make_product(db)
    order, _ = paid_order(db, (mug, 1), days_ago=40)
    order.paid_at = utcnow() - timedelta(days=2)  # placed long ago, paid two days ago
    db.commit()
    assert send_back(client, order.id, (mug, 1)).status_code == 201


def test_a_partially_returned_order_cannot_be_cancelled(client: TestClient, db: Session) -> None:
    mug = make_product(db, price_cents=1000, stock=0)
    order, _ = paid_order(db, (mug, 2))
    assert send_back(client, order.id, (mug, 1)).status_code == 201
    assert_error(client.post(f"/orders/{order.id}/cancel"), 409, "ORDER_NOT_CANCELLABLE")
