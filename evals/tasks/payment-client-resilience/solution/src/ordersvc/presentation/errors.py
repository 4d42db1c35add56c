"""Maps domain errors to HTTP responses: {"detail": ..., "code": ...}."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from ordersvc.domain.errors import (
    Conflict,
    DomainError,
    NotFound,
    PaymentDeclined,
    PaymentFailed,
    PaymentUnavailable,
)
from ordersvc.presentation.schemas import ErrorOut

# Most specific first; anything else that is a DomainError is a 422.
STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, status.HTTP_404_NOT_FOUND),
    (Conflict, status.HTTP_409_CONFLICT),
    (PaymentDeclined, status.HTTP_402_PAYMENT_REQUIRED),
    (PaymentFailed, status.HTTP_502_BAD_GATEWAY),
    (PaymentUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
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
}

PAYMENT_RESPONSES: dict[int | str, dict[str, object]] = {
    status.HTTP_402_PAYMENT_REQUIRED: {"model": ErrorOut},
    status.HTTP_502_BAD_GATEWAY: {"model": ErrorOut},
    status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut},
}
