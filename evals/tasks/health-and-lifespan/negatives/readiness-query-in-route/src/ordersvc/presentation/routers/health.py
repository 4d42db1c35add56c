"""Liveness and readiness probes."""

import logging
from typing import Literal

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ordersvc.presentation.schemas import LiveOut, ReadyOut

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> LiveOut:
    return LiveOut(status="ok")


@router.get("/ready")
async def ready(request: Request, response: Response) -> ReadyOut:
    engine: AsyncEngine = request.app.state.engine
    database: Literal["ok", "error"] = "ok"
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        logger.warning("database check failed", exc_info=True)
        database = "error"
    if database != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return ReadyOut(status="unavailable", checks={"database": database})
    return ReadyOut(status="ok", checks={"database": database})
