"""Hidden tests: order search with filters, two sorts, and signed keyset cursors over ties."""

import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

JSON = dict[str, Any]
BASE = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
PRICES = {"A": "10.00", "B": "5.00", "C": "2.50"}
ITEM_KEYS = {"id", "customer_id", "status", "total", "currency", "placed_at"}


@pytest.fixture(autouse=True)
def _utc_process() -> Iterator[None]:
    """Run in UTC whatever the host's zone (the zone itself is not what these tests judge)."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


class Clock:
    def __init__(self) -> None:
        self.now = BASE

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Placed:
    id: int
    customer_id: int
    total: Decimal
    placed_at: datetime
    status: str = "placed"


@dataclass
class Shop:
    client: httpx.AsyncClient
    clock: Clock
    customers: list[int] = field(default_factory=list)
    products: dict[str, int] = field(default_factory=dict)
    orders: dict[int, Placed] = field(default_factory=dict)

    async def place(self, customer: int, at: datetime, **lines: int) -> Placed:
        self.clock.now = at
        body = {
            "customer_id": self.customers[customer],
            "lines": [
                {"product_id": self.products[sku], "quantity": q} for sku, q in lines.items()
            ],
        }
        response = await self.client.post("/orders", json=body)
        assert response.status_code == 201, response.text
        created = response.json()
        placed = Placed(created["id"], created["customer_id"], Decimal(created["total"]), at)
        self.orders[placed.id] = placed
        return placed

    async def cancel(self, order_id: int) -> None:
        response = await self.client.post(f"/orders/{order_id}/cancel")
        assert response.status_code == 200, response.text
        self.orders[order_id].status = "cancelled"


@asynccontextmanager
async def running(
    settings: Settings, clock: Clock | None = None, secret: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    if secret is not None:
        settings = Settings(database_url=settings.database_url, cursor_secret=secret)
    app = create_app(settings, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


async def open_shop(client: httpx.AsyncClient, clock: Clock) -> Shop:
    shop = Shop(client, clock)
    for n in range(3):
        response = await client.post("/customers", json={"email": f"c{n}@example.com", "name": "C"})
        assert response.status_code == 201, response.text
        shop.customers.append(response.json()["id"])
    for sku, price in PRICES.items():
        response = await client.post(
            "/products", json={"sku": sku, "name": sku, "price": price, "currency": "EUR"}
        )
        assert response.status_code == 201, response.text
        shop.products[sku] = response.json()["id"]
        stocked = await client.post(f"/stock/{shop.products[sku]}", json={"quantity": 100_000})
        assert stocked.status_code == 200, stocked.text
    return shop


def instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.utcoffset() == timedelta(0), f"placed_at {text!r} is not in UTC"
    return value


def check_item(shop: Shop, item: JSON) -> None:
    assert set(item) == ITEM_KEYS, item
    known = shop.orders[item["id"]]
    assert item["customer_id"] == known.customer_id
    assert item["status"] == known.status
    assert item["total"] == f"{known.total:.2f}"
    assert item["currency"] == "EUR"
    assert instant(item["placed_at"]) == known.placed_at


async def get_page(client: httpx.AsyncClient, **params: Any) -> JSON:
    response = await client.get("/orders", params=params)
    assert response.status_code == 200, response.text
    body: JSON = response.json()
    assert set(body) == {"items", "next_cursor"}, body
    return body


async def walk(shop: Shop, limit: int, **params: Any) -> list[int]:
    """Every page, in order; checks page sizes and that next_cursor is null exactly at the end."""
    ids: list[int] = []
    cursor: str | None = None
    for _ in range(500):
        query = {**params, "limit": limit} | ({} if cursor is None else {"cursor": cursor})
        body = await get_page(shop.client, **query)
        for item in body["items"]:
            check_item(shop, item)
        ids.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
        assert isinstance(cursor, str)
        assert len(body["items"]) == limit, "a page with a next_cursor must be full"
    raise AssertionError("the walk does not end")


def newest_key(order: Placed) -> tuple[datetime, int]:
    return order.placed_at, order.id


def newest(orders: list[Placed]) -> list[int]:
    return [o.id for o in sorted(orders, key=newest_key, reverse=True)]


def largest(orders: list[Placed]) -> list[int]:
    return [o.id for o in sorted(orders, key=lambda o: (-o.total, o.id))]


def us(n: int) -> timedelta:
    return timedelta(microseconds=n)


async def place_ties(shop: Shop) -> None:
    """22 orders over five instants, three of them within one second; ids not in time order."""
    t, t1, t2, t3, old = BASE, BASE + us(1), BASE + us(999_999), BASE + us(1_000_000), BASE
    old = BASE - timedelta(days=1)
    plan = [t, t3, t, old, t1, t, t2, t3, t, old, t1, t, t2, old, t, t3, t, t1, old, t, t2, t]
    for n, at in enumerate(plan):
        await shop.place(n % 3, at, A=1 + n % 2, C=1 + n % 4)


@contextmanager
def database_activity() -> Iterator[list[int]]:
    """Rows returned by each SQL statement executed while active."""
    rows: list[int] = []

    def after(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        buffered = getattr(cursor, "_rows", None)
        assert buffered is not None, "cannot count the rows of this driver's cursor"
        rows.append(len(buffered))

    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield rows
    finally:
        event.remove(Engine, "after_cursor_execute", after)


async def test_newest_first_pages_through_ties(settings: Settings) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        await place_ties(shop)
        expected = newest(list(shop.orders.values()))

        for limit in (1, 3, 4, 9, 22, 100):
            assert await walk(shop, limit) == expected, f"limit={limit}"
        assert await walk(shop, 3, sort="newest") == expected


async def test_largest_first_pages_through_equal_totals(settings: Settings) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        baskets: list[dict[str, int]] = [
            {"A": 2},
            {"B": 2},
            {"B": 4},
            {"A": 1, "C": 1},
            {"C": 8},
            {"A": 1},
            {"A": 1, "B": 2},
            {"C": 4},
            {"B": 2, "C": 1},
            {"A": 1, "C": 4},
            {"B": 1, "C": 2},
            {"C": 5},
            {"B": 2, "C": 4},
            {"A": 1},
            {"A": 2},
            {"C": 3},
            {"B": 1, "C": 1},
            {"A": 1, "C": 1},
        ]
        for n, basket in enumerate(baskets):
            # newer orders are not the larger ones: the two sorts must disagree
            await shop.place(n % 3, BASE + timedelta(minutes=(n * 7) % 11), **basket)
        expected = largest(list(shop.orders.values()))
        assert len({shop.orders[i].total for i in expected}) < len(expected) / 2

        for limit in (1, 2, 3, 5, 18):
            assert await walk(shop, limit, sort="largest") == expected, f"limit={limit}"


async def test_filters_combine_and_date_range_is_half_open_in_any_offset(
    settings: Settings,
) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        hour = timedelta(hours=1)
        times = [
            BASE - us(1),
            BASE,
            BASE,
            BASE + us(1),
            BASE + hour / 2,
            BASE + hour - us(1),
            BASE + hour,
            BASE + hour,
            BASE - 2 * hour,
            BASE + 2 * hour,
            BASE + hour / 2,
        ]
        placed = [
            await shop.place(n % 2, at, **({"A": 1} if n % 3 else {"B": 1}))
            for n, at in enumerate(times)
        ]
        for order in placed[1::3]:
            await shop.cancel(order.id)
        orders = list(shop.orders.values())
        start, end = BASE, BASE + hour

        # 12:00+02:00 is BASE; 06:00-05:00 is BASE + 1 hour
        window = {
            "placed_from": "2025-03-01T12:00:00+02:00",
            "placed_to": "2025-03-01T06:00:00-05:00",
        }
        in_window = [o for o in orders if start <= o.placed_at < end]
        assert await walk(shop, 2, **window) == newest(in_window)
        assert await walk(shop, 2, sort="largest", **window) == largest(in_window)

        ann = shop.customers[0]
        for status in ("placed", "cancelled"):
            matching = [o for o in in_window if o.customer_id == ann and o.status == status]
            assert matching
            params = window | {"customer_id": ann, "status": status}
            assert await walk(shop, 1, **params) == newest(matching)
            assert await walk(shop, 2, sort="largest", **params) == largest(matching)

        since = [o for o in orders if o.placed_at >= BASE + hour / 2]
        from_only = {"placed_from": "2025-03-01T10:30:00Z"}
        assert await walk(shop, 3, **from_only) == newest(since)
        before = [o for o in orders if o.placed_at < BASE]
        assert await walk(shop, 3, placed_to="2025-03-01T11:00:00+01:00") == newest(before)
        bob_placed = [o for o in orders if o.customer_id == shop.customers[1]]
        bob_placed = [o for o in bob_placed if o.status == "placed"]
        params = {"customer_id": shop.customers[1], "status": "placed"}
        assert await walk(shop, 2, **params) == newest(bob_placed)

        nobody = await get_page(client, customer_id=shop.customers[2])
        assert nobody == {"items": [], "next_cursor": None}
        assert await get_page(client, customer_id=999) == {"items": [], "next_cursor": None}


async def test_placed_at_is_the_instant_in_utc_whatever_the_clock_offset(
    settings: Settings,
) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        plus_two = timezone(timedelta(hours=2))
        early = await shop.place(0, datetime(2025, 3, 1, 12, 30, 0, 123456, tzinfo=plus_two), A=1)
        late = await shop.place(0, datetime(2025, 3, 1, 11, 0, tzinfo=UTC), A=1)

        body = await get_page(client)
        assert [item["id"] for item in body["items"]] == [late.id, early.id]
        assert instant(body["items"][1]["placed_at"]) == datetime(
            2025, 3, 1, 10, 30, 0, 123456, tzinfo=UTC
        )
        only_early = await get_page(client, placed_to="2025-03-01T10:30:00.123457Z")
        assert [item["id"] for item in only_early["items"]] == [early.id]


async def test_default_clock_stamps_the_current_utc_instant(settings: Settings) -> None:
    async with running(settings) as client:
        shop = await open_shop(client, Clock())
        before = datetime.now(UTC)
        response = await client.post(
            "/orders",
            json={
                "customer_id": shop.customers[0],
                "lines": [{"product_id": shop.products["A"], "quantity": 1}],
            },
        )
        after = datetime.now(UTC)
        assert response.status_code == 201, response.text
        body = await get_page(client)
        assert [item["id"] for item in body["items"]] == [response.json()["id"]]
        assert before <= instant(body["items"][0]["placed_at"]) <= after


async def test_walk_is_stable_while_orders_are_placed_and_cancelled(settings: Settings) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        await place_ties(shop)
        originals = list(shop.orders.values())

        first = await get_page(client, limit=5)
        anchor = shop.orders[first["items"][-1]["id"]]
        seen = [item["id"] for item in first["items"]]
        # newer orders, one at the anchor's very instant, and a backdated import
        await shop.place(1, BASE + timedelta(hours=1), B=1)
        await shop.place(2, anchor.placed_at, B=3)
        await shop.place(0, anchor.placed_at, B=3)
        await shop.place(2, BASE + timedelta(hours=2), B=1)
        await shop.place(1, BASE - timedelta(days=3), C=1)
        later = newest(originals)[8]
        await shop.cancel(later)

        cursor = first["next_cursor"]
        while cursor is not None:
            body = await get_page(client, limit=5, cursor=cursor)
            for item in body["items"]:
                check_item(shop, item)
            seen.extend(item["id"] for item in body["items"])
            cursor = body["next_cursor"]

        assert len(seen) == len(set(seen)), f"orders returned twice: {seen}"
        assert set(seen) >= {o.id for o in originals}, "an order that existed all along is missing"
        keys = [newest_key(shop.orders[i]) for i in seen]
        assert keys == sorted(keys, reverse=True)


async def test_largest_walk_is_stable_while_orders_are_placed(settings: Settings) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        for n in range(16):
            await shop.place(
                n % 3, BASE + timedelta(seconds=n), **({"A": 1} if n % 2 else {"B": 2})
            )
        originals = list(shop.orders.values())
        first = await get_page(client, limit=3, sort="largest")
        seen = [item["id"] for item in first["items"]]
        assert {shop.orders[i].total for i in seen} == {Decimal("10.00")}

        await shop.place(0, BASE, A=1)  # the anchor's total, a higher id
        await shop.place(1, BASE, A=5)  # larger than anything
        await shop.place(2, BASE, C=1)  # smaller than anything
        cursor = first["next_cursor"]
        while cursor is not None:
            body = await get_page(client, limit=3, sort="largest", cursor=cursor)
            seen.extend(item["id"] for item in body["items"])
            cursor = body["next_cursor"]

        assert len(seen) == len(set(seen)), f"orders returned twice: {seen}"
        assert set(seen) >= {o.id for o in originals}
        keys = [(-shop.orders[i].total, i) for i in seen]
        assert keys == sorted(keys)


async def test_each_page_is_one_bounded_statement(settings: Settings) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        await place_ties(shop)
        await place_ties(shop)
        requests: list[JSON] = [
            {"limit": 4},
            {"limit": 4, "sort": "largest"},
            {"limit": 2, "customer_id": shop.customers[0], "placed_from": "2025-03-01T10:00:00Z"},
            {"limit": 2, "sort": "largest", "status": "placed", "placed_to": "2025-03-02T00:00Z"},
        ]
        for params in requests:
            cursor: str | None = None
            for page in range(4):
                query = params | ({} if cursor is None else {"cursor": cursor})
                with database_activity() as rows:
                    body = await get_page(client, **query)
                assert len(rows) == 1, f"page {page} of {params}: {len(rows)} SQL statements"
                assert rows[0] <= params["limit"] + 1, f"{rows[0]} rows read for one page"
                cursor = body["next_cursor"]
                assert cursor is not None


async def test_limit_defaults_to_20_and_is_bounded(settings: Settings) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        await place_ties(shop)
        expected = newest(list(shop.orders.values()))
        first = await get_page(client)
        assert [item["id"] for item in first["items"]] == expected[:20]
        rest = await get_page(client, cursor=first["next_cursor"])
        assert [item["id"] for item in rest["items"]] == expected[20:]
        assert rest["next_cursor"] is None
        for limit in ("0", "-1", "101", "1000", "ten", "2.5"):
            response = await client.get("/orders", params={"limit": limit})
            assert response.status_code == 422, f"limit={limit}: {response.status_code}"


@pytest.mark.parametrize(
    "params",
    [
        {"status": "shipped"},
        {"status": "pending"},
        {"sort": "oldest"},
        {"customer_id": "0"},
        {"customer_id": "abc"},
        {"placed_from": "2025-03-01T10:00:00"},
        {"placed_to": "2025-03-01T10:00:00"},
        {"placed_from": "yesterday"},
        {"placed_from": "2025-03-01T10:00:00Z", "placed_to": "2025-03-01T10:00:00Z"},
        {"placed_from": "2025-03-01T12:00:00+01:00", "placed_to": "2025-03-01T10:30:00Z"},
    ],
)
async def test_invalid_filters_are_422(client: httpx.AsyncClient, params: JSON) -> None:
    response = await client.get("/orders", params=params)
    assert response.status_code == 422, f"{params}: {response.status_code} {response.text}"


def assert_rejected(response: httpx.Response, code: str) -> None:
    assert response.status_code == 400, f"{response.status_code} {response.text}"
    body = response.json()
    assert set(body) == {"detail", "code"}, body
    assert isinstance(body["detail"], str)
    assert body["code"] == code, body


GARBAGE_CURSORS = [
    "x",
    "not-a-cursor",
    "%%%",
    "eyJpZCI6IDF9",
    "eyJpZCI6IDF9.c2lnbmF0dXJl",
    "null",
    "\u00e9" * 10,
    "A" * 5000,
]


async def test_garbage_cursor_is_400(settings: Settings) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        await shop.place(0, BASE, A=1)
        await shop.place(1, BASE, A=1)
        for cursor in GARBAGE_CURSORS:
            variants: list[JSON] = [{"cursor": cursor}, {"cursor": cursor, "sort": "largest"}]
            for params in variants:
                assert_rejected(await client.get("/orders", params=params), "invalid_cursor")


def altered(cursor: str) -> list[str]:
    """The cursor with one character changed at a few positions, truncated, and doubled.

    A changed character is a letter or digit replaced by another of its kind, inside a run of
    letters and digits (never the last character of an encoded segment, whose spare bits some
    encodings ignore), so the encoded bytes always change.
    """

    def swap(char: str) -> str:
        for alphabet in ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            if char in alphabet:
                return alphabet[(alphabet.index(char) + 7) % len(alphabet)]
        raise AssertionError(char)

    inner = [
        i
        for i in range(1, len(cursor) - 2)
        if cursor[i - 1 : i + 2].isascii() and cursor[i - 1 : i + 2].isalnum()
    ]
    positions = sorted({inner[len(inner) * k // 6] for k in range(1, 6)}) if inner else []
    variants = [cursor[:i] + swap(cursor[i]) + cursor[i + 1 :] for i in positions]
    variants += [cursor[:-1], cursor[1:], cursor[: len(cursor) // 2], cursor + cursor]
    return [v for v in variants if v != cursor]


async def test_altered_cursor_is_400(settings: Settings) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        await place_ties(shop)
        cases: list[JSON] = [{"limit": 3}, {"limit": 2, "sort": "largest", "status": "placed"}]
        for params in cases:
            first = await get_page(client, **params)
            cursor = first["next_cursor"]
            assert isinstance(cursor, str)
            assert (await client.get("/orders", params={**params, "cursor": cursor})).is_success
            for variant in altered(cursor):
                response = await client.get("/orders", params={**params, "cursor": variant})
                assert_rejected(response, "invalid_cursor")


async def test_cursor_is_signed_with_the_configured_secret(settings: Settings) -> None:
    clock = Clock()
    async with running(settings, clock, secret="alpha-secret") as client:
        shop = await open_shop(client, clock)
        await place_ties(shop)
        first = await get_page(client, limit=4, sort="largest")
        second = await get_page(client, limit=4, sort="largest", cursor=first["next_cursor"])

    params = {"limit": 4, "sort": "largest", "cursor": first["next_cursor"]}
    async with running(settings, clock, secret="beta-secret") as other:
        assert_rejected(await other.get("/orders", params=params), "invalid_cursor")
    async with running(settings, clock, secret="alpha-secret") as same:
        response = await same.get("/orders", params=params)
        assert response.status_code == 200, response.text
        assert response.json() == second


async def test_cursor_only_works_with_its_filters_and_sort(settings: Settings) -> None:
    clock = Clock()
    async with running(settings, clock) as client:
        shop = await open_shop(client, clock)
        await place_ties(shop)
        await place_ties(shop)
        ann, bob = shop.customers[0], shop.customers[1]
        await shop.cancel(next(o.id for o in shop.orders.values() if o.customer_id == ann))
        params: JSON = {"customer_id": ann, "status": "placed", "placed_from": "2025-02-01T00:00Z"}
        first = await get_page(client, limit=2, **params)
        cursor = first["next_cursor"]
        assert isinstance(cursor, str)

        others: list[JSON] = [
            params | {"status": "cancelled"},
            {k: v for k, v in params.items() if k != "status"},
            params | {"customer_id": bob},
            {k: v for k, v in params.items() if k != "customer_id"},
            params | {"sort": "largest"},
            params | {"placed_from": "2025-02-01T00:00:01Z"},
            {k: v for k, v in params.items() if k != "placed_from"},
            params | {"placed_to": "2030-01-01T00:00Z"},
        ]
        for other in others:
            response = await client.get("/orders", params=other | {"cursor": cursor, "limit": 2})
            assert_rejected(response, "cursor_mismatch")

        expected = newest(
            [o for o in shop.orders.values() if o.customer_id == ann and o.status == "placed"]
        )
        rest = await walk_from(shop, cursor, limit=5, **params)
        assert [item["id"] for item in first["items"]] + rest == expected
        explicit = await get_page(client, limit=2, sort="newest", **params)
        assert explicit["items"] == first["items"]


async def walk_from(shop: Shop, cursor: str | None, limit: int, **params: Any) -> list[int]:
    ids: list[int] = []
    while cursor is not None:
        body = await get_page(shop.client, limit=limit, cursor=cursor, **params)
        ids.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
    return ids
