from datetime import timedelta

from factories import make_coupon, make_customer, make_order, make_product
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from shopapp.utils.clock import utcnow


def test_admin_routes_need_the_token(client: TestClient, db: Session) -> None:
    order = make_order(db, make_customer(db), (make_product(db), 1), status="PAID")
    for headers in ({}, {"X-Admin-Token": "wrong"}):
        response = client.post(f"/admin/orders/{order.id}/ship", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "ADMIN_TOKEN_INVALID"


def test_ship_a_paid_order(client: TestClient, db: Session, admin_headers: dict[str, str]) -> None:
    customer = make_customer(db)
    paid = make_order(db, customer, (make_product(db), 1), status="PAID")
    pending = make_order(db, customer, (make_product(db), 1))
    shipped = client.post(f"/admin/orders/{paid.id}/ship", headers=admin_headers)
    assert shipped.status_code == 200
    assert shipped.json()["status"] == "SHIPPED"
    refused = client.post(f"/admin/orders/{pending.id}/ship", headers=admin_headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "ORDER_NOT_SHIPPABLE"


def test_expire_pending_orders(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    ann = make_customer(db)
    mug = make_product(db, stock=10)
    coupon = make_coupon(db)
    long_ago = utcnow() - timedelta(hours=3)
    stale = make_order(db, ann, (mug, 2), coupon=coupon, created_at=long_ago)
    fresh = make_order(db, ann, (mug, 1))
    paid = make_order(db, ann, (mug, 1), status="PAID", created_at=long_ago)
    assert db.get(type(mug), mug.id) is not None

    response = client.post("/admin/orders/expire-pending", headers=admin_headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"expiredOrderIds": [stale.id]}
    expired = client.get(f"/orders/{stale.id}").json()
    assert (expired["status"], expired["cancelReason"]) == ("CANCELLED", "EXPIRED")
    assert client.get(f"/orders/{fresh.id}").json()["status"] == "PENDING"
    assert client.get(f"/orders/{paid.id}").json()["status"] == "PAID"
    assert client.get(f"/products/{mug.id}").json()["stock"] == 8
    assert client.get(f"/coupons/{coupon.code}").json()["timesUsed"] == 1
