import asyncio
from decimal import Decimal

import pytest
from start_fakes import (
    FakeCustomerRepository,
    FakeOrderRepository,
    FakeProductRepository,
    FakeStockRepository,
    FakeUnitOfWork,
    RecordingPublisher,
)

from ordersvc.application.dto import NewProduct, PriceChange
from ordersvc.application.use_cases import UseCases
from ordersvc.bootstrap import build_use_cases
from ordersvc.domain.catalog import Product, Stock
from ordersvc.domain.errors import ProductNotFound
from ordersvc.domain.money import Money
from ordersvc.infrastructure.cache import InMemoryCache

GUARD_SECONDS = 5.0


class HeldProducts(FakeProductRepository):
    """`get` of a held product reads it, reports `started`, and waits for `release`."""

    def __init__(self) -> None:
        super().__init__()
        self.held: int | None = None
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def get(self, product_id: int) -> Product | None:
        product = await super().get(product_id)
        if product_id != self.held:
            return product
        self.held = None
        self.started.set()
        await self.release.wait()
        return product


class Store:
    def __init__(self) -> None:
        self.publisher = RecordingPublisher()
        self.products = HeldProducts()
        self.stock = FakeStockRepository()
        self.customers = FakeCustomerRepository()
        self.orders = FakeOrderRepository()
        self.opened = 0
        for product_id in (1, 2):
            self.products.items[product_id] = Product(
                id=product_id,
                sku=f"SKU-{product_id}",
                name="Widget",
                price=Money(Decimal("12.50"), "EUR"),
            )
            self.stock.items[product_id] = Stock(product_id=product_id, quantity=7)

    def uow(self) -> FakeUnitOfWork:
        self.opened += 1
        uow = FakeUnitOfWork(self.publisher)
        uow.products = self.products
        uow.stock = self.stock
        uow.customers = self.customers
        uow.orders = self.orders
        return uow


class FailingWrites(InMemoryCache):
    """A cache whose writes fail while `broken` (Redis restarting under the application)."""

    def __init__(self) -> None:
        super().__init__(default_ttl_seconds=3600)
        self.broken = False

    async def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        if self.broken:
            raise ConnectionError("cache unavailable")
        await super().set(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        if self.broken:
            raise ConnectionError("cache unavailable")
        await super().delete(key)


def build(store: Store, cache: InMemoryCache | None = None) -> UseCases:
    cache = cache if cache is not None else InMemoryCache(default_ttl_seconds=3600)
    return build_use_cases(store.uow, cache, store.publisher)


async def test_a_reader_that_goes_away_does_not_cancel_the_shared_load() -> None:
    store = Store()
    use_cases = build(store)
    store.products.held = 1
    first = asyncio.create_task(use_cases.get_product_page.execute(1))
    await asyncio.wait_for(store.products.started.wait(), GUARD_SECONDS)
    others = [asyncio.create_task(use_cases.get_product_page.execute(1)) for _ in range(4)]
    for _ in range(50):
        await asyncio.sleep(0)

    first.cancel()  # the client that triggered the load disconnected
    for _ in range(50):
        await asyncio.sleep(0)
    store.products.release.set()
    outcomes = await asyncio.wait_for(
        asyncio.gather(*others, return_exceptions=True), GUARD_SECONDS
    )
    assert all(not isinstance(o, BaseException) for o in outcomes), outcomes
    assert {getattr(o, "id", None) for o in outcomes} == {1}
    assert store.opened == 1, "the other readers must get the load that was already running"


async def test_unknown_products_are_not_read_from_the_database_every_time() -> None:
    store = Store()
    use_cases = build(store)
    for _ in range(5):  # a scraper walking ids that do not exist
        with pytest.raises(ProductNotFound):
            await use_cases.get_product_page.execute(3)
    assert store.opened == 1, "every request for a missing product reached the database"

    created = await use_cases.create_product.execute(
        NewProduct("SKU-3", "Gadget", Decimal("3.00"), "EUR")
    )
    assert created.id == 3
    assert (await use_cases.get_product_page.execute(3)).sku == "SKU-3"


async def test_a_cache_outage_after_the_commit_does_not_fail_the_write() -> None:
    store = Store()
    cache = FailingWrites()
    use_cases = build(store, cache)
    assert (await use_cases.get_product_page.execute(1)).price == Decimal("12.50")

    cache.broken = True
    changed = await use_cases.change_product_price.execute(
        PriceChange(1, Decimal("9.99"), "EUR")
    )  # the price is committed: the request must not fail because the cache is down
    assert changed.price == Decimal("9.99")
    assert store.products.items[1].price == Money(Decimal("9.99"), "EUR")
