"""Shared helpers of the hidden tests: a recording hasher, a settable clock, a running service."""

import hashlib
import secrets
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from pydantic import SecretStr

from ordersvc.bootstrap import create_app
from ordersvc.config import JwtKey, Settings

OLD_SECRET = "old-signing-key-" + "a1b2c3d4e5f6a7b8" * 4
ACTIVE_SECRET = "active-signing-key-" + "0f1e2d3c4b5a6978" * 4
OTHER_SECRET = "unrelated-signing-key-" + "99aa88bb77cc66dd" * 4
ISSUER = "https://auth.ordersvc.test"
AUDIENCE = "ordersvc-mobile"
EMAIL = "ann@example.com"
PASSWORD = "correct horse battery staple"
JSON = dict[str, Any]


class RecordingHasher:
    """A fast PasswordHasher that records every call (from any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.produced: list[str] = []
        self.verified: list[str] = []  # the stored hash each verify call was given

    def hash(self, password: str) -> str:
        salt = secrets.token_hex(8)
        encoded = f"rec${salt}${self._digest(salt, password)}"
        with self._lock:
            self.produced.append(encoded)
        return encoded

    def verify(self, password: str, password_hash: str) -> bool:
        with self._lock:
            self.verified.append(password_hash)
        parts = password_hash.split("$")
        if len(parts) != 3 or parts[0] != "rec":
            return False
        return secrets.compare_digest(parts[2], self._digest(parts[1], password))

    @staticmethod
    def _digest(salt: str, password: str) -> str:
        return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


@dataclass
class FakeClock:
    now: float = field(default_factory=lambda: 1_900_000_000.0)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def key(kid: str, secret: str, retires_in: timedelta | None = None) -> JwtKey:
    retires_at = datetime.now(UTC) + retires_in if retires_in is not None else None
    return JwtKey(kid=kid, secret=SecretStr(secret), retires_at=retires_at)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    options: JSON = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/auth.db",
        "jwt_keys": [
            key("k1", OLD_SECRET, retires_in=timedelta(hours=1)),
            key("k2", ACTIVE_SECRET),
        ],
        "jwt_active_kid": "k2",
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "jwt_leeway_seconds": 30,
        "access_token_ttl_seconds": 600,
        "login_max_failures": 5,
        "login_failure_window_seconds": 900,
        "login_lockout_seconds": 900,
    }
    return Settings(**(options | overrides))


@dataclass
class Service:
    client: httpx.AsyncClient
    hasher: RecordingHasher
    clock: FakeClock

    async def sign_up(self, email: str = EMAIL, password: str = PASSWORD) -> JSON:
        response = await self.client.post("/accounts", json={"email": email, "password": password})
        assert response.status_code == 201, response.text
        body: JSON = response.json()
        return body

    async def login(self, email: str = EMAIL, password: str = PASSWORD) -> httpx.Response:
        return await self.client.post("/auth/login", json={"email": email, "password": password})

    async def token(self, email: str = EMAIL, password: str = PASSWORD) -> str:
        response = await self.login(email, password)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def me(self, token: str) -> httpx.Response:
        return await self.client.get("/accounts/me", headers={"Authorization": f"Bearer {token}"})


@asynccontextmanager
async def running(
    settings: Settings,
    hasher: RecordingHasher | None = None,
    clock: FakeClock | None = None,
) -> AsyncIterator[Service]:
    hasher = hasher or RecordingHasher()
    clock = clock or FakeClock()
    app = create_app(settings, password_hasher=hasher, clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield Service(client=client, hasher=hasher, clock=clock)


def craft(
    *,
    secret: str = ACTIVE_SECRET,
    kid: str | None = "k2",
    algorithm: str = "HS256",
    **claims: Any,
) -> str:
    """A token like ours, with the given claims changed (None removes a claim)."""
    now = int(time.time())
    payload: JSON = {
        "sub": "1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    } | claims
    payload = {name: value for name, value in payload.items() if value is not None}
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(payload, secret, algorithm=algorithm, headers=headers)
