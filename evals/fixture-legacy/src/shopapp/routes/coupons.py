from fastapi import APIRouter

from shopapp.deps import DbSession
from shopapp.errors import ApiError
from shopapp.helpers.lookups import find_coupon
from shopapp.models import Coupon
from shopapp.schemas import CouponIn, CouponOut

router = APIRouter(prefix="/coupons", tags=["coupons"])


@router.post("", status_code=201)
def create_coupon(body: CouponIn, db: DbSession) -> CouponOut:
    if find_coupon(db, body.code) is not None:
        raise ApiError(409, "COUPON_CODE_TAKEN", f"Coupon {body.code} already exists")
    coupon = Coupon(
        code=body.code,
        percent_off=body.percent_off,
        max_uses=body.max_uses,
        min_subtotal_cents=body.min_subtotal_cents,
    )
    db.add(coupon)
    db.commit()
    return CouponOut.model_validate(coupon)


@router.get("/{code}")
def get_coupon(code: str, db: DbSession) -> CouponOut:
    coupon = find_coupon(db, code)
    if coupon is None:
        raise ApiError(404, "COUPON_NOT_FOUND", f"Coupon {code.upper()} not found")
    return CouponOut.model_validate(coupon)
