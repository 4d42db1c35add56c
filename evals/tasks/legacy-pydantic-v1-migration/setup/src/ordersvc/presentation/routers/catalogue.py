"""Back-office bulk import and export of the product catalogue."""

import json
from dataclasses import asdict

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ordersvc.application.dto import NewProduct, ProductDTO
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES

router = APIRouter(prefix="/catalogue", tags=["catalogue"], responses=ERROR_RESPONSES)


def _render(products: list[ProductDTO], status_code: int) -> Response:
    # Imported here so the rest of the API does not pay for the old schemas at start-up.
    from ordersvc.presentation import legacy_catalogue as legacy

    body = legacy.CatalogueOut(
        count=len(products),
        products=[legacy.CatalogueItemOut.parse_obj(asdict(product)) for product in products],
    )
    return Response(body.json(), status_code=status_code, media_type="application/json")


@router.post("/import", status_code=status.HTTP_201_CREATED)
async def import_catalogue(request: Request, use_cases: UseCasesDep) -> Response:
    from ordersvc.presentation import legacy_catalogue as legacy

    try:
        payload = legacy.CatalogueImport.parse_obj(await request.json())
    except ValidationError as exc:
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"detail": json.loads(exc.json())},
        )
    created = [
        await use_cases.create_product.execute(NewProduct(**item.dict()))
        for item in payload.products
    ]
    return _render(created, status.HTTP_201_CREATED)


@router.get("/export")
async def export_catalogue(use_cases: UseCasesDep) -> Response:
    return _render(await use_cases.list_products.execute(), status.HTTP_200_OK)
