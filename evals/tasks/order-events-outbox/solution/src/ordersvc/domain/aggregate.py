"""Base classes for aggregates: event recording and database-assigned identity."""

from dataclasses import dataclass, field

from ordersvc.domain.events import DomainEvent


@dataclass(eq=False, kw_only=True)
class AggregateRoot:
    """Records domain events until the unit of work collects them after a commit."""

    _events: list[DomainEvent] = field(default_factory=list, init=False, repr=False)

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """The recorded events, without removing them."""
        return tuple(self._events)

    def pull_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events


@dataclass(eq=False, kw_only=True)
class Entity(AggregateRoot):
    """An aggregate whose integer id is assigned by the repository when it is added."""

    id: int | None = None

    @property
    def identity(self) -> int:
        """The id, for code that only runs once the entity has been persisted."""
        if self.id is None:
            raise RuntimeError(f"{type(self).__name__} has no id until it is added to a repository")
        return self.id
