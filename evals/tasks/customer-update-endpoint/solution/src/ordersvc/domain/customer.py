"""The Customer aggregate."""

from dataclasses import dataclass

from ordersvc.domain.aggregate import Entity
from ordersvc.domain.errors import InvalidValue


@dataclass(eq=False, kw_only=True)
class Customer(Entity):
    email: str
    name: str

    def __post_init__(self) -> None:
        self.email = _valid_email(self.email)
        self.name = _valid_name(self.name)

    def rename(self, name: str) -> None:
        self.name = _valid_name(name)

    def change_email(self, email: str) -> None:
        """Uniqueness across customers is checked by the caller, which can see the others."""
        self.email = _valid_email(email)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _valid_email(email: str) -> str:
    normalised = normalise_email(email)
    if "@" not in normalised:
        raise InvalidValue(f"invalid email address {normalised!r}")
    return normalised


def _valid_name(name: str) -> str:
    stripped = name.strip()
    if not stripped:
        raise InvalidValue("name must not be empty")
    return stripped
