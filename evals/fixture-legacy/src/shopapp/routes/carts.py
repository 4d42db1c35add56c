from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from shopapp.deps import DbSession, SettingsDep
from shopapp.errors import ApiError
from shopapp.helpers.credit import spend_store_credit
from shopapp.helpers.inventory import reserve_stock
from shopapp.helpers.lookups import get_cart_or_404, get_customer_or_404, get_product_or_404
from shopapp.helpers.serializers import cart_to_out, order_to_out
from shopapp.models import Cart, CartItem, Order, OrderLine
from shopapp.schemas import CartIn, CartItemIn, CartOut, CheckoutIn, OrderOut
from shopapp.services.pricing import quote_cart, usable_coupon
from shopapp.utils.clock import utcnow

router = APIRouter(prefix="/carts", tags=["carts"])


def _open_cart_or_409(db: Session, cart_id: int) -> Cart:
    cart = get_cart_or_404(db, cart_id)
    if cart.status != "OPEN":
        raise ApiError(409, "CART_CLOSED", f"Cart {cart_id} is {cart.status}")
    return cart


@router.post("", status_code=201)
def create_cart(body: CartIn, db: DbSession) -> CartOut:
    customer = get_customer_or_404(db, body.customer_id)
    cart = Cart(customer_id=customer.id, status="OPEN")
    db.add(cart)
    db.commit()
    return cart_to_out(cart, quote_cart(db, cart))


@router.get("/{cart_id}")
def get_cart(
    cart_id: int,
    db: DbSession,
    coupon_code: Annotated[str | None, Query(alias="couponCode")] = None,
) -> CartOut:
    """The cart priced now; ``?couponCode=`` previews a coupon without using it."""
    cart = get_cart_or_404(db, cart_id)
    return cart_to_out(cart, quote_cart(db, cart, coupon_code))


@router.post("/{cart_id}/items")
def add_item(cart_id: int, body: CartItemIn, db: DbSession, settings: SettingsDep) -> CartOut:
    cart = _open_cart_or_409(db, cart_id)
    product = get_product_or_404(db, body.product_id)
    if not product.active:
        raise ApiError(409, "PRODUCT_INACTIVE", f"Product {product.id} is no longer sold")
    item = next((i for i in cart.items if i.product_id == product.id), None)
    quantity = body.quantity + (item.quantity if item is not None else 0)
    if quantity > settings.max_line_quantity:
        raise ApiError(
            422,
            "LINE_LIMIT_EXCEEDED",
            f"At most {settings.max_line_quantity} units of one product per cart",
        )
    if item is None:
        cart.items.append(CartItem(product_id=product.id, quantity=quantity))
    else:
        item.quantity = quantity
    db.commit()
    return cart_to_out(cart, quote_cart(db, cart))


@router.delete("/{cart_id}/items/{product_id}")
def remove_item(cart_id: int, product_id: int, db: DbSession) -> CartOut:
    cart = _open_cart_or_409(db, cart_id)
    item = next((i for i in cart.items if i.product_id == product_id), None)
    if item is None:
        raise ApiError(404, "CART_ITEM_NOT_FOUND", f"Product {product_id} is not in the cart")
    cart.items.remove(item)
    db.commit()
    return cart_to_out(cart, quote_cart(db, cart))


@router.post("/{cart_id}/checkout", status_code=201)
def checkout(cart_id: int, body: CheckoutIn, db: DbSession) -> OrderOut:
    cart = _open_cart_or_409(db, cart_id)
    if not cart.items:
        raise ApiError(409, "CART_EMPTY", f"Cart {cart_id} is empty")
    customer = get_customer_or_404(db, cart.customer_id)
    quote = quote_cart(db, cart, body.coupon_code)

    order = Order(
        customer_id=customer.id,
        cart_id=cart.id,
        status="PENDING",
        subtotal_cents=quote.subtotal_cents,
        coupon_code=quote.coupon_code,
        discount_percent=quote.discount_percent,
        discount_cents=quote.discount_cents,
        total_cents=quote.total_cents,
    )
    db.add(order)
    db.commit()  # we need the order id for the lines and the ledger

    for item in cart.items:
        product = item.product
        reserve_stock(db, product, item.quantity)
        db.add(
            OrderLine(
                order_id=order.id,
                product_id=product.id,
                product_name=product.name,
                quantity=item.quantity,
                unit_price_cents=product.price_cents,
                line_total_cents=product.price_cents * item.quantity,
            )
        )
        db.commit()

    if quote.coupon_code is not None:
        coupon = usable_coupon(db, quote.coupon_code, quote.subtotal_cents)
        coupon.times_used += 1
        db.commit()

    if body.use_store_credit:
        spend_store_credit(db, customer, order.total_cents, "CHECKOUT", order.id)
        order.status = "PAID"
        order.paid_at = utcnow()
        order.credit_used_cents = order.total_cents

    cart.status = "CHECKED_OUT"
    db.commit()
    db.refresh(order)
    return order_to_out(order)
