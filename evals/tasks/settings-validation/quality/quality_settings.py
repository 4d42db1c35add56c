"""Quality probes: the database password stays out of start-up errors and rendered settings."""

import pytest
from pydantic import ValidationError

from ordersvc.config import Settings

PASSWORD = "Zx9q7w"


def test_a_rejected_database_url_does_not_echo_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The start-up error names the setting, but the URL's password never reaches the logs."""
    monkeypatch.setenv("ORDERSVC_DATABASE_URL", f"postgresql://u:{PASSWORD}@db/o")
    with pytest.raises(ValidationError) as info:
        Settings()
    assert "database_url" in str(info.value)
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in repr(info.value)


def test_rendered_settings_do_not_show_the_database_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Settings are logged at start-up and end up in error reports: the password stays out."""
    monkeypatch.setenv(
        "ORDERSVC_DATABASE_URL", f"postgresql+asyncpg://app:{PASSWORD}@db:5432/orders"
    )
    settings = Settings()
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)
