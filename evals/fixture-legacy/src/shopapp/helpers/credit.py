"""Store credit: every change of a balance goes with a ledger entry. Nothing here commits."""

from sqlalchemy.orm import Session

from shopapp.errors import ApiError
from shopapp.models import Customer, StoreCreditEntry
from shopapp.utils.money import format_cents


def add_store_credit(
    db: Session, customer: Customer, amount_cents: int, reason: str, order_id: int | None = None
) -> StoreCreditEntry:
    customer.store_credit_cents += amount_cents
    entry = StoreCreditEntry(
        customer_id=customer.id, amount_cents=amount_cents, reason=reason, order_id=order_id
    )
    db.add(entry)
    return entry


def spend_store_credit(
    db: Session, customer: Customer, amount_cents: int, reason: str, order_id: int | None = None
) -> StoreCreditEntry:
    if customer.store_credit_cents < amount_cents:
        raise ApiError(
            402,
            "INSUFFICIENT_CREDIT",
            f"Store credit {format_cents(customer.store_credit_cents)} does not cover "
            f"{format_cents(amount_cents)}",
        )
    return add_store_credit(db, customer, -amount_cents, reason, order_id)
