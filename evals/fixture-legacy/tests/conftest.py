from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from shopapp.config import Settings, get_settings
from shopapp.database import get_db
from shopapp.main import app
from shopapp.models import Base

ADMIN_TOKEN = "test-admin-token"


def _no_fsync(dbapi_connection: Any, connection_record: Any) -> None:
    # test databases need no durability; fsync would make each test slow
    dbapi_connection.execute("PRAGMA synchronous = OFF")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    # A file database, so requests on several threads each get their own connection;
    # timeout: how long a writer waits for another writer's lock.
    engine = create_engine(
        f"sqlite:///{tmp_path / 'shop.db'}",
        connect_args={"check_same_thread": False, "timeout": 30},
    )
    event.listen(engine, "connect", _no_fsync)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    # the same options as shopapp.database.SessionLocal
    return sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session of the test's own, for arranging data and checking what was committed."""
    with session_factory() as session:
        yield session


@pytest.fixture
def settings() -> Settings:
    return Settings(admin_token=SecretStr(ADMIN_TOKEN))


@pytest.fixture
def client(session_factory: sessionmaker[Session], settings: Settings) -> Iterator[TestClient]:
    def get_test_db() -> Iterator[Session]:
        db = session_factory()
        try:
            yield db
        finally:
            db.close()

    app.dependency_overrides[get_db] = get_test_db
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        yield TestClient(app, raise_server_exceptions=False)
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"X-Admin-Token": ADMIN_TOKEN}
