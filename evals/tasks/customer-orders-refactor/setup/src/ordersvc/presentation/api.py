"""Builds the FastAPI application from the routers; the composition root supplies the lifespan."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from ordersvc.presentation.errors import register_error_handlers
from ordersvc.presentation.routers import customer_orders, customers, orders, products, stock

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def build_api(lifespan: Lifespan) -> FastAPI:
    app = FastAPI(title="ordersvc", version="0.1.0", lifespan=lifespan)
    routers = (
        customers.router,
        customer_orders.router,
        products.router,
        stock.router,
        orders.router,
    )
    for router in routers:
        app.include_router(router)
    register_error_handlers(app)
    return app
