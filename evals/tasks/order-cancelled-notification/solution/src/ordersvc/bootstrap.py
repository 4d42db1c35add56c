"""The composition root: the only module that knows every layer. No import-time state."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ordersvc.application.catalog import (
    AddStock,
    ChangeProductPrice,
    CreateProduct,
    GetProduct,
    GetStock,
    ListProducts,
)
from ordersvc.application.customers import GetCustomer, RegisterCustomer
from ordersvc.application.notifications import NotifyCustomerOfCancellation
from ordersvc.application.orders import CancelOrder, GetOrder, PlaceOrder
from ordersvc.application.ports import Cache, EventPublisher, Notifier
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.application.use_cases import UseCases
from ordersvc.config import Settings
from ordersvc.domain.events import OrderCancelled
from ordersvc.infrastructure.cache import InMemoryCache
from ordersvc.infrastructure.database import create_engine, create_schema, create_session_factory
from ordersvc.infrastructure.event_bus import InProcessEventBus
from ordersvc.infrastructure.notifier import LoggingNotifier
from ordersvc.infrastructure.unit_of_work import SqlAlchemyUnitOfWork
from ordersvc.presentation.api import build_api


def build_use_cases(
    uow_factory: UnitOfWorkFactory, cache: Cache, publisher: EventPublisher
) -> UseCases:
    """Wire every use case to its ports.

    `uow_factory` returns a fresh unit of work per call (already bound to the publisher that
    delivers domain events after commit). `cache` and `publisher` are here for use cases that
    need them directly; none of the current ones does.
    """
    return UseCases(
        register_customer=RegisterCustomer(uow_factory),
        get_customer=GetCustomer(uow_factory),
        create_product=CreateProduct(uow_factory),
        get_product=GetProduct(uow_factory),
        list_products=ListProducts(uow_factory),
        change_product_price=ChangeProductPrice(uow_factory),
        add_stock=AddStock(uow_factory),
        get_stock=GetStock(uow_factory),
        place_order=PlaceOrder(uow_factory),
        get_order=GetOrder(uow_factory),
        cancel_order=CancelOrder(uow_factory),
    )


def subscribe_handlers(
    event_bus: InProcessEventBus, uow_factory: UnitOfWorkFactory, notifier: Notifier
) -> None:
    """Side effects of domain events; the bus calls them after the commit that raised them."""
    event_bus.subscribe(OrderCancelled, NotifyCustomerOfCancellation(uow_factory, notifier))


def create_app(settings: Settings | None = None, notifier: Notifier | None = None) -> FastAPI:
    """Application factory: `uvicorn --factory ordersvc.main:create_app`.

    `notifier` delivers customer notifications; by default they are only logged.
    """
    settings = settings or Settings()
    customer_notifier = notifier or LoggingNotifier()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logging.getLogger("ordersvc").setLevel(settings.log_level)
        engine = create_engine(settings.database_url)
        try:
            if settings.create_schema:
                await create_schema(engine)
            session_factory = create_session_factory(engine)
            event_bus = InProcessEventBus()
            cache = InMemoryCache(default_ttl_seconds=settings.cache_ttl_seconds)

            def uow_factory() -> SqlAlchemyUnitOfWork:
                return SqlAlchemyUnitOfWork(session_factory, event_bus)

            app.state.event_bus = event_bus
            app.state.cache = cache
            subscribe_handlers(event_bus, uow_factory, customer_notifier)
            app.state.use_cases = build_use_cases(uow_factory, cache, event_bus)
            yield
        finally:
            await engine.dispose()

    app = build_api(lifespan)
    app.state.settings = settings
    return app
