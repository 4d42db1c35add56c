"""Quality probes: edited cursors are refused; cursors outlive the instance that issued them."""

import base64
import binascii
from typing import Any

import httpx

from ordersvc.bootstrap import create_app
from ordersvc.config import Settings

JSON = dict[str, Any]


async def _make_products(client: httpx.AsyncClient, count: int) -> None:
    for n in range(1, count + 1):
        response = await client.post(
            "/products",
            json={"sku": f"SKU-{n}", "name": f"Widget {n}", "price": "1.50", "currency": "EUR"},
        )
        assert response.status_code == 201, response.text


async def _page(client: httpx.AsyncClient, **params: Any) -> JSON:
    response = await client.get("/products/page", params=params)
    assert response.status_code == 200, response.text
    body: JSON = response.json()
    return body


def _b64decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None


def _edited(cursor: str, last_id: int, new_id: int) -> str | None:
    """The cursor with the id inside it changed, as a client would edit it; None when the id
    cannot be found in it (an encrypted cursor cannot be edited at all)."""
    parts = cursor.split(".")
    for index, part in enumerate(parts):
        raw = _b64decode(part)
        old = str(last_id).encode()
        if raw is None or old not in raw:
            continue
        position = raw.rindex(old)
        changed = raw[:position] + str(new_id).encode() + raw[position + len(old) :]
        encoded = base64.urlsafe_b64encode(changed).decode()
        parts[index] = encoded if part.endswith("=") else encoded.rstrip("=")
        return ".".join(parts)
    return None


async def test_an_edited_cursor_is_refused(client: httpx.AsyncClient) -> None:
    """A client that edits the id inside an issued cursor (to jump ahead, or to a huge id) gets
    the 422 invalid_cursor of a cursor we did not issue, not a page from somewhere else."""
    await _make_products(client, 8)
    first = await _page(client, limit=2)
    cursor = first["next_cursor"]
    assert isinstance(cursor, str)

    for new_id in (5, 10**30):
        forged = _edited(cursor, 2, new_id)
        if forged is None:
            continue
        response = await client.get("/products/page", params={"limit": 2, "after": forged})
        assert response.status_code == 422, (new_id, response.text)
        assert response.json()["code"] == "invalid_cursor"


async def test_a_cursor_works_on_another_instance(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Several instances behind a load balancer, restarted on deploys: the next page request of a
    walk may reach another instance, which must accept the cursor."""
    await _make_products(client, 5)
    first = await _page(client, limit=2)

    other = create_app(settings)
    async with (
        other.router.lifespan_context(other),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://test") as c,
    ):
        second = await _page(c, limit=2, after=first["next_cursor"])

    assert [item["id"] for item in second["items"]] == [3, 4]
