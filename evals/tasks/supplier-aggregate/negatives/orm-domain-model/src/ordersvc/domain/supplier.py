"""The Supplier aggregate: who we buy from, and how long they take to deliver."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ordersvc.domain.errors import InvalidValue
from ordersvc.infrastructure.models import Base

MAX_LEAD_TIME_DAYS = 365


class Supplier(Base):
    """Mapped directly, so there is no separate table model or mapper to maintain."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    contact_email: Mapped[str] = mapped_column(String(254))
    lead_time_days: Mapped[int]
    active: Mapped[bool] = mapped_column(index=True)

    def __init__(
        self, *, name: str, contact_email: str, lead_time_days: int, active: bool = True
    ) -> None:
        super().__init__()
        name = name.strip()
        contact_email = contact_email.strip().lower()
        if not name:
            raise InvalidValue("supplier name must not be empty")
        if "@" not in contact_email:
            raise InvalidValue(f"invalid email address {contact_email!r}")
        if not 0 <= lead_time_days <= MAX_LEAD_TIME_DAYS:
            raise InvalidValue(
                f"lead time must be 0 to {MAX_LEAD_TIME_DAYS} days, got {lead_time_days}"
            )
        self.name = name
        self.name_key = name.casefold()
        self.contact_email = contact_email
        self.lead_time_days = lead_time_days
        self.active = active

    @property
    def identity(self) -> int:
        return self.id
