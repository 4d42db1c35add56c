"""Maps domain errors to HTTP responses: {"detail": ..., "code": ...}."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from ordersvc.domain.errors import (
    Conflict,
    DomainError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from ordersvc.presentation.schemas import ErrorOut

# Most specific first; anything else that is a DomainError is a 422.
STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (NotAuthenticated, status.HTTP_401_UNAUTHORIZED),
    (PermissionDenied, status.HTTP_403_FORBIDDEN),
    (NotFound, status.HTTP_404_NOT_FOUND),
    (Conflict, status.HTTP_409_CONFLICT),
)


def status_for(error: DomainError) -> int:
    for error_type, status_code in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status_code
    return status.HTTP_422_UNPROCESSABLE_CONTENT


def register_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def handle_domain_error(request: Request, exc: DomainError) -> JSONResponse:
        body = ErrorOut(detail=exc.message, code=exc.code)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
        return JSONResponse(status_code=status_for(exc), content=body.model_dump(), headers=headers)


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorOut},
    status.HTTP_409_CONFLICT: {"model": ErrorOut},
}
AUTH_RESPONSES: dict[int | str, dict[str, object]] = {
    status.HTTP_401_UNAUTHORIZED: {"model": ErrorOut},
    status.HTTP_403_FORBIDDEN: {"model": ErrorOut},
}
