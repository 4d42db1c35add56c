from fastapi import APIRouter, status

from ordersvc.application.dto import NewProduct, PriceChange
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import AUTH_RESPONSES, ERROR_RESPONSES
from ordersvc.presentation.schemas import PriceUpdateIn, ProductIn, ProductOut

# Reads are public; writes are mounted with the admin requirement when auth is enabled.
read_router = APIRouter(prefix="/products", tags=["products"], responses=ERROR_RESPONSES)
write_router = APIRouter(
    prefix="/products", tags=["products"], responses=ERROR_RESPONSES | AUTH_RESPONSES
)


@write_router.post("", status_code=status.HTTP_201_CREATED)
async def create_product(body: ProductIn, use_cases: UseCasesDep) -> ProductOut:
    command = NewProduct(sku=body.sku, name=body.name, price=body.price, currency=body.currency)
    return ProductOut.model_validate(await use_cases.create_product.execute(command))


@read_router.get("")
async def list_products(use_cases: UseCasesDep) -> list[ProductOut]:
    products = await use_cases.list_products.execute()
    return [ProductOut.model_validate(product) for product in products]


@read_router.get("/{product_id}")
async def get_product(product_id: int, use_cases: UseCasesDep) -> ProductOut:
    return ProductOut.model_validate(await use_cases.get_product.execute(product_id))


@write_router.put("/{product_id}/price")
async def change_price(product_id: int, body: PriceUpdateIn, use_cases: UseCasesDep) -> ProductOut:
    command = PriceChange(product_id=product_id, price=body.price, currency=body.currency)
    return ProductOut.model_validate(await use_cases.change_product_price.execute(command))
