import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ordersvc.application.dto import NewProduct, PriceChange
from ordersvc.application.use_cases import UseCases
from ordersvc.bootstrap import build_use_cases
from ordersvc.config import Settings
from ordersvc.domain.errors import DomainError
from ordersvc.infrastructure.cache import InMemoryCache
from ordersvc.infrastructure.database import create_engine, create_schema, create_session_factory
from ordersvc.infrastructure.event_bus import InProcessEventBus
from ordersvc.infrastructure.unit_of_work import SqlAlchemyUnitOfWork


async def create_product(client: httpx.AsyncClient) -> httpx.Response:
    response = await client.post(
        "/products", json={"sku": "SKU-1", "name": "Widget", "price": "10.00", "currency": "EUR"}
    )
    assert response.status_code == 201, response.text
    return response


async def put_price(
    client: httpx.AsyncClient, price: str, if_match: str | None = None, product_id: int = 1
) -> httpx.Response:
    headers = {} if if_match is None else {"If-Match": if_match}
    return await client.put(
        f"/products/{product_id}/price",
        json={"price": price, "currency": "EUR"},
        headers=headers,
    )


async def test_versions_are_exposed_as_etags(client: httpx.AsyncClient) -> None:
    created = await create_product(client)
    assert created.headers["ETag"] == '"1"'
    assert "version" not in created.json()
    read = await client.get("/products/1")
    assert read.headers["ETag"] == '"1"'
    assert read.json() == created.json()


async def test_update_with_current_version_succeeds_and_bumps_it(
    client: httpx.AsyncClient,
) -> None:
    await create_product(client)
    updated = await put_price(client, "11.00", '"1"')
    assert updated.status_code == 200, updated.text
    assert updated.json()["price"] == "11.00"
    assert updated.headers["ETag"] == '"2"'
    read = await client.get("/products/1")
    assert (read.json()["price"], read.headers["ETag"]) == ("11.00", '"2"')
    again = await put_price(client, "12.00", '"2"')
    assert again.status_code == 200
    assert again.headers["ETag"] == '"3"'


async def test_second_writer_with_stale_version_gets_409(client: httpx.AsyncClient) -> None:
    await create_product(client)
    alice_saw = (await client.get("/products/1")).headers["ETag"]
    bob_saw = (await client.get("/products/1")).headers["ETag"]

    assert (await put_price(client, "11.00", alice_saw)).status_code == 200
    lost = await put_price(client, "9.00", bob_saw)

    assert lost.status_code == 409, lost.text
    assert lost.json()["code"] == "stale_version"
    assert isinstance(lost.json()["detail"], str)
    read = await client.get("/products/1")
    assert (read.json()["price"], read.headers["ETag"]) == ("11.00", '"2"')

    retried = await put_price(client, "9.00", read.headers["ETag"])
    assert retried.status_code == 200
    assert retried.headers["ETag"] == '"3"'


async def test_update_without_if_match_still_works(client: httpx.AsyncClient) -> None:
    await create_product(client)
    response = await put_price(client, "11.00")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert (await client.get("/products/1")).headers["ETag"] == '"2"'


async def test_stale_update_of_unknown_product_is_404(client: httpx.AsyncClient) -> None:
    assert (await put_price(client, "11.00", '"1"', product_id=9)).status_code == 404


async def test_malformed_if_match_is_422(client: httpx.AsyncClient) -> None:
    await create_product(client)
    for if_match in ["abc", "1x", '"one"']:
        response = await put_price(client, "11.00", if_match)
        assert response.status_code == 422, if_match
    assert (await client.get("/products/1")).headers["ETag"] == '"1"'


async def test_concurrent_requests_with_same_version(client: httpx.AsyncClient) -> None:
    await create_product(client)
    first, second = await asyncio.gather(
        put_price(client, "11.00", '"1"'), put_price(client, "12.00", '"1"')
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner = first if first.status_code == 200 else second
    read = await client.get("/products/1")
    assert read.json()["price"] == winner.json()["price"]
    assert read.headers["ETag"] == '"2"'


class _Rendezvous:
    """Holds every commit until two units of work have reached it (or a short timeout)."""

    def __init__(self) -> None:
        self.arrived = 0
        self.both = asyncio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= 2:
            self.both.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.both.wait(), 0.5)


class _RendezvousUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        publisher: InProcessEventBus,
        rendezvous: _Rendezvous,
    ) -> None:
        super().__init__(session_factory, publisher)
        self._rendezvous = rendezvous

    async def commit(self) -> None:
        await self._rendezvous.wait()
        await super().commit()


@pytest.fixture
async def session_factory(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url)
    await create_schema(engine)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def sql_use_cases(
    session_factory: async_sessionmaker[AsyncSession], rendezvous: _Rendezvous | None = None
) -> UseCases:
    bus = InProcessEventBus()

    def uow_factory() -> SqlAlchemyUnitOfWork:
        if rendezvous is None:
            return SqlAlchemyUnitOfWork(session_factory, bus)
        return _RendezvousUnitOfWork(session_factory, bus, rendezvous)

    return build_use_cases(uow_factory, InMemoryCache(), bus)


async def outcome(use_cases: UseCases, price: str) -> str:
    try:
        await use_cases.change_product_price.execute(
            PriceChange(1, Decimal(price), "EUR", expected_version=1)
        )
    except DomainError as error:
        return error.code
    return "ok"


async def test_interleaved_use_cases_cannot_both_win(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    plain = sql_use_cases(session_factory)
    await plain.create_product.execute(NewProduct("SKU-1", "Widget", Decimal("10.00"), "EUR"))

    racing = sql_use_cases(session_factory, _Rendezvous())
    outcomes = await asyncio.gather(outcome(racing, "11.00"), outcome(racing, "12.00"))

    assert sorted(outcomes) == ["ok", "stale_version"]
    winner = "11.00" if outcomes[0] == "ok" else "12.00"
    product = await plain.get_product.execute(1)
    assert product.price == Decimal(winner)
    assert (await outcome(plain, "13.00")) == "stale_version"


async def test_use_case_rejects_stale_expected_version(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    use_cases = sql_use_cases(session_factory)
    await use_cases.create_product.execute(NewProduct("SKU-1", "Widget", Decimal("10.00"), "EUR"))
    changed = await use_cases.change_product_price.execute(
        PriceChange(1, Decimal("11.00"), "EUR", expected_version=1)
    )
    assert changed.price == Decimal("11.00")
    with pytest.raises(DomainError) as caught:
        await use_cases.change_product_price.execute(
            PriceChange(1, Decimal("12.00"), "EUR", expected_version=1)
        )
    assert caught.value.code == "stale_version"
    assert (await use_cases.get_product.execute(1)).price == Decimal("11.00")
