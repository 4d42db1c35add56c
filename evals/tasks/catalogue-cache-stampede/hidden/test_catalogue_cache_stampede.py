import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from start_fakes import (
    FakeCustomerRepository,
    FakeOrderRepository,
    FakeProductRepository,
    FakeStockRepository,
    FakeUnitOfWork,
    RecordingPublisher,
)

from ordersvc.application.dto import (
    NewCustomer,
    NewProduct,
    OrderLineRequest,
    OrderRequest,
    PriceChange,
    StockAddition,
)
from ordersvc.application.ports import Cache
from ordersvc.application.use_cases import UseCases
from ordersvc.bootstrap import build_use_cases, create_app
from ordersvc.config import Settings
from ordersvc.domain.catalog import Product, Stock
from ordersvc.domain.errors import ProductNotFound
from ordersvc.domain.money import Money
from ordersvc.infrastructure.cache import InMemoryCache

T = TypeVar("T")
JSON = dict[str, Any]
GUARD_SECONDS = 5.0


# --- a fake database whose loads can be counted, paused and failed -------------------------------


class Hold:
    """Pauses one load of a product after it has read the product (the snapshot it will return)."""

    def __init__(self, fail: Exception | None) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.fail = fail


class HeldProducts(FakeProductRepository):
    def __init__(self) -> None:
        super().__init__()
        self._holds: dict[int, Hold] = {}

    def hold_next(self, product_id: int, fail: Exception | None = None) -> Hold:
        hold = Hold(fail)
        self._holds[product_id] = hold
        return hold

    def release_all(self) -> None:
        for hold in self._holds.values():
            hold.release.set()

    async def get(self, product_id: int) -> Product | None:
        product = await super().get(product_id)
        hold = self._holds.pop(product_id, None)
        if hold is None:
            return product
        snapshot = None if product is None else copy_product(product)
        hold.started.set()
        await hold.release.wait()
        if hold.fail is not None:
            raise hold.fail
        return snapshot


def copy_product(product: Product) -> Product:
    return Product(id=product.id, sku=product.sku, name=product.name, price=product.price)


class Store:
    """One database: every unit of work from `uow` shares these repositories."""

    def __init__(self) -> None:
        self.publisher = RecordingPublisher()
        self.products = HeldProducts()
        self.stock = FakeStockRepository()
        self.customers = FakeCustomerRepository()
        self.orders = FakeOrderRepository()
        self.opened = 0

    def uow(self) -> FakeUnitOfWork:
        self.opened += 1
        uow = FakeUnitOfWork(self.publisher)
        uow.products = self.products
        uow.stock = self.stock
        uow.customers = self.customers
        uow.orders = self.orders
        return uow

    def seed(
        self, product_id: int, price: str = "12.50", quantity: int = 7, name: str = ""
    ) -> None:
        self.products.items[product_id] = Product(
            id=product_id,
            sku=f"SKU-{product_id}",
            name=name or f"Widget {product_id}",
            price=Money(Decimal(price), "EUR"),
        )
        self.stock.items[product_id] = Stock(product_id=product_id, quantity=quantity)


def seeded(*product_ids: int) -> Store:
    store = Store()
    for product_id in product_ids or (1, 2, 3):
        store.seed(product_id)
    return store


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def build(store: Store, cache: Cache | None = None, **options: Any) -> UseCases:
    """Use cases on `store`, as `build_use_cases` wires them for one application."""
    cache = cache if cache is not None else InMemoryCache(default_ttl_seconds=3600)
    return build_use_cases(store.uow, cache, store.publisher, **options)


def page_of(page: object) -> tuple[object, ...]:
    names = ("id", "sku", "name", "price", "currency", "available", "availability")
    return tuple(getattr(page, name) for name in names)


async def within(awaitable: Awaitable[T]) -> T:
    """Await with a guard: a hang is a failure, never a stuck test run."""
    return await asyncio.wait_for(awaitable, GUARD_SECONDS)


async def settle() -> None:
    """Let every runnable task run until it blocks (the fakes never do real I/O)."""
    for _ in range(50):
        await asyncio.sleep(0)


@asynccontextmanager
async def tidy(store: Store) -> AsyncIterator[list[asyncio.Task[Any]]]:
    """Tasks started in the block are released and cancelled afterwards, even on failure."""
    tasks: list[asyncio.Task[Any]] = []
    try:
        yield tasks
    finally:
        store.products.release_all()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# --- the page and its cache ----------------------------------------------------------------------


async def test_page_is_loaded_once_then_served_from_the_cache() -> None:
    store = seeded()
    use_cases = build(store)

    first = await use_cases.get_product_page.execute(1)
    assert page_of(first) == (1, "SKU-1", "Widget 1", Decimal("12.50"), "EUR", 7, "in_stock")
    assert store.opened == 1

    again = await use_cases.get_product_page.execute(1)
    assert page_of(again) == page_of(first)
    assert isinstance(again.price, Decimal)
    assert str(again.price) == "12.50"
    assert store.opened == 1, "a cached page must not be loaded again"

    other = await use_cases.get_product_page.execute(2)
    assert other.id == 2
    assert store.opened == 2


@pytest.mark.parametrize(
    ("quantity", "threshold", "availability"),
    [(0, 5, "out_of_stock"), (1, 5, "low_stock"), (5, 5, "low_stock"), (6, 5, "in_stock"),
     (1, 0, "in_stock"), (2, 2, "low_stock"), (3, 2, "in_stock")],
)  # fmt: skip
async def test_availability_follows_the_low_stock_threshold(
    quantity: int, threshold: int, availability: str
) -> None:
    store = Store()
    store.seed(1, quantity=quantity)
    use_cases = build(store, low_stock_threshold=threshold)
    page = await use_cases.get_product_page.execute(1)
    assert (page.available, page.availability) == (quantity, availability)


async def test_unknown_product_raises_and_a_later_product_is_visible_at_once() -> None:
    store = seeded(1)
    use_cases = build(store)
    with pytest.raises(ProductNotFound):
        await use_cases.get_product_page.execute(2)
    created = await use_cases.create_product.execute(
        NewProduct("NEW-2", "Gadget", Decimal("3.00"), "EUR")
    )
    assert created.id == 2
    page = await use_cases.get_product_page.execute(2)
    assert page_of(page) == (2, "NEW-2", "Gadget", Decimal("3.00"), "EUR", 0, "out_of_stock")


# --- stampedes -----------------------------------------------------------------------------------


async def test_concurrent_misses_share_one_load() -> None:
    store = seeded()
    use_cases = build(store)
    hold = store.products.hold_next(1)
    async with tidy(store) as tasks:
        tasks += [asyncio.create_task(use_cases.get_product_page.execute(1)) for _ in range(12)]
        await within(hold.started.wait())
        await settle()
        assert store.opened == 1, "concurrent misses of one product must share a single load"
        assert not any(task.done() for task in tasks)

        hold.release.set()
        pages = await within(asyncio.gather(*tasks))
    assert {page_of(page) for page in pages} == {
        (1, "SKU-1", "Widget 1", Decimal("12.50"), "EUR", 7, "in_stock")
    }
    assert store.opened == 1
    await use_cases.get_product_page.execute(1)
    assert store.opened == 1, "the shared load fills the cache"


async def test_other_products_do_not_wait_for_a_load() -> None:
    store = seeded()
    use_cases = build(store)
    hold = store.products.hold_next(1)
    async with tidy(store) as tasks:
        tasks.append(asyncio.create_task(use_cases.get_product_page.execute(1)))
        await within(hold.started.wait())

        second = await within(use_cases.get_product_page.execute(2))
        third = await within(use_cases.get_product_page.execute(3))
        assert (second.id, third.id) == (2, 3)
        assert not tasks[0].done()

        hold.release.set()
        assert (await within(tasks[0])).id == 1


async def test_a_failed_load_fails_its_waiters_and_is_not_cached() -> None:
    store = seeded()
    use_cases = build(store)
    hold = store.products.hold_next(1, fail=RuntimeError("database is down"))
    async with tidy(store) as tasks:
        tasks += [asyncio.create_task(use_cases.get_product_page.execute(1)) for _ in range(6)]
        await within(hold.started.wait())
        await settle()
        assert store.opened == 1

        hold.release.set()
        outcomes = await within(asyncio.gather(*tasks, return_exceptions=True))
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes), outcomes
    assert {str(outcome) for outcome in outcomes} == {"database is down"}
    assert store.opened == 1, "waiters of a failed load get its error; they do not reload"

    page = await within(use_cases.get_product_page.execute(1))
    assert page.price == Decimal("12.50")
    assert store.opened == 2, "the next read loads again"
    await within(use_cases.get_product_page.execute(1))
    assert store.opened == 2


async def test_after_a_failure_concurrent_misses_still_share_one_load() -> None:
    store = seeded()
    use_cases = build(store)
    store.products.hold_next(1, fail=RuntimeError("database is down")).release.set()
    with pytest.raises(RuntimeError):
        await within(use_cases.get_product_page.execute(1))

    hold = store.products.hold_next(1)
    async with tidy(store) as tasks:
        tasks += [asyncio.create_task(use_cases.get_product_page.execute(1)) for _ in range(5)]
        await within(hold.started.wait())
        await settle()
        hold.release.set()
        pages = await within(asyncio.gather(*tasks))
    assert {page.id for page in pages} == {1}
    assert store.opened == 2


async def test_applications_never_share_loads() -> None:
    alpha, beta = Store(), Store()
    alpha.seed(1, name="Alpha")
    beta.seed(1, name="Beta", price="3.00")
    first = build(alpha)
    second = build(beta)
    hold = alpha.products.hold_next(1)
    async with tidy(alpha) as tasks:
        tasks.append(asyncio.create_task(first.get_product_page.execute(1)))
        await within(hold.started.wait())

        other = await within(second.get_product_page.execute(1))
        assert (other.name, other.price) == ("Beta", Decimal("3.00"))

        hold.release.set()
        assert (await within(tasks[0])).name == "Alpha"
    assert (alpha.opened, beta.opened) == (1, 1)


# --- TTL with jitter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "draw", "alive_until", "expired_at"),
    [
        ({}, 0.0, 29.9, 30.1),
        ({}, 0.5, 32.9, 33.1),
        ({}, 0.999, 35.9, 36.1),
        ({"page_ttl_seconds": 10.0, "page_ttl_jitter": 0.5}, 0.8, 13.9, 14.1),
        ({"page_ttl_seconds": 120.0, "page_ttl_jitter": 0.0}, 0.7, 119.9, 120.1),
    ],
)
async def test_pages_expire_after_their_jittered_ttl(
    options: dict[str, float], draw: float, alive_until: float, expired_at: float
) -> None:
    store = seeded()
    clock = FakeClock()
    cache = InMemoryCache(default_ttl_seconds=3600, clock=clock)
    use_cases = build(store, cache, random=lambda: draw, **options)
    start = clock.now

    await use_cases.get_product_page.execute(1)
    clock.now = start + alive_until
    await use_cases.get_product_page.execute(1)
    assert store.opened == 1, "the page expired before its TTL"

    clock.now = start + expired_at
    await use_cases.get_product_page.execute(1)
    assert store.opened == 2, "the page outlived its TTL"


async def test_default_jitter_spreads_expiry() -> None:
    products = range(1, 41)
    store = seeded(*products)
    clock = FakeClock()
    cache = InMemoryCache(default_ttl_seconds=3600, clock=clock)
    use_cases = build(store, cache)  # default ttl 30 s, jitter 0.2, random.random
    start = clock.now
    for product_id in products:
        await use_cases.get_product_page.execute(product_id)
    assert store.opened == 40

    clock.now = start + 29.9
    for product_id in products:
        await use_cases.get_product_page.execute(product_id)
    assert store.opened == 40

    clock.now = start + 33.0
    for product_id in products:
        await use_cases.get_product_page.execute(product_id)
    reloaded = store.opened - 40
    assert 0 < reloaded < 40, "entries filled together must not all expire together"

    clock.now = start + 36.1
    opened = store.opened
    for product_id in products:
        await use_cases.get_product_page.execute(product_id)
    assert store.opened - opened == 40 - reloaded


# --- invalidation --------------------------------------------------------------------------------


async def place(use_cases: UseCases, product_id: int, quantity: int) -> int:
    customer = await use_cases.register_customer.execute(NewCustomer("ann@example.com", "Ann"))
    order = await use_cases.place_order.execute(
        OrderRequest(customer.id, (OrderLineRequest(product_id, quantity),))
    )
    return order.id


async def test_every_write_invalidates_the_page() -> None:
    store = seeded()
    use_cases = build(store)
    pages = use_cases.get_product_page

    assert (await pages.execute(1)).price == Decimal("12.50")
    await use_cases.change_product_price.execute(PriceChange(1, Decimal("9.99"), "USD"))
    changed = await pages.execute(1)
    assert (changed.price, changed.currency) == (Decimal("9.99"), "USD")

    await use_cases.add_stock.execute(StockAddition(1, 3))
    assert (await pages.execute(1)).available == 10

    order_id = await place(use_cases, 1, 6)
    after_order = await pages.execute(1)
    assert (after_order.available, after_order.availability) == (4, "low_stock")

    await use_cases.cancel_order.execute(order_id)
    assert (await pages.execute(1)).available == 10

    opened = store.opened
    await pages.execute(1)
    assert store.opened == opened, "the refreshed page is cached again"


async def test_an_order_invalidates_every_product_on_it() -> None:
    store = seeded()
    use_cases = build(store)
    for product_id in (1, 2, 3):
        assert (await use_cases.get_product_page.execute(product_id)).available == 7
    customer = await use_cases.register_customer.execute(NewCustomer("bob@example.com", "Bob"))
    order = await use_cases.place_order.execute(
        OrderRequest(customer.id, (OrderLineRequest(1, 7), OrderLineRequest(3, 2)))
    )
    assert [(await use_cases.get_product_page.execute(p)).available for p in (1, 2, 3)] == [
        0,
        7,
        5,
    ]
    await use_cases.cancel_order.execute(order.id)
    assert [(await use_cases.get_product_page.execute(p)).available for p in (1, 2, 3)] == [
        7,
        7,
        7,
    ]


async def test_a_fill_that_read_the_old_state_never_brings_it_back() -> None:
    store = seeded()
    use_cases = build(store)
    hold = store.products.hold_next(1)  # this load reads 12.50, then waits
    async with tidy(store) as tasks:
        tasks.append(asyncio.create_task(use_cases.get_product_page.execute(1)))
        await within(hold.started.wait())

        await use_cases.change_product_price.execute(PriceChange(1, Decimal("9.99"), "EUR"))
        hold.release.set()
        in_flight = await within(tasks[0])
        assert in_flight.price in (Decimal("12.50"), Decimal("9.99"))

    for _ in range(3):
        page = await within(use_cases.get_product_page.execute(1))
        assert page.price == Decimal("9.99"), "a fill that started before the write cached it"


async def test_a_read_after_a_write_does_not_join_an_older_load() -> None:
    store = seeded()
    use_cases = build(store)
    hold = store.products.hold_next(1)
    async with tidy(store) as tasks:
        tasks.append(asyncio.create_task(use_cases.get_product_page.execute(1)))
        await within(hold.started.wait())
        await use_cases.change_product_price.execute(PriceChange(1, Decimal("9.99"), "EUR"))

        after = await within(use_cases.get_product_page.execute(1))
        assert after.price == Decimal("9.99")
        assert not tasks[0].done()

        hold.release.set()
        await within(tasks[0])
    assert (await within(use_cases.get_product_page.execute(1))).price == Decimal("9.99")


async def test_writes_on_another_application_sharing_the_cache_win_over_slow_fills() -> None:
    store = seeded()
    shared = InMemoryCache(default_ttl_seconds=3600)
    worker_a = build(store, shared)
    worker_b = build(store, shared)
    assert (await worker_a.get_product_page.execute(2)).available == 7

    hold = store.products.hold_next(1)
    async with tidy(store) as tasks:
        tasks.append(asyncio.create_task(worker_a.get_product_page.execute(1)))
        await within(hold.started.wait())

        await worker_b.change_product_price.execute(PriceChange(1, Decimal("9.99"), "EUR"))
        await worker_b.add_stock.execute(StockAddition(2, 1))

        read_a = await within(worker_a.get_product_page.execute(1))
        assert read_a.price == Decimal("9.99"), "a read after the write joined an older load"
        assert (await within(worker_a.get_product_page.execute(2))).available == 8

        hold.release.set()
        await within(tasks[0])

    for worker in (worker_a, worker_b, worker_a):
        assert (await within(worker.get_product_page.execute(1))).price == Decimal("9.99")


async def test_a_slow_fill_finishing_after_a_write_elsewhere_is_not_served() -> None:
    store = seeded()
    shared = InMemoryCache(default_ttl_seconds=3600)
    worker_a = build(store, shared)
    worker_b = build(store, shared)

    hold = store.products.hold_next(1)
    async with tidy(store) as tasks:
        tasks.append(asyncio.create_task(worker_a.get_product_page.execute(1)))
        await within(hold.started.wait())
        await worker_b.change_product_price.execute(PriceChange(1, Decimal("9.99"), "EUR"))
        hold.release.set()
        await within(tasks[0])

    assert (await within(worker_b.get_product_page.execute(1))).price == Decimal("9.99")
    assert (await within(worker_a.get_product_page.execute(1))).price == Decimal("9.99")


# --- HTTP and the composition root ---------------------------------------------------------------


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


async def create_product(
    client: httpx.AsyncClient, sku: str = "SKU-1", price: str = "12.50", stock: int = 0
) -> JSON:
    response = await client.post(
        "/products", json={"sku": sku, "name": "Widget", "price": price, "currency": "EUR"}
    )
    assert response.status_code == 201, response.text
    body: JSON = response.json()
    if stock:
        added = await client.post(f"/stock/{body['id']}", json={"quantity": stock})
        assert added.status_code == 200, added.text
    return body


@contextmanager
def database(settings: Settings) -> Iterator[sqlite3.Connection]:
    path = make_url(settings.database_url).database
    assert path is not None
    connection = sqlite3.connect(path)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


async def test_page_endpoint(client: httpx.AsyncClient) -> None:
    product = await create_product(client, stock=7)
    response = await client.get(f"/products/{product['id']}/page")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": product["id"],
        "sku": "SKU-1",
        "name": "Widget",
        "price": "12.50",
        "currency": "EUR",
        "available": 7,
        "availability": "in_stock",
    }
    missing = await client.get("/products/99/page")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "product 99 not found", "code": "product_not_found"}
    assert (await client.get(f"/products/{product['id']}")).json() == product


async def test_page_endpoint_is_cached_and_invalidated_by_writes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    product = await create_product(client, stock=7)
    url = f"/products/{product['id']}/page"
    assert (await client.get(url)).json()["available"] == 7

    with database(settings) as connection:
        connection.execute("UPDATE stock SET quantity = 20 WHERE product_id = ?", (product["id"],))
    assert (await client.get(url)).json()["available"] == 7, "the second read must be a hit"

    assert (await client.post(f"/stock/{product['id']}", json={"quantity": 1})).status_code == 200
    assert (await client.get(url)).json()["available"] == 21

    customer = await client.post("/customers", json={"email": "a@example.com", "name": "A"})
    order = await client.post(
        "/orders",
        json={
            "customer_id": customer.json()["id"],
            "lines": [{"product_id": product["id"], "quantity": 18}],
        },
    )
    assert order.status_code == 201, order.text
    after_order = (await client.get(url)).json()
    assert (after_order["available"], after_order["availability"]) == (3, "low_stock")

    assert (await client.post(f"/orders/{order.json()['id']}/cancel")).status_code == 200
    assert (await client.get(url)).json()["available"] == 21

    changed = await client.put(
        f"/products/{product['id']}/price", json={"price": "9.99", "currency": "USD"}
    )
    assert changed.status_code == 200
    assert (await client.get(url)).json()["price"] == "9.99"


async def test_settings_reach_the_pages(tmp_path: Path) -> None:
    defaults = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/d.db")
    assert defaults.catalogue_page_ttl_seconds == 30.0
    assert defaults.catalogue_page_ttl_jitter == 0.2
    assert defaults.catalogue_low_stock_threshold == 5

    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db", catalogue_low_stock_threshold=2
    )
    async with running(create_app(settings)) as client:
        low = await create_product(client, sku="LOW", stock=2)
        high = await create_product(client, sku="HIGH", stock=3)
        assert (await client.get(f"/products/{low['id']}/page")).json()["availability"] == (
            "low_stock"
        )
        assert (await client.get(f"/products/{high['id']}/page")).json()["availability"] == (
            "in_stock"
        )


async def test_applications_do_not_share_pages(tmp_path: Path) -> None:
    first = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/first.db"))
    second = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/second.db"))
    async with running(first) as client:
        created = await create_product(client, price="12.50", stock=7)
        assert (await client.get(f"/products/{created['id']}/page")).json()["available"] == 7
    async with running(second) as client:
        other = await create_product(client, sku="OTHER", price="3.00", stock=1)
        assert other["id"] == created["id"]
        page = (await client.get(f"/products/{other['id']}/page")).json()
        assert (page["sku"], page["price"], page["available"]) == ("OTHER", "3.00", 1)


async def test_the_three_argument_build_still_works(use_cases: UseCases) -> None:
    # The conftest's use cases: build_use_cases(lambda: uow, InMemoryCache(), publisher).
    created = await use_cases.create_product.execute(
        NewProduct("SKU-9", "Widget", Decimal("1.00"), "EUR")
    )
    page = await use_cases.get_product_page.execute(created.id)
    assert (page.available, page.availability) == (0, "out_of_stock")
