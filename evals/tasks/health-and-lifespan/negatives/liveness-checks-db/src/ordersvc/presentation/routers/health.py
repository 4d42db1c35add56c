"""Liveness (is the process healthy?) and readiness (can it serve traffic right now?)."""

from typing import Literal

from fastapi import APIRouter, Response, status

from ordersvc.presentation.dependencies import ReadinessDep
from ordersvc.presentation.schemas import LiveOut, ReadyOut

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live(readiness: ReadinessDep, response: Response) -> LiveOut:
    """The service is alive only if it can do its job, i.e. reach its database."""
    report = await readiness.execute()
    if not report.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return LiveOut(status="ok")


@router.get("/ready", responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ReadyOut}})
async def ready(readiness: ReadinessDep, response: Response) -> ReadyOut:
    report = await readiness.execute()
    overall: Literal["ok", "unavailable"] = "ok" if report.ready else "unavailable"
    if not report.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadyOut(status=overall, checks=report.checks)
