"""JSON log lines for stdlib logging: one object per line, ready for the log shipper."""

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

_STANDARD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "request_id"}


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request being handled (None outside requests).

    The id is read when the record is created, in the task that logs it, so concurrent
    requests never see each other's id.
    """

    def __init__(self, request_id: Callable[[], str | None]) -> None:
        super().__init__()
        self._request_id = request_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = self._request_id()
        return True


class JsonFormatter(logging.Formatter):
    """timestamp, level, logger, message, request_id, plus any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def json_log_handler(stream: TextIO, request_id: Callable[[], str | None]) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter(request_id))
    handler.setFormatter(JsonFormatter())
    return handler
