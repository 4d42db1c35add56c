"""Engine and session factory creation. Called by the composition root, never at import time."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from ordersvc.infrastructure.models import Base


def create_engine(database_url: str, *, echo: bool = False) -> AsyncEngine:
    return create_async_engine(database_url, echo=echo)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after commit without a lazy refresh,
    # which would raise under asyncio.
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_schema(engine: AsyncEngine) -> None:
    """Create missing tables (development and tests; production uses migrations)."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)


async def ping(engine: AsyncEngine) -> None:
    """Round-trip to the database; raises if it cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


class DatabaseProbe:
    """HealthProbe for the database behind `engine`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def check(self) -> None:
        await ping(self._engine)
