"""Quality probes: supplier names stay unique under concurrency and beyond ASCII."""

import asyncio
from typing import Any

import httpx

JSON = dict[str, Any]


def _supplier(name: str, email: str) -> JSON:
    return {"name": name, "contact_email": email, "lead_time_days": 7}


async def test_concurrent_registrations_of_one_name_give_one_supplier_and_a_409(
    client: httpx.AsyncClient,
) -> None:
    """Two purchasers register the same supplier at the same moment: one 201, one 409
    duplicate_supplier (not a 500), and a single row."""
    first, second = await asyncio.gather(
        client.post("/suppliers", json=_supplier("Acme Tools", "a@acme.example")),
        client.post("/suppliers", json=_supplier("ACME TOOLS", "b@acme.example")),
    )

    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [201, 409], (first.text, second.text)
    loser = first if first.status_code == 409 else second
    assert loser.json()["code"] == "duplicate_supplier"
    assert len((await client.get("/suppliers")).json()) == 1


async def test_names_differing_only_in_non_ascii_case_are_duplicates(
    client: httpx.AsyncClient,
) -> None:
    """'Ignoring case' holds for every supplier, not only ASCII names: Ärztebedarf Köln GmbH
    and ÄRZTEBEDARF KÖLN GMBH are the same supplier."""
    created = await client.post(
        "/suppliers", json=_supplier("Ärztebedarf Köln GmbH", "info@aerzte.example")
    )
    assert created.status_code == 201, created.text

    again = await client.post(
        "/suppliers", json=_supplier("ÄRZTEBEDARF KÖLN GMBH", "sales@aerzte.example")
    )

    assert again.status_code == 409, again.text
    assert again.json()["code"] == "duplicate_supplier"
