"""Readiness: can this instance serve traffic right now? Each dependency is probed with a bound."""

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)


class HealthProbe(Protocol):
    async def check(self) -> None:
        """Return if the dependency answers; raise otherwise."""
        ...


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    ready: bool
    checks: dict[str, str]  # dependency name -> "ok" | "error"


class CheckReadiness:
    def __init__(self, probes: Mapping[str, HealthProbe], timeout_seconds: float = 2.0) -> None:
        self._probes = dict(probes)
        self._timeout = timeout_seconds

    async def execute(self) -> ReadinessReport:
        names = list(self._probes)
        results = await asyncio.gather(*(self._run(name) for name in names))
        checks = dict(zip(names, results, strict=True))
        return ReadinessReport(ready=all(r == "ok" for r in results), checks=checks)

    async def _run(self, name: str) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                await self._probes[name].check()
        except Exception:
            # Details go to the log, not to the (unauthenticated) health endpoint.
            logger.warning("readiness probe %r failed", name, exc_info=True)
            return "error"
        return "ok"
