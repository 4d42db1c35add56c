import re
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from ordersvc.application.dto import NewProduct, PriceChange, ProductDTO
from ordersvc.domain.errors import InvalidValue
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import PriceUpdateIn, ProductIn, ProductOut

router = APIRouter(prefix="/products", tags=["products"], responses=ERROR_RESPONSES)

_STRONG_VERSION_TAG = re.compile(r'"([1-9][0-9]{0,17})"')


class InvalidIfMatch(InvalidValue):
    code = "invalid_if_match"


def _with_etag(product: ProductDTO, response: Response) -> ProductOut:
    response.headers["ETag"] = f'"{product.version}"'
    return ProductOut.model_validate(product)


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    match = _STRONG_VERSION_TAG.fullmatch(if_match.strip())
    if match is None:
        raise InvalidIfMatch('If-Match must be one ETag as returned by this API, e.g. "3"')
    return int(match.group(1))


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_product(body: ProductIn, use_cases: UseCasesDep, response: Response) -> ProductOut:
    command = NewProduct(sku=body.sku, name=body.name, price=body.price, currency=body.currency)
    return _with_etag(await use_cases.create_product.execute(command), response)


@router.get("")
async def list_products(use_cases: UseCasesDep) -> list[ProductOut]:
    products = await use_cases.list_products.execute()
    return [ProductOut.model_validate(product) for product in products]


@router.get("/{product_id}")
async def get_product(product_id: int, use_cases: UseCasesDep, response: Response) -> ProductOut:
    return _with_etag(await use_cases.get_product.execute(product_id), response)


@router.put("/{product_id}/price")
async def change_price(
    product_id: int,
    body: PriceUpdateIn,
    use_cases: UseCasesDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> ProductOut:
    command = PriceChange(
        product_id=product_id,
        price=body.price,
        currency=body.currency,
        expected_version=_expected_version(if_match),
    )
    return _with_etag(await use_cases.change_product_price.execute(command), response)
