import _operator
import base64
import hashlib
import hmac
import re
import sys
import threading
from collections.abc import Callable
from types import FrameType

from ordersvc.infrastructure.security import Pbkdf2PasswordHasher

PASSWORD = "correct horse battery staple"
ENCODED = re.compile(r"^pbkdf2_sha256\$(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$")


def encode(password: str, salt: bytes, iterations: int) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "$".join(
        (
            "pbkdf2_sha256",
            str(iterations),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        )
    )


def test_hash_format_is_salted_pbkdf2_sha256() -> None:
    hasher = Pbkdf2PasswordHasher(iterations=1_000)
    first, second = hasher.hash(PASSWORD), hasher.hash(PASSWORD)
    assert first != second, "every hash has its own random salt"
    for encoded in (first, second):
        match = ENCODED.match(encoded)
        assert match is not None, encoded
        iterations, salt, digest = match.groups()
        assert int(iterations) == 1_000
        salt_bytes = base64.b64decode(salt)
        assert len(salt_bytes) == 16
        expected = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt_bytes, 1_000)
        assert base64.b64decode(digest) == expected
        assert PASSWORD not in encoded


def test_verify_accepts_the_password_and_nothing_else() -> None:
    hasher = Pbkdf2PasswordHasher(iterations=1_000)
    encoded = hasher.hash(PASSWORD)
    assert hasher.verify(PASSWORD, encoded) is True
    assert hasher.verify(PASSWORD + " ", encoded) is False
    assert hasher.verify("", encoded) is False


def test_verify_reads_the_iteration_count_from_the_stored_hash() -> None:
    hasher = Pbkdf2PasswordHasher(iterations=1_000)
    older = encode(PASSWORD, b"0123456789abcdef", 1_500)
    assert hasher.verify(PASSWORD, older) is True
    assert hasher.verify("wrong password", older) is False


def test_malformed_hashes_do_not_verify() -> None:
    hasher = Pbkdf2PasswordHasher(iterations=1_000)
    good = encode(PASSWORD, b"0123456789abcdef", 1_000)
    scheme, iterations, salt, digest = good.split("$")
    for broken in (
        "",
        "garbage",
        PASSWORD,
        f"md5${iterations}${salt}${digest}",
        f"{scheme}$many${salt}${digest}",
        f"{scheme}${iterations}$!!!${digest}",
        f"{scheme}${iterations}${salt}",
        f"{scheme}${iterations}${salt}${digest}$extra",
    ):
        assert hasher.verify(PASSWORD, broken) is False, broken


def test_digests_are_compared_in_constant_time() -> None:
    hasher = Pbkdf2PasswordHasher(iterations=1_000)
    encoded = hasher.hash(PASSWORD)
    constant_time = {hmac.compare_digest, _operator._compare_digest}
    called: list[object] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "c_call" and any(arg is fn for fn in constant_time):
            called.append(arg)

    tracer: Callable[[FrameType, str, object], None] = profile
    threading.setprofile(tracer)
    sys.setprofile(tracer)
    try:
        right = hasher.verify(PASSWORD, encoded)
        after_right = len(called)
        wrong = hasher.verify("not the password", encoded)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    assert (right, wrong) == (True, False)
    assert after_right >= 1, "the right password's digest is compared with hmac.compare_digest"
    assert len(called) > after_right, "so is a wrong password's"
