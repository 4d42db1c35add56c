import json

import pytest
from pydantic import ValidationError

from ordersvc.config import Settings

SHORT_SECRET = "short-but-still-secret-7f3a"  # under 32 bytes: refused
LONG_SECRET = "production-signing-key-" + "5e6f7a8b9c0d1e2f" * 3


def test_settings_errors_do_not_echo_signing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERSVC_DATABASE_URL", "sqlite+aiosqlite:///./never-opened.db")
    failures: list[str] = []
    for keys, active in (
        ([{"kid": "k1", "secret": SHORT_SECRET}], "k1"),
        ([{"kid": "k1", "secret": LONG_SECRET}], "k-typo"),
    ):
        monkeypatch.setenv("ORDERSVC_JWT_KEYS", json.dumps(keys))
        monkeypatch.setenv("ORDERSVC_JWT_ACTIVE_KID", active)
        with pytest.raises(ValidationError) as caught:
            Settings()
        failures.append(str(caught.value))
    for text in failures:
        for secret in (SHORT_SECRET, LONG_SECRET):
            assert secret not in text, (
                "a settings error at start-up prints the signing key into the crash log:\n" + text
            )
