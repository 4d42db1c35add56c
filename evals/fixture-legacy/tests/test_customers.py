from factories import make_customer
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session


def test_create_and_read_a_customer(client: TestClient) -> None:
    created = client.post("/customers", json={"email": "Ann@Example.com", "name": "Ann"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body == {
        "id": body["id"],
        "email": "ann@example.com",
        "name": "Ann",
        "storeCreditCents": 0,
    }
    assert client.get(f"/customers/{body['id']}").json() == body


def test_duplicate_email_is_409(client: TestClient, db: Session) -> None:
    make_customer(db, email="ann@example.com")
    response = client.post("/customers", json={"email": "ANN@example.com", "name": "Ann"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "EMAIL_TAKEN"


def test_unknown_customer_uses_the_error_body(client: TestClient) -> None:
    response = client.get("/customers/999")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "CUSTOMER_NOT_FOUND", "message": "Customer 999 not found"}
    }


def test_invalid_body_is_a_validation_error(client: TestClient) -> None:
    response = client.post("/customers", json={"email": "not-an-email", "name": ""})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert {f["field"] for f in error["fields"]} == {"email", "name"}


def test_top_up_credit_writes_the_ledger(client: TestClient, db: Session) -> None:
    ann = make_customer(db)
    response = client.post(f"/customers/{ann.id}/credit", json={"amountCents": 2500})
    assert response.status_code == 200, response.text
    assert response.json()["storeCreditCents"] == 2500
    history = client.get(f"/customers/{ann.id}/credit-history").json()
    assert [(e["amountCents"], e["reason"], e["orderId"]) for e in history] == [
        (2500, "TOP_UP", None)
    ]


def test_snake_case_field_names_are_accepted_too(client: TestClient, db: Session) -> None:
    ann = make_customer(db)
    response = client.post(f"/customers/{ann.id}/credit", json={"amount_cents": 100})
    assert response.status_code == 200, response.text
    assert response.json()["storeCreditCents"] == 100
