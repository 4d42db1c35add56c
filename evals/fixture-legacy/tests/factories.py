"""Builders for test data, written straight to the database through a Session.

Each builder commits, so what it returns is visible to the app's own sessions.
"""

from datetime import datetime
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from shopapp.models import Cart, CartItem, Coupon, Customer, Order, OrderLine, Product
from shopapp.utils.clock import utcnow
from shopapp.utils.money import percent_of

_seq = count(1)


def make_customer(
    db: Session, *, email: str | None = None, name: str = "Ann", store_credit_cents: int = 0
) -> Customer:
    customer = Customer(
        email=email or f"customer{next(_seq)}@example.com",
        name=name,
        store_credit_cents=store_credit_cents,
    )
    db.add(customer)
    db.commit()
    return customer


def make_product(
    db: Session,
    *,
    sku: str | None = None,
    name: str = "Widget",
    price_cents: int = 1000,
    stock: int = 10,
    active: bool = True,
) -> Product:
    product = Product(
        sku=sku or f"SKU-{next(_seq)}",
        name=name,
        price_cents=price_cents,
        stock=stock,
        active=active,
    )
    db.add(product)
    db.commit()
    return product


def make_coupon(
    db: Session,
    *,
    code: str | None = None,
    percent_off: int = 10,
    max_uses: int | None = None,
    times_used: int = 0,
    min_subtotal_cents: int = 0,
    active: bool = True,
) -> Coupon:
    coupon = Coupon(
        code=code or f"SAVE{next(_seq)}",
        percent_off=percent_off,
        max_uses=max_uses,
        times_used=times_used,
        min_subtotal_cents=min_subtotal_cents,
        active=active,
    )
    db.add(coupon)
    db.commit()
    return coupon


def make_cart(db: Session, customer: Customer, *items: tuple[Product, int]) -> Cart:
    cart = Cart(customer_id=customer.id, status="OPEN")
    cart.items = [CartItem(product_id=p.id, quantity=q) for p, q in items]
    db.add(cart)
    db.commit()
    return cart


def make_order(
    db: Session,
    customer: Customer,
    *lines: tuple[Product, int],
    status: str = "PENDING",
    coupon: Coupon | None = None,
    credit_used_cents: int | None = None,
    created_at: datetime | None = None,
    take_stock: bool = True,
) -> Order:
    """An order as checkout leaves it, without going through checkout.

    ``take_stock`` takes the units out of the products' stock as checkout does. A PAID order is
    paid in full with store credit unless ``credit_used_cents`` says otherwise (the customer's
    balance is not touched).
    """
    subtotal = sum(p.price_cents * q for p, q in lines)
    percent = coupon.percent_off if coupon is not None else 0
    discount = percent_of(subtotal, percent)
    total = subtotal - discount
    paid = status in ("PAID", "SHIPPED")
    extra: dict[str, Any] = {}
    if created_at is not None:
        extra["created_at"] = created_at
    order = Order(
        customer_id=customer.id,
        status=status,
        subtotal_cents=subtotal,
        coupon_code=coupon.code if coupon is not None else None,
        discount_percent=percent,
        discount_cents=discount,
        total_cents=total,
        credit_used_cents=(total if paid else 0)
        if credit_used_cents is None
        else credit_used_cents,
        paid_at=(created_at or utcnow()) if paid else None,
        **extra,
    )
    order.lines = [
        OrderLine(
            product_id=p.id,
            product_name=p.name,
            quantity=q,
            unit_price_cents=p.price_cents,
            line_total_cents=p.price_cents * q,
        )
        for p, q in lines
    ]
    if take_stock:
        for product, quantity in lines:
            product.stock -= quantity
    if coupon is not None:
        coupon.times_used += 1
    db.add(order)
    db.commit()
    return order
