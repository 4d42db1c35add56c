"""Rate limiting as a port: the policy (who, how many) is the application's; the counting is not."""

import math
from typing import Protocol

from ordersvc.domain.errors import DomainError


class RateLimiter(Protocol):
    async def acquire(self, key: str) -> float | None:
        """Count one attempt for `key`; None if allowed, else seconds until one would be."""
        ...


class Unlimited:
    """A RateLimiter that allows everything (use-case tests, internal tools)."""

    async def acquire(self, key: str) -> float | None:
        return None


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, retry_after_seconds: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after_seconds))
        super().__init__(f"too many requests; retry in {self.retry_after} s")
