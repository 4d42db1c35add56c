from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopapp.database import get_db
from shopapp.errors import ApiError
from shopapp.helpers.credit import add_store_credit
from shopapp.helpers.lookups import get_customer_or_404
from shopapp.models import Customer, Order, StoreCreditEntry
from shopapp.schemas import (
    CreditEntryOut,
    CreditTopUpIn,
    CustomerIn,
    CustomerOut,
    OrderSummaryOut,
)

router = APIRouter(prefix="/customers", tags=["customers"])


@router.post("", status_code=201)
def create_customer(body: CustomerIn, db: Session = Depends(get_db)) -> CustomerOut:
    email = body.email.lower()
    if db.scalars(select(Customer).where(Customer.email == email)).first() is not None:
        raise ApiError(409, "EMAIL_TAKEN", f"A customer with email {email} already exists")
    customer = Customer(email=email, name=body.name)
    db.add(customer)
    db.commit()
    return CustomerOut.model_validate(customer)


@router.get("/{customer_id}")
def get_customer(customer_id: int, db: Session = Depends(get_db)) -> CustomerOut:
    return CustomerOut.model_validate(get_customer_or_404(db, customer_id))


@router.post("/{customer_id}/credit")
def top_up_credit(
    customer_id: int, body: CreditTopUpIn, db: Session = Depends(get_db)
) -> CustomerOut:
    customer = get_customer_or_404(db, customer_id)
    add_store_credit(db, customer, body.amount_cents, "TOP_UP")
    db.commit()
    return CustomerOut.model_validate(customer)


@router.get("/{customer_id}/credit-history")
def credit_history(customer_id: int, db: Session = Depends(get_db)) -> list[CreditEntryOut]:
    get_customer_or_404(db, customer_id)
    entries = db.scalars(
        select(StoreCreditEntry)
        .where(StoreCreditEntry.customer_id == customer_id)
        .order_by(StoreCreditEntry.id)
    )
    return [CreditEntryOut.model_validate(e) for e in entries]


@router.get("/{customer_id}/orders")
def customer_orders(customer_id: int, db: Session = Depends(get_db)) -> list[OrderSummaryOut]:
    get_customer_or_404(db, customer_id)
    orders = db.scalars(
        select(Order).where(Order.customer_id == customer_id).order_by(Order.id.desc())
    )
    return [OrderSummaryOut.model_validate(o) for o in orders]
