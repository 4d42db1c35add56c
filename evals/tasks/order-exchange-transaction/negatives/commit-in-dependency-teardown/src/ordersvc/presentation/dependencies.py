"""FastAPI dependencies. The use cases are built by the composition root at start-up."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from ordersvc.application.unit_of_work import AbstractUnitOfWork, UnitOfWorkFactory
from ordersvc.application.use_cases import UseCases


def get_use_cases(request: Request) -> UseCases:
    use_cases = request.app.state.use_cases
    if not isinstance(use_cases, UseCases):
        raise RuntimeError("app.state.use_cases is not set: was the lifespan run?")
    return use_cases


UseCasesDep = Annotated[UseCases, Depends(get_use_cases)]


async def get_unit_of_work(request: Request) -> AsyncIterator[AbstractUnitOfWork]:
    """One transaction per request, committed when the endpoint returned without an error."""
    factory: UnitOfWorkFactory = request.app.state.uow_factory
    async with factory() as uow:
        yield uow
        await uow.commit()


UnitOfWorkDep = Annotated[AbstractUnitOfWork, Depends(get_unit_of_work)]
