from factories import make_product
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session


def test_create_list_and_patch_products(client: TestClient) -> None:
    first = client.post(
        "/products", json={"sku": "MUG-1", "name": "Mug", "priceCents": 1299, "stock": 4}
    )
    assert first.status_code == 201, first.text
    assert first.json() == {
        "id": first.json()["id"],
        "sku": "MUG-1",
        "name": "Mug",
        "priceCents": 1299,
        "stock": 4,
        "active": True,
    }
    product_id = first.json()["id"]
    patched = client.patch(f"/products/{product_id}", json={"priceCents": 999, "active": False})
    assert patched.status_code == 200
    assert (patched.json()["priceCents"], patched.json()["active"]) == (999, False)
    assert client.get("/products", params={"activeOnly": True}).json() == []
    assert [p["id"] for p in client.get("/products").json()] == [product_id]


def test_duplicate_sku_is_409(client: TestClient, db: Session) -> None:
    make_product(db, sku="MUG-1")
    response = client.post("/products", json={"sku": "MUG-1", "name": "Mug", "priceCents": 1})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "SKU_TAKEN"


def test_prices_are_whole_cents(client: TestClient) -> None:
    response = client.post("/products", json={"sku": "X-1", "name": "X", "priceCents": 12.5})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_unknown_product_is_404(client: TestClient) -> None:
    response = client.get("/products/5")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "PRODUCT_NOT_FOUND"
