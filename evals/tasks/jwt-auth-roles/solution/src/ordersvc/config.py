"""Settings from the environment (ORDERSVC_*). Read by the composition root only."""

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERSVC_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./ordersvc.db"
    create_schema: bool = True
    cache_ttl_seconds: int = 60
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Authentication (rolled out behind a flag; off until every client sends tokens).
    auth_enabled: bool = False
    jwt_secret: SecretStr = SecretStr("")
    access_token_ttl_seconds: int = 900
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None

    @model_validator(mode="after")
    def _auth_needs_a_strong_secret(self) -> "Settings":
        if self.auth_enabled and len(self.jwt_secret.get_secret_value().encode()) < 32:
            raise ValueError("jwt_secret must be at least 32 bytes when auth is enabled")
        if self.access_token_ttl_seconds <= 0:
            raise ValueError("access_token_ttl_seconds must be positive")
        return self
