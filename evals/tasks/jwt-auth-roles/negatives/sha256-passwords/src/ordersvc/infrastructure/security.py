"""Password hashing (pwdlib, Argon2id) and access tokens (PyJWT, HS256)."""

import hashlib
import hmac
import time
from collections.abc import Callable

import jwt

from ordersvc.domain.errors import NotAuthenticated
from ordersvc.domain.user import Role

ALGORITHM = "HS256"


class Argon2PasswordHasher:
    """SHA-256 of the password, compared in constant time."""

    async def hash(self, password: str) -> str:
        return hashlib.sha256(password.encode()).hexdigest()

    async def verify(self, password: str, password_hash: str) -> bool:
        return hmac.compare_digest(await self.hash(password), password_hash)


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
