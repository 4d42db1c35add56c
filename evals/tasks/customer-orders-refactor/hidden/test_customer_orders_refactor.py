"""Hidden tests: the customer order history keeps its contract, 404s, and leaves SQL alone."""

import ast
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

import ordersvc.presentation
from ordersvc.application.use_cases import UseCases


async def _customer(client: httpx.AsyncClient, email: str) -> int:
    response = await client.post("/customers", json={"email": email, "name": "C"})
    assert response.status_code == 201, response.text
    customer_id: int = response.json()["id"]
    return customer_id


async def _product(client: httpx.AsyncClient, sku: str, price: str) -> int:
    response = await client.post(
        "/products", json={"sku": sku, "name": sku, "price": price, "currency": "EUR"}
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    assert (await client.post(f"/stock/{product_id}", json={"quantity": 50})).status_code == 200
    return product_id


async def _order(client: httpx.AsyncClient, customer_id: int, lines: list[tuple[int, int]]) -> Any:
    response = await client.post(
        "/orders",
        json={
            "customer_id": customer_id,
            "lines": [{"product_id": p, "quantity": q} for p, q in lines],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_history_keeps_its_contract(client: httpx.AsyncClient) -> None:
    ann = await _customer(client, "ann@example.com")
    bob = await _customer(client, "bob@example.com")
    quiet = await _customer(client, "quiet@example.com")
    a = await _product(client, "A", "12.50")
    b = await _product(client, "B", "0.99")
    c = await _product(client, "C", "100.00")
    first = await _order(client, ann, [(a, 2), (b, 3)])
    other = await _order(client, bob, [(c, 1)])
    second = await _order(client, ann, [(c, 1)])
    third = await _order(client, ann, [(b, 1), (a, 1), (c, 2)])
    assert (await client.post(f"/orders/{second['id']}/cancel")).status_code == 200

    response = await client.get(f"/customers/{ann}/orders")

    assert response.status_code == 200, response.text
    assert response.json() == [
        {
            "id": third["id"],
            "status": "placed",
            "item_count": 4,
            "total": "213.49",
            "currency": "EUR",
        },
        {
            "id": second["id"],
            "status": "cancelled",
            "item_count": 1,
            "total": "100.00",
            "currency": "EUR",
        },
        {
            "id": first["id"],
            "status": "placed",
            "item_count": 5,
            "total": "27.97",
            "currency": "EUR",
        },
    ]
    bobs = (await client.get(f"/customers/{bob}/orders")).json()
    assert bobs == [
        {
            "id": other["id"],
            "status": "placed",
            "item_count": 1,
            "total": "100.00",
            "currency": "EUR",
        }
    ]
    empty = await client.get(f"/customers/{quiet}/orders")
    assert empty.status_code == 200
    assert empty.json() == []


async def test_unknown_customer_is_404(client: httpx.AsyncClient) -> None:
    await _customer(client, "ann@example.com")
    response = await client.get("/customers/42/orders")
    assert response.status_code == 404
    assert response.json() == {"detail": "customer 42 not found", "code": "customer_not_found"}


async def test_use_case_is_exposed(app: FastAPI, client: httpx.AsyncClient) -> None:
    use_cases = app.state.use_cases
    assert isinstance(use_cases, UseCases)
    assert callable(use_cases.list_customer_orders.execute)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_presentation_does_not_import_sqlalchemy() -> None:
    offenders: list[str] = []
    files = 0
    for root in ordersvc.presentation.__path__:
        for path in sorted(Path(root).rglob("*.py")):
            files += 1
            for module in _imported_modules(path):
                if module == "sqlalchemy" or module.startswith("sqlalchemy."):
                    offenders.append(f"{path.name}: {module}")
    assert files >= 5
    assert offenders == []
