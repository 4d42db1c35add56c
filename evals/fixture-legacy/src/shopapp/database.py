"""Engine, session factory and the request-scoped session dependency.

One session per request, from ``get_db``. Helpers and services receive that session as their
first argument (``db``) and never open one of their own.
"""

from collections.abc import Iterator

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from shopapp.config import get_settings

engine = create_engine(
    get_settings().database_url,
    connect_args={"check_same_thread": False},
)
# expire_on_commit=False: handlers build the response from objects they just committed.
SessionLocal = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


def get_db() -> Iterator[Session]:
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
