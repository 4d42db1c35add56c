"""Builds the FastAPI application from the routers; the composition root supplies the lifespan."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from ordersvc.presentation.errors import register_error_handlers
from ordersvc.presentation.request_id import RequestIdMiddleware
from ordersvc.presentation.routers import customers, orders, products, stock

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def build_api(lifespan: Lifespan) -> FastAPI:
    app = FastAPI(title="ordersvc", version="0.1.0", lifespan=lifespan)
    for router in (customers.router, products.router, stock.router, orders.router):
        app.include_router(router)
    register_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    return app
