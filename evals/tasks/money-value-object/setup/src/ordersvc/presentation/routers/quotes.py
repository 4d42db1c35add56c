from fastapi import APIRouter

from ordersvc.application.dto import OrderLineRequest
from ordersvc.application.quotes import QuoteRequest
from ordersvc.presentation.dependencies import UseCasesDep
from ordersvc.presentation.errors import ERROR_RESPONSES
from ordersvc.presentation.schemas import QuoteIn, QuoteOut

router = APIRouter(prefix="/quotes", tags=["quotes"], responses=ERROR_RESPONSES)


@router.post("")
async def quote_basket(body: QuoteIn, use_cases: UseCasesDep) -> QuoteOut:
    request = QuoteRequest(
        lines=tuple(
            OrderLineRequest(product_id=line.product_id, quantity=line.quantity)
            for line in body.lines
        ),
        discount_percent=body.discount_percent,
    )
    return QuoteOut.model_validate(await use_cases.quote_basket.execute(request))
