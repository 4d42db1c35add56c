"""Load-or-raise helpers: each raises the 404 ApiError the routes answer with."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopapp.errors import ApiError
from shopapp.models import Cart, Coupon, Customer, Order, Product


def get_customer_or_404(db: Session, customer_id: int) -> Customer:
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise ApiError(404, "CUSTOMER_NOT_FOUND", f"Customer {customer_id} not found")
    return customer


def get_product_or_404(db: Session, product_id: int) -> Product:
    product = db.get(Product, product_id)
    if product is None:
        raise ApiError(404, "PRODUCT_NOT_FOUND", f"Product {product_id} not found")
    return product


def get_cart_or_404(db: Session, cart_id: int) -> Cart:
    cart = db.get(Cart, cart_id)
    if cart is None:
        raise ApiError(404, "CART_NOT_FOUND", f"Cart {cart_id} not found")
    return cart


def get_order_or_404(db: Session, order_id: int) -> Order:
    order = db.get(Order, order_id)
    if order is None:
        raise ApiError(404, "ORDER_NOT_FOUND", f"Order {order_id} not found")
    return order


def find_coupon(db: Session, code: str) -> Coupon | None:
    return db.scalars(select(Coupon).where(Coupon.code == code.upper())).first()
