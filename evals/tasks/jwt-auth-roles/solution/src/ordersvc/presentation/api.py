"""Builds the FastAPI application from the routers; the composition root supplies the lifespan."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import Depends, FastAPI

from ordersvc.presentation.dependencies import require_admin
from ordersvc.presentation.errors import register_error_handlers
from ordersvc.presentation.routers import auth, customers, orders, products, stock

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def build_api(lifespan: Lifespan, *, auth_enabled: bool = False) -> FastAPI:
    """With `auth_enabled`, catalogue writes need an admin token and /auth and /users exist."""
    app = FastAPI(title="ordersvc", version="0.1.0", lifespan=lifespan)
    for router in (customers.router, stock.router, orders.router):
        app.include_router(router)
    app.include_router(products.read_router)
    if auth_enabled:
        app.include_router(products.write_router, dependencies=[Depends(require_admin)])
        app.include_router(auth.router)
    else:
        app.include_router(products.write_router)
    register_error_handlers(app)
    return app
