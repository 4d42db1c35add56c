"""Opaque keyset cursors: base64url of a small JSON document holding the last id of a page."""

import base64
import binascii
import json

from ordersvc.domain.errors import InvalidValue


class InvalidCursor(InvalidValue):
    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__("the cursor is not one this API issued")


def encode_cursor(last_id: int) -> str:
    raw = json.dumps({"id": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id the cursor points past, or InvalidCursor (a 422) for anything we did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor() from None
    last_id = document.get("id") if isinstance(document, dict) else None
    if not isinstance(last_id, int) or isinstance(last_id, bool) or last_id < 0:
        raise InvalidCursor()
    return last_id
