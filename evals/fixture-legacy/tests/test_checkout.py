from factories import make_cart, make_coupon, make_customer, make_product
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopapp.models import Order


def test_checkout_places_a_pending_order(client: TestClient, db: Session) -> None:
    ann = make_customer(db)
    mug = make_product(db, name="Mug", price_cents=1250, stock=5)
    cart = make_cart(db, ann, (mug, 2))

    response = client.post(f"/carts/{cart.id}/checkout", json={})

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "PENDING"
    line_fields = ("productId", "productName", "quantity", "unitPriceCents", "lineTotalCents")
    assert [{k: line[k] for k in line_fields} for line in order["lines"]] == [
        {
            "productId": mug.id,
            "productName": "Mug",
            "quantity": 2,
            "unitPriceCents": 1250,
            "lineTotalCents": 2500,
        }
    ]
    assert (order["subtotalCents"], order["discountCents"], order["totalCents"]) == (2500, 0, 2500)
    assert (order["creditUsedCents"], order["paidAt"]) == (0, None)
    assert client.get(f"/products/{mug.id}").json()["stock"] == 3
    assert client.get(f"/carts/{cart.id}").json()["status"] == "CHECKED_OUT"
    assert client.get(f"/orders/{order['id']}").json() == order


def test_checkout_with_coupon_and_store_credit(client: TestClient, db: Session) -> None:
    ann = make_customer(db, store_credit_cents=5000)
    mug = make_product(db, price_cents=1225, stock=5)
    make_coupon(db, code="TEN", percent_off=10, max_uses=5)
    cart = make_cart(db, ann, (mug, 1))

    response = client.post(
        f"/carts/{cart.id}/checkout", json={"couponCode": "TEN", "useStoreCredit": True}
    )

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "PAID"
    assert (order["discountPercent"], order["discountCents"], order["totalCents"]) == (
        10,
        123,
        1102,
    )
    assert order["creditUsedCents"] == 1102
    assert client.get(f"/customers/{ann.id}").json()["storeCreditCents"] == 3898
    assert client.get("/coupons/TEN").json()["timesUsed"] == 1
    history = client.get(f"/customers/{ann.id}/credit-history").json()
    assert [(e["amountCents"], e["reason"], e["orderId"]) for e in history] == [
        (-1102, "CHECKOUT", order["id"])
    ]


def test_checkout_of_a_closed_or_empty_cart(client: TestClient, db: Session) -> None:
    ann = make_customer(db)
    empty = make_cart(db, ann)
    response = client.post(f"/carts/{empty.id}/checkout", json={})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CART_EMPTY"

    cart = make_cart(db, ann, (make_product(db), 1))
    assert client.post(f"/carts/{cart.id}/checkout", json={}).status_code == 201
    again = client.post(f"/carts/{cart.id}/checkout", json={})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CART_CLOSED"
    assert db.scalar(select(func.count()).select_from(Order)) == 1


def test_unknown_coupon_is_404_and_places_nothing(client: TestClient, db: Session) -> None:
    cart = make_cart(db, make_customer(db), (make_product(db), 1))
    response = client.post(f"/carts/{cart.id}/checkout", json={"couponCode": "NOPE"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "COUPON_NOT_FOUND"
    assert db.scalar(select(func.count()).select_from(Order)) == 0


def test_out_of_stock_is_409(client: TestClient, db: Session) -> None:
    mug = make_product(db, stock=1)
    cart = make_cart(db, make_customer(db), (mug, 2))
    response = client.post(f"/carts/{cart.id}/checkout", json={})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "OUT_OF_STOCK"
    assert client.get(f"/products/{mug.id}").json()["stock"] == 1
