"""Settings from the environment (SHOP_*).

Routes read them through the ``SettingsDep`` dependency (``shopapp.deps``), never by calling
``get_settings()`` themselves: the tests override the dependency.
"""

from functools import lru_cache

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOP_", extra="ignore")

    database_url: str = "sqlite:///./shop.db"
    # Admin endpoints want this value in the X-Admin-Token header.
    admin_token: SecretStr = SecretStr("change-me")
    # A cart line holds at most this many units of one product.
    max_line_quantity: int = 10
    # PENDING orders older than this are cancelled by POST /admin/orders/expire-pending.
    pending_order_ttl_minutes: int = 60


@lru_cache
def get_settings() -> Settings:
    return Settings()
