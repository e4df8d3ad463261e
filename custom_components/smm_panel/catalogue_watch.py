"""The catalogue watcher: what a panel changed in its services since last time.

Panels change prices and limits, and remove services, without notice. The
previous catalogue is kept in storage (across restarts); each refresh of the
catalogue is compared with it. The first catalogue after installation is only
remembered.

A catalogue may hold 150 000 services. Indexing, comparing and preparing what
is stored run in a worker thread (plain Python loops, during which the event
loop gets the GIL back every few milliseconds); between refreshes the watcher
keeps no copy of its own, only a reference to the catalogue the coordinator
holds; and an event lists at most EVENT_LIST_LIMIT services of each kind,
with the totals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .api import Catalogue, CatalogueItem, CatalogueItems
from .const import DOMAIN, LOGGER, STORAGE_VERSION
from .shapes import catalogue_item, money

# At most this many services of each kind (added, removed, changed) are listed
# in one event; `totals` counts them all and `truncated` says a list was cut.
EVENT_LIST_LIMIT: Final = 100

# The fields whose change is reported (with the old and the new value).
WATCHED_FIELDS: Final = ("rate", "min", "max")

# The stored catalogue: one text per column, so that reading it back (one
# call into C that holds the GIL, in Home Assistant's Store) parses five long
# texts instead of 750 000 small values.
_COLUMNS: Final = "columns"
_SEPARATOR: Final = ","
_NAME_SEPARATOR: Final = "\n"


@dataclass(slots=True)
class CatalogueChanges:
    """Services added, removed, and changed in rate, min or max.

    The lists hold the first EVENT_LIST_LIMIT services of each kind (in the
    panel's order); the totals count every one.
    """

    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, int] = field(
        default_factory=lambda: {"added": 0, "removed": 0, "changed": 0}
    )

    def __bool__(self) -> bool:
        """Return True when anything changed."""
        return any(self.totals.values())

    @property
    def truncated(self) -> bool:
        """Return True when a list leaves out some of its services."""
        return any(
            len(listed) < self.totals[kind]
            for kind, listed in (
                ("added", self.added),
                ("removed", self.removed),
                ("changed", self.changed),
            )
        )

    def as_event_data(self) -> dict[str, Any]:
        """Return the data of the `smm_panel_catalogue_changed` event."""
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "totals": dict(self.totals),
            "truncated": self.truncated,
        }


def _changed_fields(
    old: tuple[str, Decimal, int, int], new: tuple[str, Decimal, int, int]
) -> dict[str, Any]:
    """Return {field: {old, new}} for the watched fields that changed."""
    fields: dict[str, Any] = {}
    if old[1] != new[1]:
        fields["rate"] = {"old": money(old[1]), "new": money(new[1])}
    for field_name, index in (("min", 2), ("max", 3)):
        if old[index] != new[index]:
            fields[field_name] = {"old": old[index], "new": new[index]}
    return fields


def compare(
    previous: Catalogue, current: Catalogue, limit: int = EVENT_LIST_LIMIT
) -> CatalogueChanges:
    """Compare the remembered catalogue with the new one (any size: a thread)."""
    changes = CatalogueChanges()
    totals = changes.totals
    for service_id, new in current.all_watched():
        old = previous.watched(service_id)
        if old is None:
            totals["added"] += 1
            if len(changes.added) < limit:
                changes.added.append(catalogue_item(current[service_id]))
        elif old[1:] != new[1:]:
            totals["changed"] += 1
            if len(changes.changed) < limit:
                changes.changed.append(
                    {"service": service_id, "name": new[0]} | _changed_fields(old, new)
                )
    for service_id, (name, *_) in previous.all_watched():
        if service_id not in current:
            totals["removed"] += 1
            if len(changes.removed) < limit:
                changes.removed.append({"service": service_id, "name": name})
    return changes


def stored_form(catalogue: Catalogue) -> dict[str, Any]:
    """Return what is stored of a catalogue: only what is compared, as columns.

    A new line in a name (a display text) is stored as a space. Built column
    by column from plain texts: no object per service outlives its step.
    """
    columns: dict[str, list[str]] = {
        "ids": [],
        "names": [],
        "rates": [],
        "mins": [],
        "maxs": [],
    }
    ids, names, rates, mins, maxs = columns.values()
    for service_id, (name, rate, low, high) in catalogue.all_watched():
        ids.append(str(service_id))
        names.append(name.replace(_NAME_SEPARATOR, " "))
        rates.append(str(rate))
        mins.append(str(low))
        maxs.append(str(high))
    return {
        _COLUMNS: {
            key: (_NAME_SEPARATOR if key == "names" else _SEPARATOR).join(texts)
            for key, texts in columns.items()
        }
    }


def read_stored(stored: Any) -> tuple[Catalogue | None, bool]:
    """Read a stored catalogue (any size: a thread).

    Returns the services (None when there is nothing usable) and whether the
    store should be written again in today's form. A service whose rate or
    limits cannot be read (a hand-edited store) is left out.
    """
    if not isinstance(stored, dict):
        return None, False
    if isinstance(columns := stored.get(_COLUMNS), dict):
        return _read_columns(columns), False
    if isinstance(services := stored.get("services"), dict):
        # Written by earlier versions: one object per service.
        return Catalogue.of(_read_objects(services)), True
    return None, False


def _read_columns(columns: dict[str, Any]) -> Catalogue | None:
    texts = [columns.get(name) for name in ("ids", "names", "rates", "mins", "maxs")]
    if not all(isinstance(text, str) for text in texts):
        return None
    ids, names, rates, mins, maxs = (
        text.split(_NAME_SEPARATOR if index == 1 else _SEPARATOR) if text else []
        for index, text in enumerate(texts)
    )
    if not len(ids) == len(names) == len(rates) == len(mins) == len(maxs):
        return None
    return Catalogue.of(_remembered(zip(ids, names, rates, mins, maxs, strict=True)))


def _read_objects(services: dict[str, Any]) -> Iterator[CatalogueItem]:
    return _remembered(
        (service_id, *(old.get(key) for key in ("name", "rate", "min", "max")))
        for service_id, old in services.items()
        if isinstance(old, dict)
    )


def _remembered(rows: Iterable[tuple[Any, ...]]) -> Iterator[CatalogueItem]:
    """Return the readable stored services, as catalogue items."""
    numbers = _Numbers()
    for service_id, name, rate_text, min_text, max_text in rows:
        rate, low, high = (
            numbers.rate(rate_text),
            numbers.limit(min_text),
            numbers.limit(max_text),
        )
        if rate is None or low is None or high is None:
            continue
        if isinstance(service_id, str) and service_id.isdigit():
            yield CatalogueItem(int(service_id), str(name), "", "", rate, low, high)


class _Numbers:
    """Parses the stored numbers, each distinct text once; None when unreadable."""

    __slots__ = ("_decimals", "_integers")

    def __init__(self) -> None:
        self._decimals: dict[Any, Decimal | None] = {}
        self._integers: dict[Any, int | None] = {}

    def rate(self, text: Any) -> Decimal | None:
        if text not in self._decimals:
            self._decimals[text] = _decimal(text)
        return self._decimals[text]

    def limit(self, text: Any) -> int | None:
        if text not in self._integers:
            self._integers[text] = _integer(text)
        return self._integers[text]


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _integer(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


@dataclass(slots=True)
class _Update:
    """What a worker thread made of a fetched catalogue."""

    catalogue: Catalogue
    changes: CatalogueChanges | None
    stored: dict[str, Any] | None


def _update(
    previous: Catalogue | None, items: CatalogueItems, rewrite: bool
) -> _Update:
    """Index the fetched services, compare, and prepare what is stored."""
    catalogue = items.index_by_id()
    changes = None if previous is None else compare(previous, catalogue)
    stored = stored_form(catalogue) if rewrite or changes is None or changes else None
    return _Update(catalogue, changes, stored)


class CatalogueWatcher:
    """Remembers an entry's catalogue and tells what changed in a new one."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the watcher of one config entry."""
        self._hass = hass
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.catalogue"
        )
        # The last catalogue: the coordinator's own (no copy), or the one read
        # back from storage until the first refresh.
        self._previous: Catalogue | None = None
        self._loaded = False
        self._rewrite = False
        # Held by whoever fetches and compares a catalogue: one at a time, so
        # changes are told once and in order, and never fetched twice at once.
        self.lock = asyncio.Lock()

    async def _async_load(self) -> None:
        """Read the remembered catalogue back, once."""
        stored = await self._store.async_load()
        if stored is not None:
            previous, self._rewrite = await self._hass.async_add_executor_job(
                read_stored, stored
            )
            if previous is None:
                LOGGER.warning(
                    "The remembered catalogue could not be read; starting anew"
                )
            self._previous = previous
        self._loaded = True

    async def async_update(
        self, items: CatalogueItems
    ) -> tuple[Catalogue, CatalogueChanges | None]:
        """Remember a fetched catalogue; return it by id, and what changed.

        The changes are None the first time. Call it holding `lock`.
        """
        if not self._loaded:
            await self._async_load()
        update = await self._hass.async_add_executor_job(
            _update, self._previous, items, self._rewrite
        )
        self._previous = update.catalogue
        if update.stored is not None:
            self._rewrite = False
            await self._store.async_save(update.stored)
        return update.catalogue, update.changes

    async def async_remove(self) -> None:
        """Delete the remembered catalogue (the config entry is being removed)."""
        await self._store.async_remove()
