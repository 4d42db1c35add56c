"""Request and response bodies (Pydantic v2).

House style: camelCase on the wire (``customerId``, ``priceCents``), snake_case in Python;
money is an int of cents, named ``*_cents``; statuses are UPPER_CASE strings.
Derive every body from ``ApiRequest`` or ``ApiResponse``.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

Cents = Annotated[int, Field(ge=0, le=100_000_000)]
PositiveId = Annotated[int, Field(gt=0)]


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )


class ApiRequest(ApiModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApiResponse(ApiModel):
    model_config = ConfigDict(from_attributes=True)


# --- customers ------------------------------------------------------------------------------


class CustomerIn(ApiRequest):
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]


class CustomerOut(ApiResponse):
    id: int
    email: str
    name: str
    store_credit_cents: int


class CreditTopUpIn(ApiRequest):
    amount_cents: Annotated[int, Field(gt=0, le=1_000_000)]


class CreditEntryOut(ApiResponse):
    id: int
    amount_cents: int
    reason: str
    order_id: int | None
    created_at: datetime


# --- products -------------------------------------------------------------------------------


class ProductIn(ApiRequest):
    sku: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    price_cents: Cents
    stock: Annotated[int, Field(ge=0)] = 0


class ProductPatch(ApiRequest):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    price_cents: Cents | None = None
    stock: Annotated[int, Field(ge=0)] | None = None
    active: bool | None = None


class ProductOut(ApiResponse):
    id: int
    sku: str
    name: str
    price_cents: int
    stock: int
    active: bool


# --- coupons --------------------------------------------------------------------------------


class CouponIn(ApiRequest):
    code: Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
    percent_off: Annotated[int, Field(ge=1, le=100)]
    max_uses: Annotated[int, Field(ge=1)] | None = None
    min_subtotal_cents: Cents = 0

    @field_validator("code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class CouponOut(ApiResponse):
    id: int
    code: str
    percent_off: int
    max_uses: int | None
    times_used: int
    min_subtotal_cents: int
    active: bool


# --- carts ----------------------------------------------------------------------------------


class CartIn(ApiRequest):
    customer_id: PositiveId


class CartItemIn(ApiRequest):
    product_id: PositiveId
    quantity: Annotated[int, Field(gt=0, le=1000)]


class CartItemOut(ApiResponse):
    product_id: int
    product_name: str
    quantity: int
    unit_price_cents: int
    line_total_cents: int


class CartOut(ApiResponse):
    id: int
    customer_id: int
    status: str
    items: list[CartItemOut]
    subtotal_cents: int
    coupon_code: str | None = None
    discount_cents: int = 0
    total_cents: int


class CheckoutIn(ApiRequest):
    coupon_code: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    # pay the whole total from the customer's store credit now (order becomes PAID);
    # otherwise the order stays PENDING until POST /orders/{id}/pay
    use_store_credit: bool = False


# --- orders ---------------------------------------------------------------------------------


class OrderLineOut(ApiResponse):
    product_id: int
    product_name: str
    quantity: int
    unit_price_cents: int
    line_total_cents: int


class OrderOut(ApiResponse):
    id: int
    customer_id: int
    status: str
    lines: list[OrderLineOut]
    subtotal_cents: int
    coupon_code: str | None
    discount_percent: int
    discount_cents: int
    total_cents: int
    credit_used_cents: int
    created_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None


class OrderSummaryOut(ApiResponse):
    id: int
    status: str
    total_cents: int
    created_at: datetime


class CancelOrderIn(ApiRequest):
    reason: Annotated[str, Field(min_length=1, max_length=200)] = "CUSTOMER_REQUEST"


class ExpiredOrdersOut(ApiResponse):
    expired_order_ids: list[int]
