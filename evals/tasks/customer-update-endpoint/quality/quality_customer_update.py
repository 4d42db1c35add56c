"""Quality probes: PATCH /customers/{id} when requests race each other."""

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ordersvc.infrastructure.unit_of_work import SqlAlchemyUnitOfWork

JSON = dict[str, Any]


class Rendezvous:
    """Holds the first two commits until both have arrived (both requests have checked the
    database), then lets the commits run one after the other (SQLite has one writer at a time)."""

    def __init__(self) -> None:
        self.arrived = 0
        self.both = asyncio.Event()
        self.one_at_a_time = asyncio.Lock()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived > 2:
            return
        if self.arrived == 2:
            self.both.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.both.wait(), 2)


@contextlib.contextmanager
def commits_meet(monkeypatch: pytest.MonkeyPatch) -> Iterator[Rendezvous]:
    rendezvous = Rendezvous()
    original = SqlAlchemyUnitOfWork.commit

    async def commit(self: SqlAlchemyUnitOfWork) -> None:
        await rendezvous.wait()
        async with rendezvous.one_at_a_time:
            await original(self)

    with monkeypatch.context() as patch:
        patch.setattr(SqlAlchemyUnitOfWork, "commit", commit)
        yield rendezvous


async def register(client: httpx.AsyncClient, email: str, name: str) -> JSON:
    response = await client.post("/customers", json={"email": email, "name": name})
    assert response.status_code == 201, response.text
    body: JSON = response.json()
    return body


async def test_two_customers_claiming_one_email_get_200_and_409(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        ann = await register(client, "ann@example.com", "Ann")
        bob = await register(client, "bob@example.com", "Bob")

        with commits_meet(monkeypatch):
            # Both requests find the address free before either saves it.
            first, second = await asyncio.gather(
                client.patch(
                    f"/customers/{ann['id']}", json={"email": "shared@example.com", "name": "A2"}
                ),
                client.patch(
                    f"/customers/{bob['id']}", json={"email": "shared@example.com", "name": "B2"}
                ),
            )

        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [200, 409], (statuses, first.text, second.text)
        loser = first if first.status_code == 409 else second
        assert loser.json()["code"] == "duplicate_email"
        winner, unchanged = (ann, bob) if first.status_code == 200 else (bob, ann)
        assert (await client.get(f"/customers/{winner['id']}")).json()["email"] == (
            "shared@example.com"
        )
        # The rejected request changed nothing, not even its name.
        assert (await client.get(f"/customers/{unchanged['id']}")).json() == unchanged


async def test_an_impossible_customer_id_is_not_a_server_error(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        await register(client, "ann@example.com", "Ann")
        response = await client.patch(f"/customers/{2**63}", json={"name": "Nobody"})
    assert response.status_code in (404, 422), (response.status_code, response.text)
