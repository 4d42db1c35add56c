"""Shared FastAPI dependencies."""

import secrets
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.orm import Session

from shopapp.config import Settings, get_settings
from shopapp.database import get_db
from shopapp.errors import ApiError

DbSession = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_admin(
    settings: SettingsDep, x_admin_token: Annotated[str | None, Header()] = None
) -> None:
    expected = settings.admin_token.get_secret_value()
    if x_admin_token is None or not secrets.compare_digest(x_admin_token, expected):
        raise ApiError(401, "ADMIN_TOKEN_INVALID", "A valid X-Admin-Token header is required")
