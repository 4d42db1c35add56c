"""Users who may sign in, and their roles."""

from dataclasses import dataclass
from enum import StrEnum

from ordersvc.domain.aggregate import Entity
from ordersvc.domain.errors import InvalidValue


class Role(StrEnum):
    ADMIN = "admin"  # manages the catalogue and users
    CUSTOMER = "customer"


@dataclass(eq=False, kw_only=True)
class User(Entity):
    """`password_hash` is an encoded hash (algorithm, parameters, salt); never the password."""

    email: str
    password_hash: str
    role: Role

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()
        if "@" not in self.email:
            raise InvalidValue(f"invalid email address {self.email!r}")
        if not self.password_hash:
            raise InvalidValue("a user needs a password hash")
