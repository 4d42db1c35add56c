"""In-process sliding-window rate limiter implementing the RateLimiter port.

State lives in the instance (one per app), so it is per process: fine for a single instance;
several instances need a shared store (e.g. Redis) behind the same port.
"""

import time
from collections import deque
from collections.abc import Callable


class SlidingWindowRateLimiter:
    """At most `limit` attempts per key in any window of `window_seconds`."""

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    async def acquire(self, key: str) -> float | None:
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        if len(hits) >= self._limit:
            return hits[0] + self._window - now
        hits.append(now)
        return None
