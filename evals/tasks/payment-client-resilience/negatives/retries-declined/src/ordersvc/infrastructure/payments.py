"""HTTP adapter for the payments provider: timeouts, bounded retries with backoff, a breaker.

Provider API: POST {base_url}/charges {"order_id", "amount", "currency"} with an
Idempotency-Key header -> 201 {"charge_id"}; 402 declined; 5xx when it is in trouble.
"""

import enum
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
from pydantic import BaseModel, ValidationError

from ordersvc.domain.errors import PaymentDeclined, PaymentFailed, PaymentUnavailable
from ordersvc.domain.money import Money

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class _ChargeCreated(BaseModel):
    charge_id: str


class _BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failed attempts and rejects calls until
    `cooldown_seconds` have passed; then lets one trial call through (half-open), which closes
    the breaker on success and re-opens it on failure."""

    def __init__(
        self, failure_threshold: int, cooldown_seconds: float, clock: Clock = time.monotonic
    ) -> None:
        if failure_threshold < 1 or cooldown_seconds <= 0:
            raise ValueError("failure_threshold must be >= 1 and cooldown_seconds > 0")
        self._threshold = failure_threshold
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._state = _BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0

    def allow(self) -> bool:
        if self._state is _BreakerState.CLOSED:
            return True
        if self._state is _BreakerState.OPEN and self._clock() - self._opened_at >= self._cooldown:
            self._state = _BreakerState.HALF_OPEN
            return True
        return False  # open, or half-open with the trial call still in flight

    def record_success(self) -> None:
        self._state = _BreakerState.CLOSED
        self._failures = 0

    def record_failure(self) -> None:
        self._failures += 1
        if self._state is _BreakerState.HALF_OPEN or self._failures >= self._threshold:
            if self._state is not _BreakerState.OPEN:
                logger.warning("payments circuit opened after %d failures", self._failures)
            self._state = _BreakerState.OPEN
            self._opened_at = self._clock()


class HttpPaymentGateway:
    """Implements the PaymentGateway port. `client` carries the base URL and the timeout."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        breaker: CircuitBreaker,
        *,
        max_attempts: int,
        backoff_seconds: float,
        sleep: Sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self._client = client
        self._breaker = breaker
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._sleep = sleep

    async def charge(self, order_id: int, amount: Money, *, idempotency_key: str) -> str:
        payload = {"order_id": order_id, "amount": str(amount.amount), "currency": amount.currency}
        headers = {"Idempotency-Key": idempotency_key}
        last: httpx.Response | None = None
        for attempt in range(1, self._max_attempts + 1):
            if not self._breaker.allow():
                raise PaymentUnavailable("the payments provider is unavailable (circuit open)")
            try:
                response = await self._client.post("/charges", json=payload, headers=headers)
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                logger.warning("payments attempt %d failed: %r", attempt, exc)
                self._breaker.record_failure()
            else:
                if response.status_code < 500:
                    self._breaker.record_success()
                else:
                    self._breaker.record_failure()
                if response.status_code == httpx.codes.CREATED:
                    return self._charge_id(response)
                logger.warning("payments attempt %d: HTTP %d", attempt, response.status_code)
                last = response
            if attempt < self._max_attempts:
                await self._sleep(self._backoff * 2 ** (attempt - 1))
        if last is not None and last.status_code < 500:
            return self._charge_id(last)
        raise PaymentUnavailable(
            f"the payments provider failed {self._max_attempts} times; try again later"
        )

    @staticmethod
    def _charge_id(response: httpx.Response) -> str:
        if response.status_code == httpx.codes.PAYMENT_REQUIRED:
            raise PaymentDeclined("the payment was declined")
        if response.status_code != httpx.codes.CREATED:
            raise PaymentFailed(
                f"the payments provider rejected the request: HTTP {response.status_code}"
            )
        try:
            return _ChargeCreated.model_validate_json(response.content).charge_id
        except ValidationError as exc:
            raise PaymentFailed("the payments provider sent an unreadable answer") from exc
