"""Schemas of the back-office catalogue import/export, written in the Pydantic 1 days."""

from collections.abc import Callable
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, validator

Encoders = dict[type[Decimal], Callable[[Decimal], str]]


def _two_places(value: Decimal) -> str:
    return f"{value:.2f}"


class CatalogueItemIn(BaseModel):
    sku: str
    name: str
    price: Decimal
    currency: str = "EUR"

    @validator("sku")
    @classmethod
    def normalise_sku(cls, value: str) -> str:
        value = value.strip().upper()
        if not value:
            raise ValueError("sku must not be empty")
        return value

    @validator("name")
    @classmethod
    def strip_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("name must not be empty")
        return value

    @validator("price")
    @classmethod
    def positive_cents(cls, value: Decimal) -> Decimal:
        if value <= 0 or value != value.quantize(Decimal("0.01")):
            raise ValueError("price must be positive with at most two decimal places")
        return value

    @validator("currency")
    @classmethod
    def iso_currency(cls, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValueError("currency must be a three-letter code")
        return value


class CatalogueImport(BaseModel):
    products: list[CatalogueItemIn]


class CatalogueItemOut(BaseModel):
    id: int
    sku: str
    name: str
    price: Decimal
    currency: str

    class Config:
        json_encoders: ClassVar[Encoders] = {Decimal: _two_places}


class CatalogueOut(BaseModel):
    count: int
    products: list[CatalogueItemOut]

    class Config:
        json_encoders: ClassVar[Encoders] = {Decimal: _two_places}
