"""Ports: what the application needs from the outside world, as Protocols."""

from collections.abc import Collection, Sequence
from typing import Protocol

from ordersvc.domain.aggregate import AggregateRoot
from ordersvc.domain.catalog import Product, Stock
from ordersvc.domain.customer import Customer
from ordersvc.domain.events import DomainEvent
from ordersvc.domain.order import Order


class TracksAggregates(Protocol):
    @property
    def seen(self) -> Collection[AggregateRoot]:
        """Aggregates loaded or added through this repository (for event collection)."""
        ...


class CustomerRepository(TracksAggregates, Protocol):
    async def add(self, customer: Customer) -> None:
        """Persist a new customer and assign its id."""
        ...

    async def get(self, customer_id: int) -> Customer | None: ...

    async def get_by_email(self, email: str) -> Customer | None: ...


class ProductRepository(TracksAggregates, Protocol):
    async def add(self, product: Product) -> None:
        """Persist a new product and assign its id."""
        ...

    async def get(self, product_id: int) -> Product | None: ...

    async def get_by_sku(self, sku: str) -> Product | None: ...

    async def list(self) -> Sequence[Product]:
        """All products, ordered by id."""
        ...


class StockRepository(TracksAggregates, Protocol):
    async def add(self, stock: Stock) -> None: ...

    async def get(self, product_id: int) -> Stock | None: ...


class OrderRepository(TracksAggregates, Protocol):
    async def add(self, order: Order) -> None:
        """Persist a new order with its lines and assign its id."""
        ...

    async def get(self, order_id: int) -> Order | None:
        """The order with its lines loaded."""
        ...


class Cache(Protocol):
    """A byte-oriented key-value cache with expiry (in memory, Redis, ...)."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        """Store `value`; `ttl_seconds=None` means the adapter's default TTL."""
        ...

    async def delete(self, key: str) -> None: ...


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[DomainEvent]) -> None: ...


class Notifier(Protocol):
    """Delivers a message to a customer (e-mail, SMS, ...). May be slow and may fail."""

    async def send(self, customer_id: int, subject: str, body: str) -> None: ...
