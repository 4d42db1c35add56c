import threading
from pathlib import Path

from authkit import EMAIL, PASSWORD, RecordingHasher, make_settings, running


async def test_a_lock_out_looks_the_same_for_an_email_without_an_account(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as service:
        await service.sign_up()
        answers = {}
        for email in (EMAIL, "nobody@example.com"):
            for attempt in range(5):
                failed = await service.login(email, f"wrong password {attempt}")
                assert failed.status_code == 401, (email, attempt, failed.text)
            answers[email] = await service.login(email, PASSWORD)
        known, unknown = answers[EMAIL], answers["nobody@example.com"]
        assert known.status_code == 429, known.text
        assert unknown.status_code == known.status_code, (
            "an email nobody registered is never locked out, so a 429 tells an attacker the"
            " account exists"
        )
        assert unknown.json() == known.json()
        assert unknown.headers.get("Retry-After") == known.headers.get("Retry-After")


class ThreadRecordingHasher(RecordingHasher):
    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def hash(self, password: str) -> str:
        self.threads.append(threading.get_ident())
        return super().hash(password)

    def verify(self, password: str, password_hash: str) -> bool:
        self.threads.append(threading.get_ident())
        return super().verify(password, password_hash)


async def test_password_hashing_runs_off_the_event_loop(tmp_path: Path) -> None:
    loop_thread = threading.get_ident()
    hasher = ThreadRecordingHasher()
    async with running(make_settings(tmp_path), hasher=hasher) as service:
        await service.sign_up()
        assert (await service.login()).status_code == 200
        assert (await service.login(EMAIL, "wrong password")).status_code == 401
        assert (await service.login("nobody@example.com", PASSWORD)).status_code == 401
    assert len(hasher.threads) >= 4
    on_loop = sum(thread == loop_thread for thread in hasher.threads)
    assert on_loop == 0, (
        f"{on_loop} of {len(hasher.threads)} hash/verify calls ran on the event loop: each one"
        " (600 000 PBKDF2 rounds in production) stalls every other request"
    )
