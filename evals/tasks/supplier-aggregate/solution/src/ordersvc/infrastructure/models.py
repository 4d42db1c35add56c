"""SQLAlchemy table models. Separate from the domain classes; see mappers.py.

Money is stored as integer minor units (cents) plus a currency code: exact, and SQLite has no
native decimal type.
"""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class CustomerModel(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class ProductModel(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))


class SupplierModel(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # casefold()ed name: the unique index enforces case-insensitive uniqueness under races too.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    contact_email: Mapped[str] = mapped_column(String(254))
    lead_time_days: Mapped[int]
    active: Mapped[bool] = mapped_column(index=True)


class StockModel(Base):
    __tablename__ = "stock"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    quantity: Mapped[int]


class OrderModel(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list["OrderLineModel"]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="OrderLineModel.id"
    )


class OrderLineModel(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]
