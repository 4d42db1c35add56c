import hashlib
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from ordersvc.config import Settings

SECRET = "hidden-test-secret-" + "0123456789abcdef" * 4
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-123"
JSON = dict[str, Any]
PRODUCT = {"sku": "SKU-1", "name": "Widget", "price": "12.50", "currency": "EUR"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/auth.db",
        auth_enabled=True,
        jwt_secret=SECRET,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
    )


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/token", json={"email": email, "password": password})


async def token_for(client: httpx.AsyncClient, email: str, password: str) -> str:
    response = await login(client, email, password)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_user(
    client: httpx.AsyncClient, admin_token: str, email: str, password: str, role: str
) -> httpx.Response:
    return await client.post(
        "/users",
        json={"email": email, "password": password, "role": role},
        headers=bearer(admin_token),
    )


async def customer_token(client: httpx.AsyncClient, admin_token: str) -> str:
    created = await create_user(
        client, admin_token, "carl@example.com", "carl-password-1", "customer"
    )
    assert created.status_code == 201, created.text
    return await token_for(client, "carl@example.com", "carl-password-1")


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert set(response.json()) >= {"detail", "code"}


def craft(**overrides: Any) -> str:
    now = int(time.time())
    claims: JSON = {"sub": "1", "role": "admin", "iat": now, "exp": now + 600} | overrides
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def test_admin_token_and_its_claims(client: httpx.AsyncClient) -> None:
    response = await login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    assert isinstance(body["expires_in"], int)
    assert body["expires_in"] > 0
    token = body["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["role"] == "admin"
    assert isinstance(claims["sub"], str)
    assert claims["sub"]
    assert time.time() < claims["exp"] <= time.time() + body["expires_in"] + 5

    created = await client.post("/products", json=PRODUCT, headers=bearer(token))
    assert created.status_code == 201, created.text
    changed = await client.put(
        "/products/1/price", json={"price": "9.99", "currency": "EUR"}, headers=bearer(token)
    )
    assert changed.status_code == 200
    assert changed.json()["price"] == "9.99"


async def test_wrong_credentials_are_401(client: httpx.AsyncClient) -> None:
    assert (await login(client, ADMIN_EMAIL, "wrong-password-1")).status_code == 401
    assert (await login(client, "nobody@example.com", ADMIN_PASSWORD)).status_code == 401


async def test_writes_need_a_token_reads_do_not(client: httpx.AsyncClient) -> None:
    assert_unauthenticated(await client.post("/products", json=PRODUCT))
    assert_unauthenticated(
        await client.put("/products/1/price", json={"price": "1.00", "currency": "EUR"})
    )
    assert_unauthenticated(
        await client.post("/products", json=PRODUCT, headers={"Authorization": "Basic YTpi"})
    )
    assert_unauthenticated(await client.post("/products", json=PRODUCT, headers=bearer("x.y.z")))

    admin = await token_for(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert (await client.post("/products", json=PRODUCT, headers=bearer(admin))).status_code == 201
    assert (await client.get("/products")).status_code == 200
    assert (await client.get("/products/1")).json()["sku"] == "SKU-1"


async def test_customers_are_forbidden_from_catalogue_writes(client: httpx.AsyncClient) -> None:
    admin = await token_for(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert (await client.post("/products", json=PRODUCT, headers=bearer(admin))).status_code == 201
    carl = await customer_token(client, admin)
    assert jwt.decode(carl, SECRET, algorithms=["HS256"])["role"] == "customer"

    create = await client.post("/products", json=PRODUCT | {"sku": "SKU-2"}, headers=bearer(carl))
    assert create.status_code == 403, create.text
    assert isinstance(create.json()["code"], str)
    price = await client.put(
        "/products/1/price", json={"price": "0.01", "currency": "EUR"}, headers=bearer(carl)
    )
    assert price.status_code == 403
    assert (await client.get("/products/1")).json()["price"] == "12.50"

    spoofed = await client.post(
        "/products",
        json=PRODUCT | {"sku": "SKU-3"},
        headers=bearer(carl) | {"X-Role": "admin", "X-User-Role": "admin"},
    )
    assert spoofed.status_code == 403
    assert (await client.get("/products/2")).status_code == 404


async def test_only_admins_create_users(client: httpx.AsyncClient) -> None:
    admin = await token_for(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    carl = await customer_token(client, admin)

    anonymous = await client.post(
        "/users", json={"email": "eve@example.com", "password": "eve-password-1", "role": "admin"}
    )
    assert_unauthenticated(anonymous)
    by_customer = await create_user(client, carl, "eve@example.com", "eve-password-1", "admin")
    assert by_customer.status_code == 403
    assert (await login(client, "eve@example.com", "eve-password-1")).status_code == 401

    second_admin = await create_user(client, admin, "ada@example.com", "ada-password-1", "admin")
    assert second_admin.status_code == 201, second_admin.text
    assert second_admin.json()["email"] == "ada@example.com"
    assert second_admin.json()["role"] == "admin"
    assert "password" not in second_admin.text
    ada = await token_for(client, "ada@example.com", "ada-password-1")
    assert (await client.post("/products", json=PRODUCT, headers=bearer(ada))).status_code == 201

    duplicate = await create_user(client, admin, "ada@example.com", "other-password-1", "customer")
    assert duplicate.status_code == 409
    bad_role = await create_user(client, admin, "bob@example.com", "bob-password-1", "root")
    assert bad_role.status_code == 422


def bad_tokens() -> dict[str, str]:
    now = int(time.time())
    return {
        "expired": craft(exp=now - 60, iat=now - 700),
        "no-exp": craft(exp=None),
        "wrong-secret": jwt.encode(
            {"sub": "1", "role": "admin", "iat": now, "exp": now + 600},
            "another-secret-that-is-long-enough-0123456789",
            algorithm="HS256",
        ),
        "alg-none": jwt.encode({"sub": "1", "role": "admin", "exp": now + 600}, None, "none"),
        "other-algorithm": jwt.encode(
            {"sub": "1", "role": "admin", "iat": now, "exp": now + 600}, SECRET, algorithm="HS512"
        ),
        "garbage": "not-a-jwt",
    }


async def test_bad_tokens_are_401(client: httpx.AsyncClient) -> None:
    for name, token in bad_tokens().items():
        response = await client.post("/products", json=PRODUCT, headers=bearer(token))
        assert response.status_code == 401, name
        assert_unauthenticated(response)
    assert (await client.get("/products/1")).status_code == 404


async def test_passwords_are_stored_with_a_slow_salted_hash(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    admin = await token_for(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    await customer_token(client, admin)

    path = settings.database_url.split(":///", 1)[1]
    connection = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        # Text or bytes: bcrypt's hashpw returns bytes, which a binary column keeps as bytes.
        cells = [
            value if isinstance(value, str) else value.decode("utf-8", "replace")
            for table in tables
            for row in connection.execute(f'SELECT * FROM "{table}"')
            for value in row
            if isinstance(value, str | bytes)
        ]
    finally:
        connection.close()

    for password in (ADMIN_PASSWORD, "carl-password-1"):
        digests = {
            password,
            hashlib.sha256(password.encode()).hexdigest(),
            hashlib.sha1(password.encode()).hexdigest(),
            hashlib.md5(password.encode()).hexdigest(),
            hashlib.sha512(password.encode()).hexdigest(),
        }
        assert not any(digest in cell for cell in cells for digest in digests)
    # The modular-crypt prefixes of Argon2 and bcrypt (bcrypt-sha256 included).
    prefixes = ("$argon2", "$2b$", "$2a$", "$2y$", "$bcrypt-sha256$")
    slow = [cell for cell in cells if cell.startswith(prefixes)]
    assert len(set(slow)) >= 2
