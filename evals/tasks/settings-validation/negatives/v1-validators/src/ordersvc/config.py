"""Settings from the environment (ORDERSVC_*). Read by the composition root only.

Invalid configuration fails at start-up with a message naming the setting, never at the first
request that happens to need it.
"""

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, root_validator, validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Usable on a laptop only: production refuses to start with it.
DEV_ADMIN_TOKEN = "dev-admin-token"
MIN_PROD_TOKEN_LENGTH = 32
ASYNC_DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg", "postgresql+psycopg")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERSVC_", extra="ignore")

    environment: Literal["dev", "staging", "prod"] = "dev"
    database_url: str = "sqlite+aiosqlite:///./ordersvc.db"
    create_schema: bool = True
    cache_ttl_seconds: Annotated[int, Field(ge=1, le=3600)] = 60
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    admin_token: SecretStr = SecretStr(DEV_ADMIN_TOKEN)
    max_order_lines: Annotated[int, Field(ge=1, le=100)] = 100

    @validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        scheme, separator, _ = value.partition("://")
        if not separator or scheme not in ASYNC_DATABASE_SCHEMES:
            allowed = ", ".join(f"{s}://" for s in ASYNC_DATABASE_SCHEMES)
            raise ValueError(f"must be an async SQLAlchemy URL starting with one of: {allowed}")
        return value

    @root_validator(skip_on_failure=True)
    @classmethod
    def _production_secrets(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("environment") != "prod":
            return values
        token = values["admin_token"].get_secret_value()
        if token == DEV_ADMIN_TOKEN or len(token) < MIN_PROD_TOKEN_LENGTH:
            raise ValueError(
                "admin_token (ORDERSVC_ADMIN_TOKEN) must be set to a secret of at least "
                f"{MIN_PROD_TOKEN_LENGTH} characters when environment is prod"
            )
        return values
