"""Quality probes: secrets stay out of crash logs, and trivial passwords are refused."""

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

SECRET = "quality-probe-secret-" + "0123456789abcdef" * 4
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-Password-4711-quality"


def leaked(secret: str, text: str) -> bool:
    """Whether any 8 consecutive characters of the secret appear in the text."""
    return any(secret[i : i + 8] in text for i in range(len(secret) - 7))


def test_a_settings_error_does_not_echo_the_secrets(tmp_path: Path) -> None:
    short_secret = "Zq7-short-jwt"
    admin_password = "Xk9-hunter2"
    with pytest.raises(ValidationError) as caught:
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/auth.db",
            auth_enabled=True,
            jwt_secret=short_secret,
            bootstrap_admin_email=ADMIN_EMAIL,
            bootstrap_admin_password=admin_password,
        )
    message = str(caught.value)
    # The start-up crash log is where this message ends up.
    assert not leaked(short_secret, message), f"the rejected JWT secret is echoed: {message}"
    assert not leaked(admin_password, message), f"the admin password is echoed: {message}"


async def test_trivial_passwords_are_refused(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/auth.db",
        auth_enabled=True,
        jwt_secret=SECRET,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        login = await client.post(
            "/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for password in ("pw12", "1"):
            response = await client.post(
                "/users",
                json={"email": "carl@example.com", "password": password, "role": "customer"},
                headers=headers,
            )
            assert response.status_code in (400, 422), (password, response.status_code)
