"""Cart pricing: subtotal, coupon discount, total. The first slice moved out of the routes."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from shopapp.errors import ApiError
from shopapp.helpers.lookups import find_coupon
from shopapp.models import Cart, Coupon
from shopapp.utils.money import format_cents, percent_of


@dataclass(frozen=True)
class CartQuote:
    subtotal_cents: int
    coupon_code: str | None
    discount_percent: int
    discount_cents: int
    total_cents: int


def usable_coupon(db: Session, code: str, subtotal_cents: int) -> Coupon:
    """The coupon for ``code`` if it may be used on a cart worth ``subtotal_cents``."""
    coupon = find_coupon(db, code)
    if coupon is None:
        raise ApiError(404, "COUPON_NOT_FOUND", f"Coupon {code.upper()} not found")
    if not coupon.active:
        raise ApiError(409, "COUPON_INACTIVE", f"Coupon {coupon.code} is no longer valid")
    if coupon.max_uses is not None and coupon.times_used >= coupon.max_uses:
        raise ApiError(409, "COUPON_EXHAUSTED", f"Coupon {coupon.code} has been used up")
    if subtotal_cents < coupon.min_subtotal_cents:
        raise ApiError(
            409,
            "COUPON_MIN_SUBTOTAL",
            f"Coupon {coupon.code} needs a subtotal of at least "
            f"{format_cents(coupon.min_subtotal_cents)}",
        )
    return coupon


def quote_cart(db: Session, cart: Cart, coupon_code: str | None = None) -> CartQuote:
    """Price ``cart`` at the products' current prices, with the coupon if one is given."""
    subtotal = sum(item.product.price_cents * item.quantity for item in cart.items)
    if coupon_code is None:
        return CartQuote(subtotal, None, 0, 0, subtotal)
    coupon = usable_coupon(db, coupon_code, subtotal)
    discount = percent_of(subtotal, coupon.percent_off)
    return CartQuote(subtotal, coupon.code, coupon.percent_off, discount, subtotal - discount)
