from factories import make_cart, make_coupon, make_customer, make_product
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session


def test_add_items_and_price_the_cart(client: TestClient, db: Session) -> None:
    ann = make_customer(db)
    mug = make_product(db, name="Mug", price_cents=1250)
    tee = make_product(db, name="Tee", price_cents=1999)
    created = client.post("/carts", json={"customerId": ann.id})
    assert created.status_code == 201, created.text
    cart_id = created.json()["id"]

    client.post(f"/carts/{cart_id}/items", json={"productId": mug.id, "quantity": 1})
    client.post(f"/carts/{cart_id}/items", json={"productId": mug.id, "quantity": 1})
    response = client.post(f"/carts/{cart_id}/items", json={"productId": tee.id, "quantity": 1})

    assert response.status_code == 200, response.text
    body = response.json()
    assert [(i["productName"], i["quantity"], i["lineTotalCents"]) for i in body["items"]] == [
        ("Mug", 2, 2500),
        ("Tee", 1, 1999),
    ]
    assert (body["subtotalCents"], body["discountCents"], body["totalCents"]) == (4499, 0, 4499)
    assert body["status"] == "OPEN"


def test_coupon_preview_does_not_use_the_coupon(client: TestClient, db: Session) -> None:
    cart = make_cart(db, make_customer(db), (make_product(db, price_cents=1225), 1))
    make_coupon(db, code="TEN", percent_off=10, max_uses=1)

    body = client.get(f"/carts/{cart.id}", params={"couponCode": "ten"}).json()

    assert (body["couponCode"], body["discountCents"], body["totalCents"]) == ("TEN", 123, 1102)
    assert client.get("/coupons/TEN").json()["timesUsed"] == 0


def test_line_limit(client: TestClient, db: Session) -> None:
    cart = make_cart(db, make_customer(db))
    mug = make_product(db)
    response = client.post(f"/carts/{cart.id}/items", json={"productId": mug.id, "quantity": 11})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "LINE_LIMIT_EXCEEDED"


def test_inactive_products_cannot_be_added(client: TestClient, db: Session) -> None:
    cart = make_cart(db, make_customer(db))
    old = make_product(db, active=False)
    response = client.post(f"/carts/{cart.id}/items", json={"productId": old.id, "quantity": 1})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "PRODUCT_INACTIVE"


def test_remove_an_item(client: TestClient, db: Session) -> None:
    mug = make_product(db)
    cart = make_cart(db, make_customer(db), (mug, 2))
    response = client.delete(f"/carts/{cart.id}/items/{mug.id}")
    assert response.status_code == 200
    assert response.json()["items"] == []
    again = client.delete(f"/carts/{cart.id}/items/{mug.id}")
    assert again.json()["error"]["code"] == "CART_ITEM_NOT_FOUND"
