from fastapi import APIRouter

from shopapp.deps import DbSession
from shopapp.errors import ApiError
from shopapp.helpers.credit import add_store_credit, spend_store_credit
from shopapp.helpers.inventory import release_stock
from shopapp.helpers.lookups import find_coupon, get_customer_or_404, get_order_or_404
from shopapp.helpers.serializers import order_to_out
from shopapp.schemas import CancelOrderIn, OrderOut
from shopapp.utils.clock import utcnow

router = APIRouter(prefix="/orders", tags=["orders"])

CANCELLABLE = ("PENDING", "PAID")


@router.get("/{order_id}")
def get_order(order_id: int, db: DbSession) -> OrderOut:
    return order_to_out(get_order_or_404(db, order_id))


@router.post("/{order_id}/pay")
def pay_order(order_id: int, db: DbSession) -> OrderOut:
    """Pay a PENDING order with the customer's store credit."""
    order = get_order_or_404(db, order_id)
    if order.status != "PENDING":
        raise ApiError(409, "ORDER_NOT_PAYABLE", f"Order {order_id} is {order.status}")
    customer = get_customer_or_404(db, order.customer_id)
    spend_store_credit(db, customer, order.total_cents, "ORDER_PAYMENT", order.id)
    order.status = "PAID"
    order.paid_at = utcnow()
    order.credit_used_cents = order.total_cents
    db.commit()
    return order_to_out(order)


@router.post("/{order_id}/cancel")
def cancel_order(order_id: int, db: DbSession, body: CancelOrderIn | None = None) -> OrderOut:
    """Cancel a PENDING or PAID order: stock goes back, store credit spent on it is refunded
    and the coupon use is given back."""
    order = get_order_or_404(db, order_id)
    if order.status not in CANCELLABLE:
        raise ApiError(
            409,
            "ORDER_NOT_CANCELLABLE",
            f"Order {order_id} is {order.status} and can no longer be cancelled",
        )
    for line in order.lines:
        release_stock(db, line.product_id, line.quantity)
    if order.credit_used_cents > 0:
        customer = get_customer_or_404(db, order.customer_id)
        add_store_credit(db, customer, order.credit_used_cents, "CANCEL_REFUND", order.id)
    if order.coupon_code is not None:
        coupon = find_coupon(db, order.coupon_code)
        if coupon is not None and coupon.times_used > 0:
            coupon.times_used -= 1
    order.status = "CANCELLED"
    order.cancelled_at = utcnow()
    order.cancel_reason = (body or CancelOrderIn()).reason
    db.commit()
    return order_to_out(order)
