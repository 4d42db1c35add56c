from fastapi import APIRouter, status

from ordersvc.application.dto import NewProduct, PriceChange
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import PriceUpdateIn, ProductIn, ProductOut

router = APIRouter(prefix="/products", tags=["products"], responses=ERROR_RESPONSES)

# Hot path: keep product reads in memory; the price route evicts.
_product_cache: dict[int, ProductOut] = {}


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_product(body: ProductIn, use_cases: UseCasesDep) -> ProductOut:
    command = NewProduct(sku=body.sku, name=body.name, price=body.price, currency=body.currency)
    return ProductOut.model_validate(await use_cases.create_product.execute(command))


@router.get("")
async def list_products(use_cases: UseCasesDep) -> list[ProductOut]:
    products = await use_cases.list_products.execute()
    return [ProductOut.model_validate(product) for product in products]


@router.get("/{product_id}")
async def get_product(product_id: int, use_cases: UseCasesDep) -> ProductOut:
    cached = _product_cache.get(product_id)
    if cached is not None:
        return cached
    product = ProductOut.model_validate(await use_cases.get_product.execute(product_id))
    _product_cache[product_id] = product
    return product


@router.put("/{product_id}/price")
async def change_price(product_id: int, body: PriceUpdateIn, use_cases: UseCasesDep) -> ProductOut:
    command = PriceChange(product_id=product_id, price=body.price, currency=body.currency)
    product = ProductOut.model_validate(await use_cases.change_product_price.execute(command))
    _product_cache.pop(product_id, None)
    return product
