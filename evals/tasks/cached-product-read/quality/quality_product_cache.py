"""Quality probes: cache-aside under concurrency and across deploys."""

import asyncio
import copy
import json
from decimal import Decimal

from start_fakes import FakeProductRepository, FakeUnitOfWork, RecordingPublisher

from ordersvc.application.dto import NewProduct, PriceChange
from ordersvc.application.use_cases import UseCases
from ordersvc.bootstrap import build_use_cases
from ordersvc.domain.catalog import Product
from ordersvc.infrastructure.cache import InMemoryCache


class GatedProducts(FakeProductRepository):
    """Counts reads by id; while armed, a read takes a snapshot of the stored row (as a database
    load would) and waits for `release` before returning it."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.armed = False
        self.loaded = asyncio.Event()
        self.release = asyncio.Event()

    async def get(self, product_id: int) -> Product | None:
        self.reads += 1
        product = await super().get(product_id)
        if not self.armed:
            return product
        snapshot = copy.deepcopy(product)
        self.loaded.set()
        await self.release.wait()
        return snapshot


class DictCache:
    """A cache adapter over a plain dict (no expiry), so the probe can look at the entries."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    async def get(self, key: str) -> bytes | None:
        return self.entries.get(key)

    async def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        self.entries[key] = value

    async def delete(self, key: str) -> None:
        self.entries.pop(key, None)


def use_cases_over(products: GatedProducts, cache: InMemoryCache | DictCache) -> UseCases:
    """Use cases whose units of work share one set of repositories (one database)."""
    template = FakeUnitOfWork()
    publisher = RecordingPublisher()

    def uow_factory() -> FakeUnitOfWork:
        uow = FakeUnitOfWork(publisher)
        uow.customers = template.customers
        uow.products = products
        uow.stock = template.stock
        uow.orders = template.orders
        return uow

    return build_use_cases(uow_factory, cache, publisher)


async def create(use_cases: UseCases) -> int:
    created = await use_cases.create_product.execute(
        NewProduct("SKU-1", "Widget", Decimal("12.50"), "EUR")
    )
    return created.id


async def let_tasks_run() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def test_a_fill_racing_a_price_change_never_brings_the_old_price_back() -> None:
    products = GatedProducts()
    use_cases = use_cases_over(products, InMemoryCache())
    product_id = await create(use_cases)

    products.armed = True
    reader = asyncio.create_task(use_cases.get_product.execute(product_id))
    async with asyncio.timeout(5):
        await products.loaded.wait()  # the reader missed and loaded the row with the old price
    products.armed = False
    await use_cases.change_product_price.execute(PriceChange(product_id, Decimal("9.99"), "EUR"))
    products.release.set()  # the reader now stores what it loaded before the change
    async with asyncio.timeout(5):
        await reader

    after = await use_cases.get_product.execute(product_id)
    assert after.price == Decimal("9.99"), "a slow cache fill brought the old price back"


async def test_concurrent_misses_for_one_product_share_one_load() -> None:
    products = GatedProducts()
    use_cases = use_cases_over(products, InMemoryCache())
    product_id = await create(use_cases)
    products.reads = 0

    products.armed = True
    readers = [asyncio.create_task(use_cases.get_product.execute(product_id)) for _ in range(20)]
    async with asyncio.timeout(5):
        await products.loaded.wait()
    await let_tasks_run()  # every reader has missed the cache by now
    products.release.set()
    async with asyncio.timeout(5):
        results = await asyncio.gather(*readers)

    assert {r.price for r in results} == {Decimal("12.50")}
    assert products.reads == 1, (
        f"{products.reads} database loads for one cold product: a hot key's expiry or"
        " invalidation sends every concurrent reader to the database"
    )


async def test_an_entry_in_an_old_shape_is_a_miss_not_an_error() -> None:
    products = GatedProducts()
    cache = DictCache()
    use_cases = use_cases_over(products, cache)
    product_id = await create(use_cases)
    assert (await use_cases.get_product.execute(product_id)).price == Decimal("12.50")

    # A previous deploy wrote the product under the same key in another shape.
    old_shape = json.dumps({"product_id": product_id, "title": "Widget", "cents": 1250}).encode()
    for key, value in list(cache.entries.items()):
        try:
            is_object = isinstance(json.loads(value), dict)
        except ValueError:
            is_object = False
        if is_object:
            cache.entries[key] = old_shape

    read = await use_cases.get_product.execute(product_id)
    assert (read.id, read.price, read.currency) == (product_id, Decimal("12.50"), "EUR")
