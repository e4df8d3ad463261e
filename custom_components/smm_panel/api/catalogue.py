"""A panel's catalogue, kept compactly: 150 000 services cost little.

Each service is kept as a row: a plain tuple of its fields, its rate given as
a place in a table of the catalogue's distinct rates. A tuple that holds only
texts, numbers and flags is soon no longer tracked by Python's cyclic garbage
collector: a kept catalogue adds nothing to the collections, which visit every
tracked object of Home Assistant while holding the GIL, and never causes one.
(A `CatalogueItem`, or a `Decimal`, is tracked.) A `CatalogueItem` is made
when a service is looked up.
"""

from __future__ import annotations

from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
    ValuesView,
)
from decimal import Decimal
from typing import Any, overload

from .models import CatalogueItem, SharedValues

# service_id, name, type, category, rate (its place in the rates), min, max,
# refill, cancel, dripfeed: CatalogueItem's fields.
type CatalogueRow = tuple[int, str, str, str, int, int, int, bool, bool, bool]


class _Rates:
    """The distinct rates of one catalogue, each kept once."""

    __slots__ = ("_places", "table")

    def __init__(self) -> None:
        self.table: list[Decimal] = []
        # Keyed by the text: "0.90" and "0.9" keep their own form.
        self._places: dict[str, int] = {}

    def place(self, rate: Decimal) -> int:
        """Return the place of `rate` in the table (added when new)."""
        text = str(rate)
        place = self._places.get(text)
        if place is None:
            place = self._places[text] = len(self.table)
            self.table.append(rate)
        return place


class CatalogueParser:
    """Parses the entries of one `services` reply into rows (see the module).

    Equal types, categories, limits and rates share one object.
    """

    __slots__ = ("_rates", "_shared")

    def __init__(self) -> None:
        """Start with an empty table of rates."""
        self._shared = SharedValues()
        self._rates = _Rates()

    @property
    def rates(self) -> list[Decimal]:
        """The table of rates the rows point into."""
        return self._rates.table

    def __call__(self, data: Any) -> CatalogueRow | None:
        """Return the row of one entry; None when it is unusable (see from_json)."""
        item = CatalogueItem.from_json(data, self._shared)
        return None if item is None else _row(item, self._rates)


def _row(item: CatalogueItem, rates: _Rates) -> CatalogueRow:
    """Return the row of a service, its rate placed in `rates`."""
    return (
        item.service_id,
        item.name,
        item.type,
        item.category,
        rates.place(item.rate),
        item.min,
        item.max,
        item.refill,
        item.cancel,
        item.dripfeed,
    )


def _item(row: CatalogueRow, rates: list[Decimal]) -> CatalogueItem:
    service_id, name, type_, category, rate, minimum, maximum, *flags = row
    refill, cancel, dripfeed = flags
    return CatalogueItem(
        service_id,
        name,
        type_,
        category,
        rates[rate],
        minimum,
        maximum,
        refill,
        cancel,
        dripfeed,
    )


class CatalogueItems(Sequence[CatalogueItem]):
    """The services of a `services` reply, in the panel's order, as rows.

    Equal to a list of the same `CatalogueItem`s.
    """

    __slots__ = ("_rates", "_rows")

    def __init__(self, rows: list[CatalogueRow], rates: list[Decimal]) -> None:
        """Hold rows whose rates point into `rates`."""
        self._rows = rows
        self._rates = rates

    def __len__(self) -> int:
        """Return the number of services."""
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> CatalogueItem: ...

    @overload
    def __getitem__(self, index: slice) -> CatalogueItems: ...

    def __getitem__(self, index: int | slice) -> CatalogueItem | CatalogueItems:
        """Return a service, or some services."""
        if isinstance(index, slice):
            return CatalogueItems(self._rows[index], self._rates)
        return _item(self._rows[index], self._rates)

    def __iter__(self) -> Iterator[CatalogueItem]:
        """Return the services in order."""
        rates = self._rates
        return (_item(row, rates) for row in self._rows)

    def __eq__(self, other: object) -> bool:
        """Compare with other services, or with a list of them."""
        if isinstance(other, CatalogueItems | list):
            return len(self) == len(other) and all(
                mine == theirs for mine, theirs in zip(self, other, strict=True)
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """Describe without listing 150 000 services."""
        return f"CatalogueItems({len(self)} services)"

    def index_by_id(self) -> Catalogue:
        """Return the services by id (a later duplicate id wins)."""
        return Catalogue({row[0]: row for row in self._rows}, self._rates)


class Catalogue(Mapping[int, CatalogueItem]):
    """A panel's services by id, kept as rows (see the module)."""

    __slots__ = ("_rates", "_rows")

    def __init__(
        self,
        rows: dict[int, CatalogueRow] | None = None,
        rates: list[Decimal] | None = None,
    ) -> None:
        """Hold rows whose rates point into `rates` (empty by default)."""
        self._rows = rows or {}
        self._rates = rates or []

    @classmethod
    def of(cls, items: Iterable[CatalogueItem]) -> Catalogue:
        """Return a catalogue of some services."""
        rates = _Rates()
        rows = {item.service_id: _row(item, rates) for item in items}
        return cls(rows, rates.table)

    def __getitem__(self, service_id: int) -> CatalogueItem:
        """Return the service with this id (KeyError when there is none)."""
        return _item(self._rows[service_id], self._rates)

    def get(  # type: ignore[override]
        self, service_id: int, default: CatalogueItem | None = None
    ) -> CatalogueItem | None:
        """Return the service with this id, or `default`."""
        row = self._rows.get(service_id)
        return default if row is None else _item(row, self._rates)

    def __contains__(self, service_id: object) -> bool:
        """Return True when the catalogue has a service with this id."""
        return service_id in self._rows

    def __iter__(self) -> Iterator[int]:
        """Return the service ids, in the panel's order."""
        return iter(self._rows)

    def __len__(self) -> int:
        """Return the number of services."""
        return len(self._rows)

    def __repr__(self) -> str:
        """Describe without listing 150 000 services."""
        return f"Catalogue({len(self)} services)"

    def values(self) -> ValuesView[CatalogueItem]:
        """Return the services (each made when reached)."""
        return _Values(self)

    def items(self) -> ItemsView[int, CatalogueItem]:
        """Return (id, service) pairs (each service made when reached)."""
        return _Items(self)

    def watched(self, service_id: int) -> tuple[str, Decimal, int, int] | None:
        """Return the name, rate, min and max of a service (None when absent)."""
        row = self._rows.get(service_id)
        if row is None:
            return None
        return row[1], self._rates[row[4]], row[5], row[6]

    def all_watched(self) -> Iterator[tuple[int, tuple[str, Decimal, int, int]]]:
        """Return every service's id with its name, rate, min and max."""
        rates = self._rates
        for service_id, row in self._rows.items():
            yield service_id, (row[1], rates[row[4]], row[5], row[6])

    def _services(self) -> Iterator[CatalogueItem]:
        rates = self._rates
        return (_item(row, rates) for row in self._rows.values())


class _Values(ValuesView[CatalogueItem]):
    _mapping: Catalogue

    def __iter__(self) -> Iterator[CatalogueItem]:
        return self._mapping._services()


class _Items(ItemsView[int, CatalogueItem]):
    _mapping: Catalogue

    def __iter__(self) -> Iterator[tuple[int, CatalogueItem]]:
        return zip(self._mapping, self._mapping._services(), strict=True)
