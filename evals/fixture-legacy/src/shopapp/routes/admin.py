"""Back-office endpoints; every one needs the X-Admin-Token header."""

from datetime import timedelta

from fastapi import APIRouter, Depends
from sqlalchemy import select

from shopapp.deps import DbSession, SettingsDep, require_admin
from shopapp.errors import ApiError
from shopapp.helpers.lookups import get_order_or_404
from shopapp.helpers.serializers import order_to_out
from shopapp.models import Order, Product
from shopapp.schemas import ExpiredOrdersOut, OrderOut
from shopapp.utils.clock import utcnow

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@router.post("/orders/{order_id}/ship")
def ship_order(order_id: int, db: DbSession) -> OrderOut:
    order = get_order_or_404(db, order_id)
    if order.status != "PAID":
        raise ApiError(409, "ORDER_NOT_SHIPPABLE", f"Order {order_id} is {order.status}")
    order.status = "SHIPPED"
    db.commit()
    return order_to_out(order)


@router.post("/orders/expire-pending")
def expire_pending_orders(db: DbSession, settings: SettingsDep) -> ExpiredOrdersOut:
    """Cancel every PENDING order older than the TTL and put its stock back.

    The coupon use is kept: finance wants an expired order to count against the coupon's limit.
    """
    cutoff = utcnow() - timedelta(minutes=settings.pending_order_ttl_minutes)
    stale = db.scalars(
        select(Order).where(Order.status == "PENDING", Order.created_at < cutoff).order_by(Order.id)
    ).all()
    for order in stale:
        for line in order.lines:
            product = db.get(Product, line.product_id)
            if product is not None:
                product.stock += line.quantity
        order.status = "CANCELLED"
        order.cancelled_at = utcnow()
        order.cancel_reason = "EXPIRED"
    db.commit()
    return ExpiredOrdersOut(expired_order_ids=[o.id for o in stale])
