"""Stock keeping."""

from sqlalchemy.orm import Session

from shopapp.errors import ApiError
from shopapp.models import Product


def reserve_stock(db: Session, product: Product, quantity: int) -> None:
    """Take ``quantity`` units of ``product`` out of stock.

    Commits straight away so the units are held as early as possible (see checkout).
    """
    if not product.active:
        raise ApiError(409, "PRODUCT_INACTIVE", f"Product {product.id} is no longer sold")
    if product.stock < quantity:
        raise ApiError(
            409,
            "OUT_OF_STOCK",
            f"Only {product.stock} of product {product.id} left, {quantity} wanted",
        )
    product.stock -= quantity
    db.commit()


def release_stock(db: Session, product_id: int, quantity: int) -> None:
    """Put ``quantity`` units back on the shelf (inactive products too). Does not commit."""
    product = db.get(Product, product_id)
    if product is not None:
        product.stock += quantity
