import sqlite3
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from start_fakes import FakeUnitOfWork

from ordersvc.application.dto import NewSupplier
from ordersvc.bootstrap import build_use_cases
from ordersvc.config import Settings
from ordersvc.domain.errors import DomainError
from ordersvc.infrastructure.cache import InMemoryCache
from ordersvc.infrastructure.in_memory import InMemorySupplierRepository

JSON = dict[str, Any]

ACME: JSON = {"name": "Acme Tools", "contact_email": "orders@acme.example", "lead_time_days": 7}


async def register(client: httpx.AsyncClient, body: JSON) -> JSON:
    response = await client.post("/suppliers", json=body)
    assert response.status_code == 201, response.text
    created: JSON = response.json()
    return created


async def test_register_and_read_a_supplier(client: httpx.AsyncClient) -> None:
    created = await register(
        client, ACME | {"name": "  Acme Tools ", "contact_email": " Orders@ACME.example"}
    )

    assert created == {
        "id": 1,
        "name": "Acme Tools",
        "contact_email": "orders@acme.example",
        "lead_time_days": 7,
        "active": True,
    }
    assert (await client.get("/suppliers/1")).json() == created


async def test_supplier_is_stored_in_the_database(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = await register(client, ACME)
    database = make_url(settings.database_url).database
    assert database is not None
    connection = sqlite3.connect(database)
    try:
        count = connection.execute("SELECT count(*) FROM suppliers").fetchone()[0]
    finally:
        connection.close()
    assert count == 1
    assert (await client.get(f"/suppliers/{created['id']}")).status_code == 200


async def test_list_suppliers_in_id_order_with_active_filter(client: httpx.AsyncClient) -> None:
    first = await register(client, ACME)
    second = await register(
        client,
        {
            "name": "Bolt Brothers",
            "contact_email": "sales@bolt.example",
            "lead_time_days": 0,
            "active": False,
        },
    )
    third = await register(
        client, {"name": "Cogs Ltd", "contact_email": "hi@cogs.example", "lead_time_days": 365}
    )

    assert (await client.get("/suppliers")).json() == [first, second, third]
    assert (await client.get("/suppliers", params={"active": "true"})).json() == [first, third]
    assert (await client.get("/suppliers", params={"active": "false"})).json() == [second]


async def test_empty_list(client: httpx.AsyncClient) -> None:
    response = await client.get("/suppliers")
    assert response.status_code == 200
    assert response.json() == []


async def test_unknown_supplier_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/suppliers/42")
    assert response.status_code == 404
    assert response.json() == {"detail": "supplier 42 not found", "code": "supplier_not_found"}


async def test_supplier_names_are_unique_ignoring_case(client: httpx.AsyncClient) -> None:
    await register(client, ACME)
    response = await client.post(
        "/suppliers", json=ACME | {"name": "ACME tools", "contact_email": "x@y.example"}
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "duplicate_supplier"
    assert len((await client.get("/suppliers")).json()) == 1


INVALID: list[JSON] = [
    ACME | {"name": ""},
    ACME | {"name": "   "},
    ACME | {"name": "x" * 201},
    ACME | {"contact_email": "not-an-email"},
    ACME | {"lead_time_days": -1},
    ACME | {"lead_time_days": 366},
    ACME | {"lead_time_days": "soon"},
    ACME | {"rating": 5},
    ACME | {"id": 9},
    {"name": "Acme Tools", "contact_email": "orders@acme.example"},
]


async def test_invalid_suppliers_are_422(client: httpx.AsyncClient) -> None:
    for body in INVALID:
        response = await client.post("/suppliers", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await client.get("/suppliers")).json() == []


class SupplierUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.suppliers = InMemorySupplierRepository()
        self.commits = 0  # across every `async with` block

    async def _commit(self) -> None:
        await super()._commit()
        self.commits += 1


def fields(supplier: Any) -> tuple[Any, ...]:
    """What the ticket promises of a returned supplier: its attributes, not its class or ==."""
    return (
        supplier.id,
        supplier.name,
        supplier.contact_email,
        supplier.lead_time_days,
        supplier.active,
    )


async def test_use_cases_with_the_in_memory_repository() -> None:
    uow = SupplierUnitOfWork()
    use_cases = build_use_cases(lambda: uow, InMemoryCache(), uow.publisher)

    created = await use_cases.register_supplier.execute(
        NewSupplier(name=" Acme ", contact_email="A@Acme.example", lead_time_days=3, active=True)
    )
    assert uow.commits == 1
    assert fields(created) == (1, "Acme", "a@acme.example", 3, True)

    dormant = await use_cases.register_supplier.execute(
        NewSupplier(name="Dormant", contact_email="d@d.example", lead_time_days=30, active=False)
    )
    assert dormant.id == 2
    assert fields(await use_cases.get_supplier.execute(1)) == fields(created)
    everyone = [fields(s) for s in await use_cases.list_suppliers.execute()]
    assert everyone == [fields(created), fields(dormant)]
    active = [fields(s) for s in await use_cases.list_suppliers.execute(active=True)]
    assert active == [fields(created)]
    inactive = [fields(s) for s in await use_cases.list_suppliers.execute(active=False)]
    assert inactive == [fields(dormant)]


async def test_use_case_errors_are_domain_errors() -> None:
    uow = SupplierUnitOfWork()
    use_cases = build_use_cases(lambda: uow, InMemoryCache(), uow.publisher)
    await use_cases.register_supplier.execute(
        NewSupplier(name="Acme", contact_email="a@acme.example", lead_time_days=3, active=True)
    )

    with pytest.raises(DomainError) as missing:
        await use_cases.get_supplier.execute(7)
    assert missing.value.code == "supplier_not_found"

    commits = uow.commits
    with pytest.raises(DomainError) as duplicate:
        await use_cases.register_supplier.execute(
            NewSupplier(name="ACME", contact_email="b@acme.example", lead_time_days=1, active=True)
        )
    assert duplicate.value.code == "duplicate_supplier"
    assert uow.commits == commits

    invalid_data: list[dict[str, Any]] = [
        {"name": " ", "contact_email": "c@c.example", "lead_time_days": 1},
        {"name": "Cogs", "contact_email": "nope", "lead_time_days": 1},
        {"name": "Cogs", "contact_email": "c@c.example", "lead_time_days": -2},
        {"name": "Cogs", "contact_email": "c@c.example", "lead_time_days": 400},
    ]
    for bad in invalid_data:
        # Built inside: a command that validates itself on construction is fine too.
        with pytest.raises(DomainError) as invalid:
            await use_cases.register_supplier.execute(NewSupplier(**bad, active=True))
        assert invalid.value.code == "invalid_value"
    assert len(await use_cases.list_suppliers.execute()) == 1
