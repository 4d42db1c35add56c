"""In-memory repositories (unit tests, local experiments). Not for production use."""

from collections.abc import Sequence

from ordersvc.domain.supplier import Supplier


class InMemorySupplierRepository:
    """Implements the SupplierRepository port over a dict; ids are assigned 1, 2, 3, ..."""

    def __init__(self) -> None:
        self._items: dict[int, Supplier] = {}
        self._seen: list[Supplier] = []

    @property
    def seen(self) -> list[Supplier]:
        return self._seen

    async def add(self, supplier: Supplier) -> None:
        supplier.id = len(self._items) + 1
        self._items[supplier.id] = supplier
        self._track(supplier)

    async def get(self, supplier_id: int) -> Supplier | None:
        supplier = self._items.get(supplier_id)
        if supplier is not None:
            self._track(supplier)
        return supplier

    async def get_by_name(self, name: str) -> Supplier | None:
        key = name.strip().casefold()
        found = next((s for s in self._items.values() if s.name_key == key), None)
        if found is not None:
            self._track(found)
        return found

    async def list(self, *, active: bool | None = None) -> Sequence[Supplier]:
        suppliers = [
            self._items[supplier_id]
            for supplier_id in sorted(self._items)
            if active is None or self._items[supplier_id].active is active
        ]
        for supplier in suppliers:
            self._track(supplier)
        return suppliers

    def _track(self, supplier: Supplier) -> None:
        if all(supplier is not known for known in self._seen):
            self._seen.append(supplier)
