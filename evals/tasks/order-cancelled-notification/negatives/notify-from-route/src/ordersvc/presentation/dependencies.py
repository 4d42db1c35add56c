"""FastAPI dependencies. The use cases are built by the composition root at start-up."""

from typing import Annotated

from fastapi import Depends, Request

from ordersvc.application.ports import Notifier
from ordersvc.application.use_cases import UseCases


def get_use_cases(request: Request) -> UseCases:
    use_cases = request.app.state.use_cases
    if not isinstance(use_cases, UseCases):
        raise RuntimeError("app.state.use_cases is not set: was the lifespan run?")
    return use_cases


UseCasesDep = Annotated[UseCases, Depends(get_use_cases)]


def get_notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


NotifierDep = Annotated[Notifier, Depends(get_notifier)]
