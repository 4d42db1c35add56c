"""Password hashing (pwdlib, Argon2id) and access tokens (PyJWT, HS256)."""

import asyncio
import time
from collections.abc import Callable

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from ordersvc.domain.errors import NotAuthenticated
from ordersvc.domain.user import Role

ALGORITHM = "HS256"


class Argon2PasswordHasher:
    """Argon2id with OWASP's baseline parameters (19 MiB, 2 passes, 1 lane), off the event loop."""

    def __init__(self) -> None:
        self._hash = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19_456, parallelism=1),))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> bool:
        return await asyncio.to_thread(self._verify, password, password_hash)

    def _verify(self, password: str, password_hash: str) -> bool:
        try:
            return self._hash.verify(password, password_hash)
        except Exception:  # an unreadable stored hash must never let anyone in
            return False


class JwtTokenService:
    def __init__(
        self, secret: str, ttl_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self._ttl = ttl_seconds
        self._clock = clock

    def issue(self, user_id: int, role: Role) -> tuple[str, int]:
        now = int(self._clock())
        claims = {"sub": str(user_id), "role": role.value, "iat": now, "exp": now + self._ttl}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), self._ttl

    def verify(self, token: str) -> tuple[int, Role]:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # never trust the token's own "alg" header
                options={"require": ["exp", "iat", "sub"]},
            )
            user_id = int(claims["sub"])
            role = Role(claims["role"])
        except (jwt.PyJWTError, KeyError, ValueError):
            raise NotAuthenticated("invalid or expired token") from None
        return user_id, role
