"""Quality probes: an oversized order is refused cheaply, and the refusal says what to fix."""

import re
from decimal import Decimal

import httpx
import pytest
from start_fakes import FakeProductRepository, FakeStockRepository, FakeUnitOfWork

from ordersvc.application.dto import NewCustomer, NewProduct, OrderLineRequest, OrderRequest
from ordersvc.bootstrap import build_use_cases
from ordersvc.domain.catalog import Product, Stock
from ordersvc.domain.errors import DomainError
from ordersvc.infrastructure.cache import InMemoryCache


class CountingProducts(FakeProductRepository):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    async def get(self, product_id: int) -> Product | None:
        self.lookups += 1
        return await super().get(product_id)


class CountingStock(FakeStockRepository):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    async def get(self, product_id: int) -> Stock | None:
        self.lookups += 1
        return await super().get(product_id)


async def test_an_oversized_order_is_refused_before_any_catalog_lookup() -> None:
    """A 5 000-line request (from a client or the bulk import) costs no product or stock query."""
    uow = FakeUnitOfWork()
    products, stock = CountingProducts(), CountingStock()
    uow.products, uow.stock = products, stock
    use_cases = build_use_cases(lambda: uow, InMemoryCache(), uow.publisher)
    customer = await use_cases.register_customer.execute(NewCustomer("ann@example.com", "Ann"))
    await use_cases.create_product.execute(NewProduct("W", "Widget", Decimal("2.50"), "EUR"))
    products.lookups = stock.lookups = 0
    request = OrderRequest(
        customer.id, tuple(OrderLineRequest(product_id, 1) for product_id in range(1, 5001))
    )

    with pytest.raises(DomainError) as raised:
        await use_cases.place_order.execute(request)

    assert raised.value.code == "too_many_order_lines"
    assert (products.lookups, stock.lookups) == (0, 0)


async def test_policy_errors_state_the_limit_and_the_offending_product(
    client: httpx.AsyncClient,
) -> None:
    """The 409 tells the client what to change: the limit broken, and which line broke it."""
    response = await client.post("/customers", json={"email": "ann@example.com", "name": "Ann"})
    customer_id = response.json()["id"]
    ids: list[int] = []
    for number in range(11):
        response = await client.post(
            "/products",
            json={"sku": f"SKU-{number}", "name": "Widget", "price": "2.50", "currency": "EUR"},
        )
        ids.append(response.json()["id"])

    too_many = await client.post(
        "/orders",
        json={"customer_id": customer_id, "lines": [{"product_id": p, "quantity": 1} for p in ids]},
    )
    offending = ids[2]
    too_much = await client.post(
        "/orders",
        json={
            "customer_id": customer_id,
            "lines": [
                {"product_id": ids[0], "quantity": 1},
                {"product_id": offending, "quantity": 26},
            ],
        },
    )

    assert too_many.status_code == 409, too_many.text
    assert re.search(r"\b10\b", too_many.json()["detail"]), too_many.json()
    assert too_much.status_code == 409, too_much.text
    detail = too_much.json()["detail"]
    assert re.search(r"\b25\b", detail), detail
    assert re.search(rf"\b{offending}\b", detail), detail
