"""The Supplier aggregate: who we buy from, and how long they take to deliver."""

from dataclasses import dataclass

from ordersvc.domain.aggregate import Entity
from ordersvc.domain.errors import InvalidValue

MAX_LEAD_TIME_DAYS = 365


@dataclass(eq=False, kw_only=True)
class Supplier(Entity):
    name: str
    contact_email: str
    lead_time_days: int
    active: bool = True

    def __post_init__(self) -> None:
        self.name = self.name.strip()
        self.contact_email = self.contact_email.strip().lower()
        if not self.name:
            raise InvalidValue("supplier name must not be empty")
        if "@" not in self.contact_email:
            raise InvalidValue(f"invalid email address {self.contact_email!r}")
        if not 0 <= self.lead_time_days <= MAX_LEAD_TIME_DAYS:
            raise InvalidValue(
                f"lead time must be 0 to {MAX_LEAD_TIME_DAYS} days, got {self.lead_time_days}"
            )

    @property
    def name_key(self) -> str:
        """Names are unique regardless of case."""
        return self.name.casefold()

    def deactivate(self) -> None:
        self.active = False
