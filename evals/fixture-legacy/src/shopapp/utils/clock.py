"""Time. The database stores naive UTC datetimes (SQLite keeps no time zone), so does the code."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as a naive UTC datetime: the form every DateTime column holds."""
    return datetime.now(UTC).replace(tzinfo=None)
