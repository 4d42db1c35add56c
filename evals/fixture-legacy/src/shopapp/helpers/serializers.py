"""ORM objects -> response bodies."""

from shopapp.models import Cart, Order
from shopapp.schemas import CartItemOut, CartOut, OrderOut
from shopapp.services.pricing import CartQuote


def order_to_out(order: Order) -> OrderOut:
    return OrderOut.model_validate(order)


def cart_to_out(cart: Cart, quote: CartQuote) -> CartOut:
    items = [
        CartItemOut(
            product_id=item.product_id,
            product_name=item.product.name,
            quantity=item.quantity,
            unit_price_cents=item.product.price_cents,
            line_total_cents=item.product.price_cents * item.quantity,
        )
        for item in cart.items
    ]
    return CartOut(
        id=cart.id,
        customer_id=cart.customer_id,
        status=cart.status,
        items=items,
        subtotal_cents=quote.subtotal_cents,
        coupon_code=quote.coupon_code,
        discount_cents=quote.discount_cents,
        total_cents=quote.total_cents,
    )
