"""Domain errors. The presentation layer maps the categories to HTTP status codes."""

from typing import ClassVar


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


class PaymentError(DomainError):
    """The payment of an order did not go through."""

    code = "payment_error"


class PaymentDeclined(PaymentError):
    """The provider answered and refused the charge (e.g. insufficient funds)."""

    code = "payment_declined"


class PaymentUnavailable(PaymentError):
    """The provider could not be reached or kept failing; trying again later may work."""

    code = "payment_unavailable"


class PaymentFailed(PaymentError):
    """The provider rejected our request as invalid: a defect, retrying will not help."""

    code = "payment_failed"
