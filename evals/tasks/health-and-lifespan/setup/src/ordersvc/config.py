"""Settings from the environment (ORDERSVC_*). Read by the composition root only."""

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERSVC_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./ordersvc.db"
    create_schema: bool = True
    cache_ttl_seconds: int = 60
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Refuse to start when the database does not answer (production sets this).
    verify_database_on_startup: bool = False
