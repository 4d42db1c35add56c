"""Request and response schemas (Pydantic v2). Money crosses the wire as a decimal string."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from ordersvc.domain.money import CENT


def _two_places(value: Decimal) -> str:
    return str(value.quantize(CENT))


MoneyAmount = Annotated[Decimal, PlainSerializer(_two_places, return_type=str)]
PriceIn = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2, examples=["12.50"])]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
Id = Annotated[int, Field(gt=0)]
Quantity = Annotated[int, Field(gt=0, le=1_000_000)]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CustomerIn(RequestModel):
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]


class CustomerOut(ResponseModel):
    id: int
    email: str
    name: str


class ProductIn(RequestModel):
    sku: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    price: PriceIn
    currency: Currency


class PriceUpdateIn(RequestModel):
    price: PriceIn
    currency: Currency


class ProductOut(ResponseModel):
    id: int
    sku: str
    name: str
    price: MoneyAmount
    currency: str


class StockIn(RequestModel):
    quantity: Quantity


class StockOut(ResponseModel):
    product_id: int
    quantity: int


class OrderLineIn(RequestModel):
    product_id: Id
    quantity: Quantity


class OrderIn(RequestModel):
    customer_id: Id
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=100)]


class OrderLineOut(ResponseModel):
    product_id: int
    quantity: int
    unit_price: MoneyAmount


class OrderOut(ResponseModel):
    id: int
    customer_id: int
    status: str
    lines: list[OrderLineOut]
    total: MoneyAmount
    currency: str


class CatalogueItemIn(BaseModel):
    """One product of a back-office import. Unknown fields are ignored (ERP exports carry more)."""

    sku: str
    name: str
    price: Decimal
    currency: str = "EUR"

    @field_validator("sku")
    @classmethod
    def _normalise_sku(cls, value):
        value = value.strip().upper()
        if not value:
            raise ValueError("sku must not be empty")
        return value

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value):
        value = value.strip()
        if not value:
            raise ValueError("name must not be empty")
        return value

    @field_validator("price")
    @classmethod
    def _positive_cents(cls, value):
        if not value.is_finite() or value <= 0 or value != value.quantize(CENT):
            raise ValueError("price must be positive with at most two decimal places")
        return value

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value):
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValueError("currency must be a three-letter code")
        return value


class CatalogueImportIn(BaseModel):
    products: list[CatalogueItemIn]


class CatalogueOut(BaseModel):
    count: int
    products: list[ProductOut]


class ErrorOut(BaseModel):
    detail: str
    code: str
