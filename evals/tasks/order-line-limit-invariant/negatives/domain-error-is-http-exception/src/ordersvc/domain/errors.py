"""Domain errors. The presentation layer maps the categories to HTTP status codes."""

from typing import ClassVar

from fastapi import HTTPException, status


class DomainError(Exception):
    """Base of every business-rule violation; `code` is stable and machine-readable."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidValue(DomainError):
    code = "invalid_value"


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} with {right}")


class NotFound(DomainError):
    code = "not_found"
    entity: ClassVar[str] = "entity"

    def __init__(self, entity_id: int) -> None:
        super().__init__(f"{self.entity} {entity_id} not found")
        self.entity_id = entity_id


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    entity = "customer"


class ProductNotFound(NotFound):
    code = "product_not_found"
    entity = "product"


class OrderNotFound(NotFound):
    code = "order_not_found"
    entity = "order"


class Conflict(DomainError):
    """The request is valid but clashes with the current state."""

    code = "conflict"


class DuplicateEmail(Conflict):
    code = "duplicate_email"

    def __init__(self, email: str) -> None:
        super().__init__(f"a customer with email {email} already exists")


class DuplicateSku(Conflict):
    code = "duplicate_sku"

    def __init__(self, sku: str) -> None:
        super().__init__(f"a product with sku {sku} already exists")


class InsufficientStock(Conflict):
    code = "insufficient_stock"

    def __init__(self, product_id: int, requested: int, available: int) -> None:
        super().__init__(f"product {product_id}: requested {requested}, only {available} available")
        self.product_id = product_id
        self.requested = requested
        self.available = available


class InvalidOrderState(Conflict):
    code = "invalid_order_state"


class OrderLimitExceeded(Conflict, HTTPException):
    """A new order is larger than the order-size policy allows (HTTP 409)."""

    code = "order_limit_exceeded"

    def __init__(self, message: str) -> None:
        HTTPException.__init__(self, status_code=status.HTTP_409_CONFLICT, detail=message)
        self.message = message


class TooManyOrderLines(OrderLimitExceeded):
    code = "too_many_order_lines"

    def __init__(self, lines: int, limit: int) -> None:
        super().__init__(f"an order may have at most {limit} lines, got {lines}")
        self.lines = lines
        self.limit = limit


class OrderLineQuantityLimit(OrderLimitExceeded):
    code = "order_line_quantity_limit"

    def __init__(self, product_id: int, quantity: int, limit: int) -> None:
        super().__init__(
            f"product {product_id}: at most {limit} units per order, requested {quantity}"
        )
        self.product_id = product_id
        self.quantity = quantity
        self.limit = limit
