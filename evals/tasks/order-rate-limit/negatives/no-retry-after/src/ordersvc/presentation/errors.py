"""Maps domain errors to HTTP responses: {"detail": ..., "code": ...}."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from ordersvc.application.rate_limit import RateLimited
from ordersvc.domain.errors import Conflict, DomainError, NotFound
from ordersvc.presentation.schemas import ErrorOut

# Most specific first; anything else that is a DomainError is a 422.
STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (RateLimited, status.HTTP_429_TOO_MANY_REQUESTS),
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
        return JSONResponse(status_code=status_for(exc), content=body.model_dump())


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorOut},
    status.HTTP_409_CONFLICT: {"model": ErrorOut},
    status.HTTP_429_TOO_MANY_REQUESTS: {"model": ErrorOut},
}
