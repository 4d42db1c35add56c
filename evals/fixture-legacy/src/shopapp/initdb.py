"""Create the tables: ``python -m shopapp.initdb`` (we have no migrations yet)."""

from shopapp.database import engine
from shopapp.models import Base


def main() -> None:
    Base.metadata.create_all(bind=engine)


if __name__ == "__main__":
    main()
