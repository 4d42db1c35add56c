from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopapp.database import get_db
from shopapp.errors import ApiError
from shopapp.helpers.lookups import get_product_or_404
from shopapp.models import Product
from shopapp.schemas import ProductIn, ProductOut, ProductPatch

router = APIRouter(prefix="/products", tags=["products"])


@router.post("", status_code=201)
def create_product(body: ProductIn, db: Session = Depends(get_db)) -> ProductOut:
    if db.scalars(select(Product).where(Product.sku == body.sku)).first() is not None:
        raise ApiError(409, "SKU_TAKEN", f"SKU {body.sku} is already in use")
    product = Product(sku=body.sku, name=body.name, price_cents=body.price_cents, stock=body.stock)
    db.add(product)
    db.commit()
    return ProductOut.model_validate(product)


@router.get("")
def list_products(
    active_only: Annotated[bool, Query(alias="activeOnly")] = False,
    db: Session = Depends(get_db),
) -> list[ProductOut]:
    query = select(Product).order_by(Product.id)
    if active_only:
        query = query.where(Product.active.is_(True))
    return [ProductOut.model_validate(p) for p in db.scalars(query)]


@router.get("/{product_id}")
def get_product(product_id: int, db: Session = Depends(get_db)) -> ProductOut:
    return ProductOut.model_validate(get_product_or_404(db, product_id))


@router.patch("/{product_id}")
def update_product(
    product_id: int, body: ProductPatch, db: Session = Depends(get_db)
) -> ProductOut:
    product = get_product_or_404(db, product_id)
    if body.name is not None:
        product.name = body.name
    if body.price_cents is not None:
        product.price_cents = body.price_cents
    if body.stock is not None:
        product.stock = body.stock
    if body.active is not None:
        product.active = body.active
    db.commit()
    return ProductOut.model_validate(product)
