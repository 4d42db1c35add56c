"""Idempotency keys for order placement: a retried request returns the order it already created."""

import hashlib
import json
from dataclasses import dataclass
from typing import Protocol

from ordersvc.application.dto import OrderRequest
from ordersvc.domain.errors import Conflict, DomainError


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What a customer's key was first used for: the request's fingerprint and the order made."""

    customer_id: int
    key: str
    fingerprint: str
    order_id: int


class IdempotencyKeyStore(Protocol):
    async def get(self, customer_id: int, key: str) -> IdempotencyRecord | None: ...

    async def add(self, record: IdempotencyRecord) -> None:
        """Store a new record in the current transaction; raises IdempotencyKeyInFlight when
        another transaction has stored the same (customer, key) first."""
        ...


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different request")


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_flight"

    def __init__(self, key: str) -> None:
        super().__init__(f"a request with idempotency key {key!r} is already being processed")


def fingerprint(command: OrderRequest) -> str:
    """Stable digest of what was asked for, independent of JSON formatting and key order."""
    canonical = json.dumps(
        {
            "customer_id": command.customer_id,
            "lines": [[line.product_id, line.quantity] for line in command.lines],
        },
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
