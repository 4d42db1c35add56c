"""Back-office bulk import and export of the product catalogue."""

from collections.abc import Sequence

from fastapi import APIRouter, status

from ordersvc.application.dto import NewProduct, ProductDTO
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import CatalogueImportIn, CatalogueOut, ProductOut

router = APIRouter(prefix="/catalogue", tags=["catalogue"], responses=ERROR_RESPONSES)


def _catalogue(products: Sequence[ProductDTO]) -> CatalogueOut:
    return CatalogueOut(
        count=len(products),
        products=[ProductOut.model_validate(product) for product in products],
    )


@router.post("/import", status_code=status.HTTP_201_CREATED)
async def import_catalogue(body: CatalogueImportIn, use_cases: UseCasesDep) -> CatalogueOut:
    created = [
        await use_cases.create_product.execute(
            NewProduct(sku=item.sku, name=item.name, price=item.price, currency=item.currency)
        )
        for item in body.products
    ]
    return _catalogue(created)


@router.get("/export")
async def export_catalogue(use_cases: UseCasesDep) -> CatalogueOut:
    return _catalogue(await use_cases.list_products.execute())
