import logging
import time
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from authkit import (
    ACTIVE_SECRET,
    AUDIENCE,
    EMAIL,
    ISSUER,
    OLD_SECRET,
    OTHER_SECRET,
    PASSWORD,
    FakeClock,
    Service,
    craft,
    key,
    make_settings,
    running,
)
from pydantic import SecretStr, ValidationError

from ordersvc.config import JwtKey, Settings

INVALID_CREDENTIALS = {"detail": "invalid email or password", "code": "invalid_credentials"}


def assert_invalid_token(response_status: int, body: object, www_authenticate: str | None) -> None:
    assert response_status == 401
    assert isinstance(body, dict)
    assert body.get("code") == "invalid_token", body
    assert isinstance(body.get("detail"), str)
    assert (www_authenticate or "").startswith("Bearer")


async def test_sign_up_log_in_and_read_my_account(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as service:
        created = await service.client.post(
            "/accounts", json={"email": "Ann@Example.com", "password": PASSWORD}
        )
        assert created.status_code == 201, created.text
        assert created.json() == {"id": 1, "email": EMAIL}

        before = int(time.time())
        response = await service.login(" ANN@example.com", PASSWORD)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in"}
        assert body["token_type"].lower() == "bearer"
        assert body["expires_in"] == 600
        token = body["access_token"]

        header = jwt.get_unverified_header(token)
        assert header["alg"] == "HS256"
        assert header["kid"] == "k2", "new tokens are signed with the active key"
        claims = jwt.decode(
            token, ACTIVE_SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
        )
        assert claims["sub"] == "1"
        for name in ("iat", "nbf", "exp"):
            assert isinstance(claims[name], int), name
        assert before - 1 <= claims["iat"] <= int(time.time()) + 1
        assert claims["nbf"] == claims["iat"]
        assert claims["exp"] == claims["iat"] + 600

        me = await service.me(token)
        assert me.status_code == 200, me.text
        assert me.json() == {"id": 1, "email": EMAIL}


async def test_sign_up_validation_and_duplicates(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as service:
        await service.sign_up()
        duplicate = await service.client.post(
            "/accounts", json={"email": "ANN@example.com", "password": "another password 1"}
        )
        assert duplicate.status_code == 409
        assert duplicate.json()["code"] == "duplicate_account"
        for body in (
            {"email": "bob@example.com", "password": "11-chars-pw"},
            {"email": "bob@example.com", "password": "x" * 1025},
            {"email": "not-an-email", "password": PASSWORD},
            {"email": "bob@example.com"},
        ):
            response = await service.client.post("/accounts", json=body)
            assert response.status_code == 422, body
        ok = await service.client.post(
            "/accounts", json={"email": " Bob@Example.com ", "password": "12-chars-pwd"}
        )
        assert ok.status_code == 201, ok.text
        assert ok.json() == {"id": 2, "email": "bob@example.com"}


async def test_unknown_email_and_wrong_password_are_indistinguishable(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as service:
        await service.sign_up()
        service.hasher.verified.clear()

        wrong_password = await service.login(EMAIL, "not the password")
        assert len(service.hasher.verified) == 1, "one hash check for a wrong password"
        unknown_email = await service.login("nobody@example.com", "not the password")
        assert len(service.hasher.verified) == 2, "one hash check for an unknown email, too"

        assert wrong_password.status_code == unknown_email.status_code == 401
        assert wrong_password.json() == unknown_email.json() == INVALID_CREDENTIALS
        stand_in = service.hasher.verified[1]
        assert stand_in in service.hasher.produced, (
            "an unknown email is checked against a hash made by the same hasher"
        )

        unknown_again = await service.login("nobody-else@example.com", PASSWORD)
        assert unknown_again.json() == INVALID_CREDENTIALS
        assert len(service.hasher.verified) == 3
        assert (await service.login()).status_code == 200
        assert len(service.hasher.verified) == 4


async def locked_out(service: Service, email: str = EMAIL, failures: int = 5) -> None:
    for attempt in range(failures):
        response = await service.login(email, f"wrong password {attempt}")
        assert response.status_code == 401, (attempt, response.text)
        assert response.json() == INVALID_CREDENTIALS


async def test_failed_logins_lock_the_account(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as service:
        await service.sign_up()
        await locked_out(service, email=" Ann@EXAMPLE.com")
        checks_before = len(service.hasher.verified)

        refused = await service.login(EMAIL, PASSWORD)
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "too_many_attempts"
        assert isinstance(refused.json()["detail"], str)
        assert refused.headers.get("Retry-After") == "900"

        service.clock.advance(100.5)
        later = await service.login(EMAIL, "wrong password again")
        assert later.status_code == 429
        assert later.headers.get("Retry-After") == "800", "seconds left, rounded up"
        assert len(service.hasher.verified) == checks_before, "no hash work while locked"

        service.clock.advance(799.4)
        assert (await service.login()).status_code == 429
        service.clock.advance(0.2)
        assert (await service.login()).status_code == 200, "the lock-out has run out"


async def test_counting_restarts_after_a_lock_out(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path, login_lockout_seconds=300)) as service:
        await service.sign_up()
        await locked_out(service)
        assert (await service.login()).status_code == 429
        service.clock.advance(301)  # the lock-out is over; the failures are still in the window
        await locked_out(service, failures=4)
        assert (await service.login()).status_code == 200


async def test_success_resets_the_count(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as service:
        await service.sign_up()
        await locked_out(service, failures=4)
        assert (await service.login()).status_code == 200
        await locked_out(service, failures=4)
        assert (await service.login()).status_code == 200
        await locked_out(service, failures=5)
        assert (await service.login()).status_code == 429


async def test_failures_further_apart_than_the_window_do_not_add_up(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path, login_max_failures=3)) as service:
        await service.sign_up()
        await locked_out(service, failures=2)
        service.clock.advance(901)
        await locked_out(service, failures=2)
        service.clock.advance(600)
        await locked_out(service, failures=1)
        assert (await service.login()).status_code == 429, "three failures within the window"


async def test_failures_count_across_instances(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    clock = FakeClock()
    async with running(settings, clock=clock) as first:
        await first.sign_up()
        await locked_out(first, failures=3)
    async with running(settings, clock=clock) as second:
        await locked_out(second, failures=2)
        assert (await second.login()).status_code == 429
    async with running(settings, clock=clock) as third:
        assert (await third.login()).status_code == 429


async def test_tokens_within_the_leeway_and_from_a_key_being_retired_are_accepted(
    tmp_path: Path,
) -> None:
    now = int(time.time())
    async with running(make_settings(tmp_path)) as service:
        await service.sign_up()
        accepted = {
            "ours": await service.token(),
            "expired-within-leeway": craft(iat=now - 400, nbf=now - 400, exp=now - 10),
            "not-yet-valid-within-leeway": craft(nbf=now + 10),
            "old-key-before-retirement": craft(kid="k1", secret=OLD_SECRET),
        }
        for name, token in accepted.items():
            response = await service.me(token)
            assert response.status_code == 200, (name, response.text)
            assert response.json() == {"id": 1, "email": EMAIL}


def rejected_tokens() -> dict[str, str]:
    now = int(time.time())
    return {
        "expired": craft(iat=now - 700, nbf=now - 700, exp=now - 120),
        "not-yet-valid": craft(nbf=now + 120),
        "no-exp": craft(exp=None),
        "no-nbf": craft(nbf=None),
        "no-iat": craft(iat=None),
        "no-sub": craft(sub=None),
        "wrong-audience": craft(aud="ordersvc-admin"),
        "no-audience": craft(aud=None),
        "wrong-issuer": craft(iss="https://evil.test"),
        "no-issuer": craft(iss=None),
        "alg-none": jwt.encode(
            {"sub": "1", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300},
            None,
            algorithm="none",
            headers={"kid": "k2"},
        ),
        "hs384": craft(algorithm="HS384"),
        "hs512": craft(algorithm="HS512"),
        "wrong-secret": craft(secret=OTHER_SECRET),
        "kid-names-another-key": craft(kid="k1", secret=ACTIVE_SECRET),
        "unknown-kid": craft(kid="k9"),
        "no-kid": craft(kid=None),
        "unknown-account": craft(sub="42"),
        "non-numeric-sub": craft(sub="ann"),
        "garbage": "not.a.token",
    }


async def test_invalid_tokens_are_refused(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as service:
        await service.sign_up()
        for name, token in rejected_tokens().items():
            response = await service.me(token)
            assert response.status_code == 401, (name, response.text)
            assert_invalid_token(
                response.status_code, response.json(), response.headers.get("WWW-Authenticate")
            )
            assert token not in response.text


async def test_a_retired_key_no_longer_verifies(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        jwt_keys=[
            key("k1", OLD_SECRET, retires_in=timedelta(hours=-1)),
            key("k2", ACTIVE_SECRET),
        ],
    )
    async with running(settings) as service:
        await service.sign_up()
        response = await service.me(craft(kid="k1", secret=OLD_SECRET))
        assert_invalid_token(
            response.status_code, response.json(), response.headers.get("WWW-Authenticate")
        )
        assert (await service.me(craft(kid="k2"))).status_code == 200


async def test_missing_or_other_authorization_is_not_authenticated(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as service:
        await service.sign_up()
        token = await service.token()
        for headers in ({}, {"Authorization": f"Basic {token}"}, {"Authorization": "Bearer"}):
            response = await service.client.get("/accounts/me", headers=headers)
            assert response.status_code == 401, headers
            assert response.json()["code"] == "not_authenticated"
            assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
        lower = await service.client.get(
            "/accounts/me", headers={"Authorization": f"bearer {token}"}
        )
        assert lower.status_code == 200


async def test_rotation_signs_with_the_active_key(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        jwt_keys=[key("k2", ACTIVE_SECRET), key("k3", OTHER_SECRET)],
        jwt_active_kid="k3",
    )
    async with running(settings) as service:
        await service.sign_up()
        token = await service.token()
        assert jwt.get_unverified_header(token)["kid"] == "k3"
        jwt.decode(token, OTHER_SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
        assert (await service.me(craft(kid="k2"))).status_code == 200


def test_key_settings_are_validated(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    assert Settings(database_url=database_url).jwt_keys == []
    with pytest.raises(ValidationError):
        Settings(database_url=database_url, jwt_keys=[key("k1", OLD_SECRET)], jwt_active_kid="k2")
    with pytest.raises(ValidationError):
        Settings(
            database_url=database_url,
            jwt_keys=[key("k1", OLD_SECRET), key("k1", ACTIVE_SECRET)],
            jwt_active_kid="k1",
        )
    with pytest.raises(ValidationError):
        JwtKey(kid="k1", secret=SecretStr("too-short-for-hs256"))


async def test_without_keys_login_is_unavailable(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/nokeys.db")
    async with running(settings) as service:
        for response in (
            await service.client.post("/accounts", json={"email": EMAIL, "password": PASSWORD}),
            await service.login(),
            await service.me(craft()),
        ):
            assert response.status_code == 503, response.text
            assert response.json()["code"] == "auth_not_configured"
        assert (await service.client.get("/products")).status_code == 200


async def test_validation_errors_do_not_echo_the_password(tmp_path: Path) -> None:
    secret = "Tr0ub4dor&3-never-echo-me"
    async with running(make_settings(tmp_path)) as service:
        requests = [
            ("/auth/login", {"password": secret}),
            ("/auth/login", {"email": 12, "password": secret}),
            ("/auth/login", {"email": EMAIL, "password": secret * 50}),
            ("/accounts", {"email": "not-an-email", "password": secret}),
            ("/accounts", {"email": EMAIL, "password": secret[:11]}),
            ("/accounts", {"email": EMAIL, "password": secret * 50}),
        ]
        for path, body in requests:
            response = await service.client.post(path, json=body)
            assert response.status_code == 422, (path, body)
            assert secret[:11] not in response.text, (path, response.text)
            assert isinstance(response.json()["detail"], list)


async def test_no_password_token_or_key_in_logs_or_error_bodies(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings(tmp_path, log_level="DEBUG")
    async with running(settings) as service:
        await service.sign_up()
        token = await service.token()
        assert (await service.me(token)).status_code == 200
        bodies = [(await service.login(EMAIL, "wrong-password-xyz")).text]
        forged = craft(secret=OTHER_SECRET)
        expired = craft(exp=int(time.time()) - 3600, iat=int(time.time()) - 4000)
        for bad in (forged, expired, craft(kid="k9"), token + "x"):
            bodies.append((await service.me(bad)).text)
        await locked_out(service, failures=4)
        bodies.append((await service.login()).text)

    secrets_ = {
        PASSWORD: "password",
        "wrong-password-xyz": "wrong password",
        token: "token",
        token.split(".")[2]: "token signature",
        forged: "forged token",
        expired: "expired token",
        ACTIVE_SECRET: "active key",
        OLD_SECRET: "old key",
    }
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        for value, what in secrets_.items():
            assert value not in text, f"{what} logged by {record.name}: {text[:200]}"
    for body in bodies:
        for value, what in secrets_.items():
            assert value not in body, f"{what} in an error body: {body[:200]}"
