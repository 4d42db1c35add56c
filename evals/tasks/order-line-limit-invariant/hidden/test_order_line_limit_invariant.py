import sqlite3
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from start_fakes import FakeUnitOfWork

from ordersvc.application.dto import (
    NewCustomer,
    NewProduct,
    OrderLineRequest,
    OrderRequest,
    StockAddition,
)
from ordersvc.application.use_cases import UseCases
from ordersvc.bootstrap import build_use_cases
from ordersvc.config import Settings
from ordersvc.domain.errors import DomainError
from ordersvc.infrastructure.cache import InMemoryCache

JSON = dict[str, Any]


async def customer(client: httpx.AsyncClient) -> int:
    response = await client.post("/customers", json={"email": "ann@example.com", "name": "Ann"})
    assert response.status_code == 201, response.text
    customer_id: int = response.json()["id"]
    return customer_id


async def products(client: httpx.AsyncClient, count: int, stock: int) -> list[int]:
    ids: list[int] = []
    for number in range(count):
        response = await client.post(
            "/products",
            json={"sku": f"SKU-{number}", "name": "Widget", "price": "2.50", "currency": "EUR"},
        )
        assert response.status_code == 201, response.text
        product_id: int = response.json()["id"]
        if stock:
            added = await client.post(f"/stock/{product_id}", json={"quantity": stock})
            assert added.status_code == 200, added.text
        ids.append(product_id)
    return ids


async def stock_levels(client: httpx.AsyncClient, product_ids: list[int]) -> list[int]:
    return [(await client.get(f"/stock/{pid}")).json()["quantity"] for pid in product_ids]


def order_body(customer_id: int, lines: list[tuple[int, int]]) -> JSON:
    return {
        "customer_id": customer_id,
        "lines": [{"product_id": pid, "quantity": quantity} for pid, quantity in lines],
    }


async def test_ten_lines_of_25_units_are_accepted(client: httpx.AsyncClient) -> None:
    customer_id = await customer(client)
    ids = await products(client, 10, stock=30)

    response = await client.post("/orders", json=order_body(customer_id, [(p, 25) for p in ids]))

    assert response.status_code == 201, response.text
    assert len(response.json()["lines"]) == 10
    assert response.json()["total"] == "625.00"
    assert await stock_levels(client, ids) == [5] * 10


async def test_eleven_lines_are_rejected_and_nothing_is_reserved(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await customer(client)
    ids = await products(client, 11, stock=5)

    response = await client.post("/orders", json=order_body(customer_id, [(p, 1) for p in ids]))

    assert response.status_code == 409, response.text
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == "too_many_order_lines"
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert await stock_levels(client, ids) == [5] * 11
    assert (await client.get("/orders/1")).status_code == 404


async def test_more_than_25_units_of_a_product_are_rejected(client: httpx.AsyncClient) -> None:
    customer_id = await customer(client)
    first, second = await products(client, 2, stock=100)

    response = await client.post(
        "/orders", json=order_body(customer_id, [(first, 5), (second, 26)])
    )

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "order_line_quantity_limit"
    assert isinstance(response.json()["detail"], str)
    assert await stock_levels(client, [first, second]) == [100, 100]
    assert (await client.get("/orders/1")).status_code == 404


async def test_limit_is_reported_before_stock_shortage(client: httpx.AsyncClient) -> None:
    customer_id = await customer(client)
    (product_id,) = await products(client, 1, stock=3)

    response = await client.post("/orders", json=order_body(customer_id, [(product_id, 40)]))

    assert response.status_code == 409
    assert response.json()["code"] == "order_line_quantity_limit"


async def test_duplicate_lines_are_still_invalid(client: httpx.AsyncClient) -> None:
    customer_id = await customer(client)
    (product_id,) = await products(client, 1, stock=10)
    response = await client.post(
        "/orders", json=order_body(customer_id, [(product_id, 1), (product_id, 2)])
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_value"


async def test_orders_stored_before_the_policy_still_work(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    customer_id = await customer(client)
    ids = await products(client, 12, stock=0)
    database = make_url(settings.database_url).database
    assert database is not None
    connection = sqlite3.connect(database)
    with connection:
        connection.execute(
            "INSERT INTO orders (id, customer_id, status, currency) VALUES (1, ?, 'placed', 'EUR')",
            (customer_id,),
        )
        connection.executemany(
            "INSERT INTO order_lines (order_id, product_id, quantity, unit_price_cents)"
            " VALUES (1, ?, 30, 250)",
            [(pid,) for pid in ids],
        )
    connection.close()

    read = await client.get("/orders/1")
    assert read.status_code == 200, read.text
    assert len(read.json()["lines"]) == 12
    assert read.json()["total"] == "900.00"

    cancelled = await client.post("/orders/1/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert await stock_levels(client, ids) == [30] * 12


class CountingUnitOfWork(FakeUnitOfWork):
    """The starting repository's fake, counting commits over every `async with` block."""

    def __init__(self) -> None:
        super().__init__()
        self.commits = 0

    async def _commit(self) -> None:
        await super()._commit()
        self.commits += 1


@pytest.fixture
def uow() -> CountingUnitOfWork:
    return CountingUnitOfWork()


@pytest.fixture
def use_cases(uow: CountingUnitOfWork) -> UseCases:
    return build_use_cases(lambda: uow, InMemoryCache(), uow.publisher)


async def seed(use_cases: UseCases, count: int) -> tuple[int, list[int]]:
    registered = await use_cases.register_customer.execute(NewCustomer("bob@example.com", "Bob"))
    ids: list[int] = []
    for number in range(count):
        product = await use_cases.create_product.execute(
            NewProduct(f"SKU-{number}", "Widget", Decimal("2.50"), "EUR")
        )
        await use_cases.add_stock.execute(StockAddition(product.id, 100))
        ids.append(product.id)
    return registered.id, ids


@pytest.mark.parametrize(
    ("count", "quantity", "code"),
    [(11, 1, "too_many_order_lines"), (1, 26, "order_line_quantity_limit")],
)
async def test_place_order_use_case_enforces_the_policy(
    use_cases: UseCases, uow: CountingUnitOfWork, count: int, quantity: int, code: str
) -> None:
    customer_id, ids = await seed(use_cases, count)
    request = OrderRequest(customer_id, tuple(OrderLineRequest(p, quantity) for p in ids))
    commits, published = uow.commits, list(uow.publisher.published)

    with pytest.raises(DomainError) as raised:
        await use_cases.place_order.execute(request)

    assert raised.value.code == code
    # The outcome, whatever the design: nothing committed, no event published.
    assert uow.commits == commits
    assert uow.publisher.published == published


async def test_place_order_use_case_accepts_the_limits(
    use_cases: UseCases, uow: CountingUnitOfWork
) -> None:
    customer_id, ids = await seed(use_cases, 10)
    request = OrderRequest(customer_id, tuple(OrderLineRequest(p, 25) for p in ids))
    commits = uow.commits
    order = await use_cases.place_order.execute(request)
    assert order.status == "placed"
    assert uow.commits == commits + 1
