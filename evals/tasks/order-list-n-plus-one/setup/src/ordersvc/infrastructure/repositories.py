"""SQLAlchemy repositories. They map rows to domain objects and keep both paired, so the unit of
work can copy domain changes back onto the rows (`sync`) before it commits."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ordersvc.domain.aggregate import AggregateRoot
from ordersvc.domain.catalog import Product, Stock
from ordersvc.domain.customer import Customer
from ordersvc.domain.order import Order
from ordersvc.infrastructure import mappers
from ordersvc.infrastructure.models import (
    Base,
    CustomerModel,
    OrderModel,
    ProductModel,
    StockModel,
)

AggregateT = TypeVar("AggregateT", bound=AggregateRoot)
RowT = TypeVar("RowT", bound=Base)


class SqlAlchemyRepository(abc.ABC, Generic[AggregateT, RowT]):
    """Identity map of (aggregate, row) pairs keyed by primary key, for one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._pairs: dict[int, tuple[AggregateT, RowT]] = {}

    @property
    def seen(self) -> list[AggregateT]:
        return [aggregate for aggregate, _ in self._pairs.values()]

    def sync(self) -> None:
        """Copy the state of every tracked aggregate onto its row."""
        for aggregate, row in self._pairs.values():
            self._update_row(row, aggregate)

    async def _insert(self, aggregate: AggregateT) -> RowT:
        row = self._to_row(aggregate)
        self._session.add(row)
        await self._session.flush()  # assigns the autoincrement id
        self._pairs[self._key(row)] = (aggregate, row)
        return row

    def _load(self, row: RowT | None) -> AggregateT | None:
        if row is None:
            return None
        key = self._key(row)
        if key not in self._pairs:
            self._pairs[key] = (self._to_aggregate(row), row)
        return self._pairs[key][0]

    def _load_all(self, rows: Sequence[RowT]) -> list[AggregateT]:
        return [aggregate for row in rows if (aggregate := self._load(row)) is not None]

    @abc.abstractmethod
    def _key(self, row: RowT) -> int: ...

    @abc.abstractmethod
    def _to_aggregate(self, row: RowT) -> AggregateT: ...

    @abc.abstractmethod
    def _to_row(self, aggregate: AggregateT) -> RowT: ...

    @abc.abstractmethod
    def _update_row(self, row: RowT, aggregate: AggregateT) -> None: ...


class SqlAlchemyCustomerRepository(SqlAlchemyRepository[Customer, CustomerModel]):
    async def add(self, customer: Customer) -> None:
        customer.id = (await self._insert(customer)).id

    async def get(self, customer_id: int) -> Customer | None:
        return self._load(await self._session.get(CustomerModel, customer_id))

    async def get_by_email(self, email: str) -> Customer | None:
        stmt = select(CustomerModel).where(CustomerModel.email == email.strip().lower())
        return self._load(await self._session.scalar(stmt))

    def _key(self, row: CustomerModel) -> int:
        return row.id

    def _to_aggregate(self, row: CustomerModel) -> Customer:
        return mappers.customer_to_domain(row)

    def _to_row(self, aggregate: Customer) -> CustomerModel:
        return mappers.customer_to_model(aggregate)

    def _update_row(self, row: CustomerModel, aggregate: Customer) -> None:
        mappers.update_customer_model(row, aggregate)


class SqlAlchemyProductRepository(SqlAlchemyRepository[Product, ProductModel]):
    async def add(self, product: Product) -> None:
        product.id = (await self._insert(product)).id

    async def get(self, product_id: int) -> Product | None:
        return self._load(await self._session.get(ProductModel, product_id))

    async def get_by_sku(self, sku: str) -> Product | None:
        stmt = select(ProductModel).where(ProductModel.sku == sku.strip().upper())
        return self._load(await self._session.scalar(stmt))

    async def list(self) -> list[Product]:
        rows = await self._session.scalars(select(ProductModel).order_by(ProductModel.id))
        return self._load_all(rows.all())

    def _key(self, row: ProductModel) -> int:
        return row.id

    def _to_aggregate(self, row: ProductModel) -> Product:
        return mappers.product_to_domain(row)

    def _to_row(self, aggregate: Product) -> ProductModel:
        return mappers.product_to_model(aggregate)

    def _update_row(self, row: ProductModel, aggregate: Product) -> None:
        mappers.update_product_model(row, aggregate)


class SqlAlchemyStockRepository(SqlAlchemyRepository[Stock, StockModel]):
    async def add(self, stock: Stock) -> None:
        await self._insert(stock)

    async def get(self, product_id: int) -> Stock | None:
        return self._load(await self._session.get(StockModel, product_id))

    def _key(self, row: StockModel) -> int:
        return row.product_id

    def _to_aggregate(self, row: StockModel) -> Stock:
        return mappers.stock_to_domain(row)

    def _to_row(self, aggregate: Stock) -> StockModel:
        return mappers.stock_to_model(aggregate)

    def _update_row(self, row: StockModel, aggregate: Stock) -> None:
        mappers.update_stock_model(row, aggregate)


class SqlAlchemyOrderRepository(SqlAlchemyRepository[Order, OrderModel]):
    async def add(self, order: Order) -> None:
        order.id = (await self._insert(order)).id

    async def get(self, order_id: int) -> Order | None:
        stmt = (
            select(OrderModel)
            .where(OrderModel.id == order_id)
            .options(selectinload(OrderModel.lines))
        )
        return self._load(await self._session.scalar(stmt))

    def _key(self, row: OrderModel) -> int:
        return row.id

    def _to_aggregate(self, row: OrderModel) -> Order:
        return mappers.order_to_domain(row)

    def _to_row(self, aggregate: Order) -> OrderModel:
        return mappers.order_to_model(aggregate)

    def _update_row(self, row: OrderModel, aggregate: Order) -> None:
        mappers.update_order_model(row, aggregate)


class SqlAlchemyOrderHistory:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def order_ids_for_customer(self, customer_id: int) -> list[int]:
        stmt = (
            select(OrderModel.id)
            .where(OrderModel.customer_id == customer_id)
            .order_by(OrderModel.id)
        )
        return list(await self._session.scalars(stmt))
