from factories import make_coupon, make_customer, make_order, make_product
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session


def test_pay_a_pending_order_with_store_credit(client: TestClient, db: Session) -> None:
    ann = make_customer(db, store_credit_cents=3000)
    order = make_order(db, ann, (make_product(db, price_cents=1000), 2))

    response = client.post(f"/orders/{order.id}/pay")

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["creditUsedCents"]) == ("PAID", 2000)
    assert response.json()["paidAt"] is not None
    assert client.get(f"/customers/{ann.id}").json()["storeCreditCents"] == 1000
    again = client.post(f"/orders/{order.id}/pay")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ORDER_NOT_PAYABLE"


def test_paying_without_enough_credit_is_402(client: TestClient, db: Session) -> None:
    order = make_order(db, make_customer(db, store_credit_cents=10), (make_product(db), 1))
    response = client.post(f"/orders/{order.id}/pay")
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "INSUFFICIENT_CREDIT"
    assert client.get(f"/orders/{order.id}").json()["status"] == "PENDING"


def test_cancel_a_paid_order(client: TestClient, db: Session) -> None:
    ann = make_customer(db)
    mug = make_product(db, price_cents=1000, stock=5)
    coupon = make_coupon(db, percent_off=10)
    order = make_order(db, ann, (mug, 2), status="PAID", coupon=coupon)

    response = client.post(f"/orders/{order.id}/cancel", json={"reason": "changed my mind"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["cancelReason"]) == ("CANCELLED", "changed my mind")
    assert body["cancelledAt"] is not None
    assert client.get(f"/products/{mug.id}").json()["stock"] == 5
    assert client.get(f"/customers/{ann.id}").json()["storeCreditCents"] == 1800
    assert client.get(f"/coupons/{coupon.code}").json()["timesUsed"] == 0
    history = client.get(f"/customers/{ann.id}/credit-history").json()
    assert [(e["amountCents"], e["reason"]) for e in history] == [(1800, "CANCEL_REFUND")]


def test_cancel_without_a_body_uses_the_default_reason(client: TestClient, db: Session) -> None:
    order = make_order(db, make_customer(db), (make_product(db), 1))
    response = client.post(f"/orders/{order.id}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["cancelReason"] == "CUSTOMER_REQUEST"


def test_shipped_orders_cannot_be_cancelled(client: TestClient, db: Session) -> None:
    order = make_order(db, make_customer(db), (make_product(db), 1), status="SHIPPED")
    response = client.post(f"/orders/{order.id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ORDER_NOT_CANCELLABLE"


def test_unknown_order_is_404(client: TestClient) -> None:
    response = client.get("/orders/77")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "ORDER_NOT_FOUND", "message": "Order 77 not found"}
    }


def test_customer_order_history_is_newest_first(client: TestClient, db: Session) -> None:
    ann = make_customer(db)
    mug = make_product(db)
    first = make_order(db, ann, (mug, 1))
    second = make_order(db, ann, (mug, 2))
    make_order(db, make_customer(db), (mug, 1))
    history = client.get(f"/customers/{ann.id}/orders").json()
    assert [o["id"] for o in history] == [second.id, first.id]
