"""Settings from the environment (ORDERSVC_*). Read by the composition root only."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERSVC_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./ordersvc.db"
    create_schema: bool = True
    cache_ttl_seconds: int = 60
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # At most `order_rate_limit` order attempts per customer in any `order_rate_window_seconds`.
    order_rate_limit: int = Field(default=5, ge=1)
    order_rate_window_seconds: float = Field(default=60.0, gt=0)
