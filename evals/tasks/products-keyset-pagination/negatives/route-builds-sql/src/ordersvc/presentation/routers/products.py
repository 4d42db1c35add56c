from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ordersvc.application.dto import NewProduct, PriceChange
from ordersvc.infrastructure.models import ProductModel
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.pagination import decode_cursor, encode_cursor
from ordersvc.presentation.schemas import PriceUpdateIn, ProductIn, ProductOut, ProductPageOut

router = APIRouter(prefix="/products", tags=["products"], responses=ERROR_RESPONSES)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_product(body: ProductIn, use_cases: UseCasesDep) -> ProductOut:
    command = NewProduct(sku=body.sku, name=body.name, price=body.price, currency=body.currency)
    return ProductOut.model_validate(await use_cases.create_product.execute(command))


@router.get("")
async def list_products(use_cases: UseCasesDep) -> list[ProductOut]:
    products = await use_cases.list_products.execute()
    return [ProductOut.model_validate(product) for product in products]


# Declared before "/{product_id}", which would otherwise capture "page".
@router.get("/page")
async def list_products_page(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> ProductPageOut:
    after_id = None if after is None else decode_cursor(after)
    session_factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    stmt = select(ProductModel).order_by(ProductModel.id).limit(limit + 1)
    if after_id is not None:
        stmt = stmt.where(ProductModel.id > after_id)
    async with session_factory() as session:
        rows = list(await session.scalars(stmt))
    items = [
        ProductOut(
            id=row.id,
            sku=row.sku,
            name=row.name,
            price=Decimal(row.price_cents).scaleb(-2),
            currency=row.currency,
        )
        for row in rows[:limit]
    ]
    has_more = len(rows) > limit
    return ProductPageOut(
        items=items, next_cursor=encode_cursor(items[-1].id) if has_more else None
    )


@router.get("/{product_id}")
async def get_product(product_id: int, use_cases: UseCasesDep) -> ProductOut:
    return ProductOut.model_validate(await use_cases.get_product.execute(product_id))


@router.put("/{product_id}/price")
async def change_price(product_id: int, body: PriceUpdateIn, use_cases: UseCasesDep) -> ProductOut:
    command = PriceChange(product_id=product_id, price=body.price, currency=body.currency)
    return ProductOut.model_validate(await use_cases.change_product_price.execute(command))
