from typing import Any

import httpx

JSON = dict[str, Any]


async def register(client: httpx.AsyncClient, email: str, name: str = "Ann") -> JSON:
    response = await client.post("/customers", json={"email": email, "name": name})
    assert response.status_code == 201, response.text
    body: JSON = response.json()
    return body


async def test_rename_keeps_the_email(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann@example.com")

    response = await client.patch(f"/customers/{ann['id']}", json={"name": "  Ann Smith "})

    assert response.status_code == 200, response.text
    expected = {"id": ann["id"], "email": "ann@example.com", "name": "Ann Smith"}
    assert response.json() == expected
    assert (await client.get(f"/customers/{ann['id']}")).json() == expected


async def test_change_email_is_normalised_and_saved(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann@example.com")

    response = await client.patch(f"/customers/{ann['id']}", json={"email": "Ann.S@Example.org"})

    assert response.status_code == 200, response.text
    expected = {"id": ann["id"], "email": "ann.s@example.org", "name": "Ann"}
    assert response.json() == expected
    assert (await client.get(f"/customers/{ann['id']}")).json() == expected
    # The old address is free again.
    assert (await register(client, "ann@example.com", "Other"))["email"] == "ann@example.com"


async def test_change_both_fields(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann@example.com")
    response = await client.patch(
        f"/customers/{ann['id']}", json={"email": "a@example.net", "name": "A"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"id": ann["id"], "email": "a@example.net", "name": "A"}
    assert (await client.get(f"/customers/{ann['id']}")).json() == response.json()


async def test_own_email_in_another_case_is_not_a_conflict(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann@example.com")
    response = await client.patch(
        f"/customers/{ann['id']}", json={"email": "ANN@example.com", "name": "Ann B"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"id": ann["id"], "email": "ann@example.com", "name": "Ann B"}


async def test_email_of_another_customer_is_409(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann@example.com")
    await register(client, "bob@example.com", "Bob")

    response = await client.patch(
        f"/customers/{ann['id']}", json={"email": "Bob@Example.com", "name": "Changed"}
    )

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "duplicate_email"
    assert isinstance(response.json()["detail"], str)
    assert (await client.get(f"/customers/{ann['id']}")).json() == ann


async def test_unknown_customer_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch("/customers/42", json={"name": "Nobody"})
    assert response.status_code == 404
    assert response.json() == {"detail": "customer 42 not found", "code": "customer_not_found"}


INVALID_BODIES: list[JSON] = [
    {},
    {"email": "not-an-email"},
    {"email": "ann@"},
    {"email": ""},
    {"name": ""},
    {"name": "   "},
    {"name": "x" * 201},
    {"name": None},
    {"email": None},
    {"name": "Ann", "nickname": "A"},
    {"id": 2},
]


async def test_invalid_updates_are_422_and_change_nothing(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann@example.com")
    for body in INVALID_BODIES:
        response = await client.patch(f"/customers/{ann['id']}", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await client.get(f"/customers/{ann['id']}")).json() == ann
