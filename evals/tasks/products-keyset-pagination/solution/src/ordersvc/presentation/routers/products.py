from typing import Annotated

from fastapi import APIRouter, Query, status

from ordersvc.application.dto import NewProduct, PriceChange
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
    use_cases: UseCasesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> ProductPageOut:
    after_id = None if after is None else decode_cursor(after)
    page = await use_cases.list_products_page.execute(after_id, limit)
    return ProductPageOut(
        items=[ProductOut.model_validate(product) for product in page.items],
        next_cursor=None if page.last_id is None else encode_cursor(page.last_id),
    )


@router.get("/{product_id}")
async def get_product(product_id: int, use_cases: UseCasesDep) -> ProductOut:
    return ProductOut.model_validate(await use_cases.get_product.execute(product_id))


@router.put("/{product_id}/price")
async def change_price(product_id: int, body: PriceUpdateIn, use_cases: UseCasesDep) -> ProductOut:
    command = PriceChange(product_id=product_id, price=body.price, currency=body.currency)
    return ProductOut.model_validate(await use_cases.change_product_price.execute(command))
