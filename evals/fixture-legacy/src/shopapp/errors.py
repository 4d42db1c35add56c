"""The one exception the app raises on purpose.

Every error response has the body ``{"error": {"code": "UPPER_SNAKE", "message": "..."}}``
(see ``shopapp.error_handlers``). Raise ``ApiError`` from routes, helpers and services alike;
do not raise ``HTTPException``.
"""


class ApiError(Exception):
    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"ApiError({self.status_code}, {self.code!r}, {self.message!r})"
