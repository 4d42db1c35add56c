"""Quality probes: amounts a finance report can trust, whatever the entry point."""

from decimal import Decimal

import httpx
import pytest
from start_fakes import FakeUnitOfWork

from ordersvc.application.dto import OrderLineRequest
from ordersvc.application.quotes import QuoteRequest
from ordersvc.bootstrap import build_use_cases
from ordersvc.domain.catalog import Product
from ordersvc.domain.errors import DomainError
from ordersvc.domain.money import Money
from ordersvc.infrastructure.cache import InMemoryCache


async def test_no_amount_is_negative_zero(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/products", json={"sku": "PEN", "name": "Pen", "price": "10.00", "currency": "EUR"}
    )
    assert created.status_code == 201, created.text
    lines = [{"product_id": created.json()["id"], "quantity": 1}]
    # A client computing "no discount" as -0 (JavaScript does) sends -0 or "-0.00".
    for percent in ("-0", "-0.00", -0.0):
        response = await client.post("/quotes", json={"lines": lines, "discount_percent": percent})
        if response.status_code == 422:
            continue
        assert response.status_code == 200, response.text
        body = response.json()
        amounts = [body["subtotal"], body["discount"], body["total"]]
        assert not any(amount.startswith("-") for amount in amounts), (percent, amounts)


async def test_the_discount_range_holds_for_every_entry_point() -> None:
    uow = FakeUnitOfWork()
    await uow.products.add(Product(sku="PEN", name="Pen", price=Money(Decimal("10.00"), "EUR")))
    use_cases = build_use_cases(lambda: uow, InMemoryCache(), uow.publisher)
    lines = (OrderLineRequest(product_id=1, quantity=1),)
    # A worker or an import calls the use case directly, without the HTTP schema's checks.
    for percent in (Decimal("150"), Decimal("-10")):
        with pytest.raises(DomainError):
            await use_cases.quote_basket.execute(QuoteRequest(lines, percent))
