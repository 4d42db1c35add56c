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

    payments_base_url: str = "https://payments.invalid/v1"
    payments_timeout_seconds: float = Field(default=2.0, gt=0)
    payments_max_attempts: int = Field(default=3, ge=1, le=10)
    payments_backoff_seconds: float = Field(default=0.2, ge=0)
    payments_breaker_threshold: int = Field(default=5, ge=1)
    payments_breaker_cooldown_seconds: float = Field(default=30.0, gt=0)
