from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

PROD_TOKEN = "prod-token-" + "k" * 40


def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/settings.db"


def test_defaults() -> None:
    settings = Settings()
    assert settings.environment == "dev"
    assert settings.cache_ttl_seconds == 60
    assert settings.max_order_lines == 100
    assert settings.database_url == "sqlite+aiosqlite:///./ordersvc.db"
    assert settings.admin_token.get_secret_value()


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERSVC_ENVIRONMENT", "staging")
    monkeypatch.setenv("ORDERSVC_CACHE_TTL_SECONDS", "3600")
    monkeypatch.setenv("ORDERSVC_DATABASE_URL", "postgresql+asyncpg://app:pw@db:5432/orders")
    monkeypatch.setenv("ORDERSVC_ADMIN_TOKEN", "staging-token")
    monkeypatch.setenv("ORDERSVC_MAX_ORDER_LINES", "7")
    settings = Settings()
    assert settings.environment == "staging"
    assert settings.cache_ttl_seconds == 3600
    assert settings.database_url == "postgresql+asyncpg://app:pw@db:5432/orders"
    assert settings.admin_token.get_secret_value() == "staging-token"
    assert settings.max_order_lines == 7


@pytest.mark.parametrize("value", ["0", "-5", "3601", "soon"])
def test_cache_ttl_is_bounded(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ORDERSVC_CACHE_TTL_SECONDS", value)
    with pytest.raises(ValidationError, match="cache_ttl_seconds"):
        Settings()


def test_cache_ttl_lower_bound_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERSVC_CACHE_TTL_SECONDS", "1")
    assert Settings().cache_ttl_seconds == 1


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///./ordersvc.db",
        "postgresql://app:pw@db/orders",
        "postgresql+psycopg2://app:pw@db/orders",
        "mysql+aiomysql://app:pw@db/orders",
        "ordersvc.db",
        "",
    ],
)
def test_database_url_needs_an_async_driver(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("ORDERSVC_DATABASE_URL", url)
    with pytest.raises(ValidationError, match="database_url"):
        Settings()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///:memory:",
        "postgresql+asyncpg://app:pw@db:5432/orders",
        "postgresql+psycopg://app:pw@db/orders",
    ],
)
def test_async_database_urls_are_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("ORDERSVC_DATABASE_URL", url)
    assert Settings().database_url == url


def test_unknown_environment_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERSVC_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="environment"):
        Settings()


def test_prod_refuses_the_default_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERSVC_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError) as info:
        Settings()
    assert "admin_token" in str(info.value).lower()


def test_prod_refuses_a_short_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERSVC_ENVIRONMENT", "prod")
    monkeypatch.setenv("ORDERSVC_ADMIN_TOKEN", "k" * 31)
    with pytest.raises(ValidationError) as info:
        Settings()
    assert "admin_token" in str(info.value).lower()
    assert "k" * 31 not in str(info.value)


def test_prod_accepts_a_real_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERSVC_ENVIRONMENT", "prod")
    monkeypatch.setenv("ORDERSVC_ADMIN_TOKEN", "k" * 32)
    assert Settings().admin_token.get_secret_value() == "k" * 32


def test_the_token_never_leaks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERSVC_ENVIRONMENT", "prod")
    monkeypatch.setenv("ORDERSVC_ADMIN_TOKEN", PROD_TOKEN)
    settings = Settings()
    assert settings.admin_token.get_secret_value() == PROD_TOKEN
    for rendered in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        str(settings.model_dump()),
        f"{settings.admin_token}",
    ):
        assert PROD_TOKEN not in rendered


def test_the_application_does_not_start_with_invalid_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDERSVC_CACHE_TTL_SECONDS", "0")
    with pytest.raises(ValidationError):
        create_app()


@pytest.mark.parametrize("value", ["0", "101"])
def test_max_order_lines_is_bounded(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ORDERSVC_MAX_ORDER_LINES", value)
    with pytest.raises(ValidationError, match="max_order_lines"):
        Settings()


async def test_orders_respect_the_configured_line_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ORDERSVC_MAX_ORDER_LINES", "2")
    monkeypatch.setenv("ORDERSVC_DATABASE_URL", db_url(tmp_path))
    app = create_app(Settings())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        assert (
            await client.post("/customers", json={"email": "a@example.com", "name": "A"})
        ).status_code == 201
        for n in (1, 2, 3):
            sku = f"L-{n}"
            product = {"sku": sku, "name": "Pen", "price": "1.00", "currency": "EUR"}
            assert (await client.post("/products", json=product)).status_code == 201
            assert (await client.post(f"/stock/{n}", json={"quantity": 5})).status_code == 200

        too_many = await client.post(
            "/orders",
            json={
                "customer_id": 1,
                "lines": [{"product_id": n, "quantity": 1} for n in (1, 2, 3)],
            },
        )
        assert too_many.status_code == 422
        assert too_many.json()["code"] == "too_many_lines"
        assert (await client.get("/stock/1")).json()["quantity"] == 5

        allowed = await client.post(
            "/orders",
            json={"customer_id": 1, "lines": [{"product_id": n, "quantity": 1} for n in (1, 2)]},
        )
        assert allowed.status_code == 201, allowed.text
