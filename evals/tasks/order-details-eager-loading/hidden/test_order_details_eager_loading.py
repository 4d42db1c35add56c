"""Hidden tests: order details with customer and products at a fixed number of statements."""

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine

from ordersvc.application.dto import (
    CustomerDTO,
    OrderDetailsDTO,
    OrderLineDetailsDTO,
    ProductDTO,
)
from ordersvc.application.use_cases import UseCases
from ordersvc.domain.errors import CustomerNotFound, OrderNotFound
from ordersvc.domain.order import OrderStatus

JSON = dict[str, Any]


@contextmanager
def statements() -> Iterator[list[str]]:
    executed: list[str] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        executed.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield executed
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def customer(client: httpx.AsyncClient, email: str, name: str = "Ann") -> JSON:
    response = await client.post("/customers", json={"email": email, "name": name})
    assert response.status_code == 201, response.text
    body: JSON = response.json()
    return body


async def products(client: httpx.AsyncClient, count: int, prefix: str = "P") -> list[JSON]:
    created: list[JSON] = []
    for n in range(count):
        price = f"{1 + n % 7}.{(n * 13) % 100:02d}"
        response = await client.post(
            "/products",
            json={"sku": f"{prefix}-{n}", "name": f"Item {n}", "price": price, "currency": "EUR"},
        )
        assert response.status_code == 201, response.text
        created.append(response.json())
        stocked = await client.post(f"/stock/{created[-1]['id']}", json={"quantity": 10_000})
        assert stocked.status_code == 200, stocked.text
    return created


async def place(client: httpx.AsyncClient, customer_id: int, lines: list[tuple[int, int]]) -> JSON:
    body = {
        "customer_id": customer_id,
        "lines": [{"product_id": p, "quantity": q} for p, q in lines],
    }
    response = await client.post("/orders", json=body)
    assert response.status_code == 201, response.text
    placed: JSON = response.json()
    return placed


async def current(client: httpx.AsyncClient, path: str) -> Any:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


async def expected_details(client: httpx.AsyncClient, order_id: int) -> JSON:
    """What the details must say, assembled from the existing endpoints."""
    order = await current(client, f"/orders/{order_id}")
    lines = []
    for line in order["lines"]:
        product = await current(client, f"/products/{line['product_id']}")
        subtotal = Decimal(line["unit_price"]) * line["quantity"]
        lines.append(
            {
                "product": product,
                "quantity": line["quantity"],
                "unit_price": line["unit_price"],
                "subtotal": f"{subtotal:.2f}",
            }
        )
    return {
        "id": order["id"],
        "status": order["status"],
        "total": order["total"],
        "currency": order["currency"],
        "customer": await current(client, f"/customers/{order['customer_id']}"),
        "lines": lines,
    }


def use_cases_of(app: FastAPI) -> UseCases:
    use_cases = app.state.use_cases
    assert isinstance(use_cases, UseCases)
    return use_cases


async def test_details_show_customer_and_current_product_data(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com", "Ann Smith")
    widget, gadget, gizmo = await products(client, 3)
    order = await place(client, ann["id"], [(gizmo["id"], 3), (widget["id"], 2), (gadget["id"], 1)])
    repriced = await client.put(
        f"/products/{widget['id']}/price", json={"price": "99.95", "currency": "EUR"}
    )
    assert repriced.status_code == 200, repriced.text

    details = await current(client, f"/orders/{order['id']}/details")

    assert details == {
        "id": order["id"],
        "status": "placed",
        "total": order["total"],
        "currency": "EUR",
        "customer": {"id": ann["id"], "email": "ann@example.com", "name": "Ann Smith"},
        "lines": [
            {
                "product": gizmo,
                "quantity": 3,
                "unit_price": gizmo["price"],
                "subtotal": f"{Decimal(gizmo['price']) * 3:.2f}",
            },
            {
                "product": widget | {"price": "99.95"},
                "quantity": 2,
                "unit_price": widget["price"],
                "subtotal": f"{Decimal(widget['price']) * 2:.2f}",
            },
            {
                "product": gadget,
                "quantity": 1,
                "unit_price": gadget["price"],
                "subtotal": gadget["price"],
            },
        ],
    }


async def test_details_of_a_cancelled_order_and_unknown_ids(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com")
    catalogue = await products(client, 2)
    order = await place(client, ann["id"], [(catalogue[1]["id"], 4)])
    assert (await client.post(f"/orders/{order['id']}/cancel")).status_code == 200

    details = await current(client, f"/orders/{order['id']}/details")
    assert details == await expected_details(client, order["id"])
    assert details["status"] == "cancelled"

    missing = await client.get("/orders/999/details")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "order 999 not found", "code": "order_not_found"}


async def test_customer_order_list_in_detail(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com")
    bob = await customer(client, "bob@example.com", "Bob")
    catalogue = await products(client, 4)
    ids = [p["id"] for p in catalogue]
    placed = []
    for n in range(5):
        await place(client, bob["id"], [(ids[n % 4], 1)])
        placed.append(
            await place(client, ann["id"], [(ids[(n + k) % 4], k + 1) for k in range(n % 3 + 1)])
        )
    for order in (placed[1], placed[4]):
        assert (await client.post(f"/orders/{order['id']}/cancel")).status_code == 200
    await client.put(f"/products/{ids[2]}/price", json={"price": "0.10", "currency": "EUR"})

    listed = await current(client, f"/customers/{ann['id']}/orders/details")
    assert listed == [await expected_details(client, o["id"]) for o in placed]
    cancelled = await current(client, f"/customers/{ann['id']}/orders/details?status=cancelled")
    assert [o["id"] for o in cancelled] == [placed[1]["id"], placed[4]["id"]]
    assert cancelled == [o for o in listed if o["status"] == "cancelled"]
    still_placed = await current(client, f"/customers/{ann['id']}/orders/details?status=placed")
    assert still_placed == [o for o in listed if o["status"] == "placed"]

    quiet = await customer(client, "quiet@example.com")
    assert await current(client, f"/customers/{quiet['id']}/orders/details") == []
    assert await current(client, f"/customers/{bob['id']}/orders/details?status=cancelled") == []
    missing = await client.get("/customers/999/orders/details")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "customer 999 not found", "code": "customer_not_found"}
    for bad in ("shipped", "pending", "PLACED"):
        response = await client.get(f"/customers/{ann['id']}/orders/details?status={bad}")
        assert response.status_code == 422, f"status={bad}: {response.status_code}"


async def test_details_cost_does_not_grow_with_lines(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com")
    catalogue = await products(client, 40)
    small = await place(client, ann["id"], [(catalogue[0]["id"], 1)])
    big = await place(client, ann["id"], [(p["id"], 1 + n % 3) for n, p in enumerate(catalogue)])

    with statements() as for_small:
        small_details = await current(client, f"/orders/{small['id']}/details")
    with statements() as for_big:
        big_details = await current(client, f"/orders/{big['id']}/details")

    assert len(big_details["lines"]) == 40
    assert big_details == await expected_details(client, big["id"])
    assert small_details == await expected_details(client, small["id"])
    assert 1 <= len(for_small) <= 3, for_small
    assert len(for_big) == len(for_small), for_big


async def test_list_cost_does_not_grow_with_orders_or_lines(client: httpx.AsyncClient) -> None:
    catalogue = await products(client, 12)
    few = await customer(client, "few@example.com")
    many = await customer(client, "many@example.com")
    await place(client, few["id"], [(catalogue[0]["id"], 1)])
    orders = []
    for n in range(30):
        lines = [(catalogue[(n + k) % 12]["id"], k + 1) for k in range(1 + n % 5)]
        orders.append(await place(client, many["id"], lines))
    for order in orders[::4]:
        assert (await client.post(f"/orders/{order['id']}/cancel")).status_code == 200

    paths = {
        "few": f"/customers/{few['id']}/orders/details",
        "many": f"/customers/{many['id']}/orders/details",
        "many placed": f"/customers/{many['id']}/orders/details?status=placed",
        "many cancelled": f"/customers/{many['id']}/orders/details?status=cancelled",
    }
    counts: dict[str, int] = {}
    for name, path in paths.items():
        with statements() as executed:
            listed = await current(client, path)
        assert listed, name
        counts[name] = len(executed)
    assert 1 <= counts["few"] <= 3, counts
    assert set(counts.values()) == {counts["few"]}, counts
    everything = await current(client, paths["many"])
    assert len(everything) == 30
    assert everything[7] == await expected_details(client, orders[7]["id"])
    assert everything[8] == await expected_details(client, orders[8]["id"])


def assert_plain(value: object, path: str = "result") -> None:
    """Only the declared DTOs and plain values: no ORM instance anywhere inside."""
    assert inspect(value, raiseerr=False) is None, f"{path} is a SQLAlchemy-mapped object"
    if isinstance(value, tuple | list):
        for n, item in enumerate(value):
            assert_plain(item, f"{path}[{n}]")
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            assert_plain(getattr(value, field.name), f"{path}.{field.name}")
    else:
        assert isinstance(value, int | str | Decimal), f"{path}: {type(value).__name__}"


async def test_use_cases_return_plain_dtos_in_bounded_statements(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ann = await customer(client, "ann@example.com")
    catalogue = await products(client, 6)
    orders = [
        await place(client, ann["id"], [(p["id"], n + 1) for p in catalogue[n : n + 3]])
        for n in range(4)
    ]
    await client.post(f"/orders/{orders[2]['id']}/cancel")
    use_cases = use_cases_of(app)

    with statements() as executed:
        details = await use_cases.get_order_details.execute(orders[1]["id"])
    assert 1 <= len(executed) <= 3
    assert type(details) is OrderDetailsDTO
    assert type(details.customer) is CustomerDTO
    assert all(type(line) is OrderLineDetailsDTO for line in details.lines)
    assert all(type(line.product) is ProductDTO for line in details.lines)
    assert isinstance(details.lines, tuple)
    assert_plain(details)
    assert (details.id, details.status, details.customer.email) == (
        orders[1]["id"],
        "placed",
        "ann@example.com",
    )
    assert [line.product.id for line in details.lines] == [p["id"] for p in catalogue[1:4]]
    assert [line.subtotal for line in details.lines] == [
        Decimal(p["price"]) * 2 for p in catalogue[1:4]
    ]
    assert details.total == Decimal(orders[1]["total"])

    with statements() as executed:
        listed = await use_cases.list_customer_order_details.execute(ann["id"])
    assert 1 <= len(executed) <= 3
    assert isinstance(listed, list)
    assert [o.id for o in listed] == [o["id"] for o in orders]
    assert_plain(listed)
    cancelled = await use_cases.list_customer_order_details.execute(
        ann["id"], OrderStatus.CANCELLED
    )
    assert [o.id for o in cancelled] == [orders[2]["id"]]
    assert cancelled[0].status == "cancelled"
    placed = await use_cases.list_customer_order_details.execute(ann["id"], OrderStatus.PLACED)
    assert [o.id for o in placed] == [orders[n]["id"] for n in (0, 1, 3)]

    with pytest.raises(OrderNotFound):
        await use_cases.get_order_details.execute(999)
    with pytest.raises(CustomerNotFound):
        await use_cases.list_customer_order_details.execute(999)


async def test_existing_endpoints_keep_their_statement_counts(client: httpx.AsyncClient) -> None:
    ann = await customer(client, "ann@example.com")
    catalogue = await products(client, 3)
    await place(client, ann["id"], [(catalogue[0]["id"], 1)])
    await current(client, "/orders/1/details")

    async def cost(method: str, path: str, body: JSON | None = None) -> int:
        with statements() as executed:
            response = await client.request(method, path, json=body)
        assert response.is_success, response.text
        return len(executed)

    two_lines = {
        "customer_id": ann["id"],
        "lines": [
            {"product_id": catalogue[1]["id"], "quantity": 2},
            {"product_id": 1, "quantity": 1},
        ],
    }
    assert await cost("POST", "/orders", two_lines) == 10
    assert await cost("GET", "/orders/2") == 2
    assert await cost("POST", "/orders/2/cancel") == 6
    assert await cost("GET", "/products") == 1
    assert await cost("GET", f"/products/{catalogue[2]['id']}") == 1
    assert await cost("GET", f"/customers/{ann['id']}") == 1
    price = {"price": "3.00", "currency": "EUR"}
    assert await cost("PUT", f"/products/{catalogue[2]['id']}/price", price) == 2
