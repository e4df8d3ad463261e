"""The catalogue watcher: what a panel changed in its services since last time.

Panels change prices and limits, and remove services, without notice. The
previous catalogue is kept in storage (across restarts); each refresh of the
catalogue is compared with it. The first catalogue after installation is only
remembered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .api import CatalogueItem
from .const import DOMAIN, LOGGER, STORAGE_VERSION
from .shapes import catalogue_item, money

# The fields whose change is reported (with the old and the new value).
WATCHED_FIELDS = ("rate", "min", "max")


@dataclass(frozen=True, slots=True)
class CatalogueChanges:
    """Services added, removed, and changed in rate, min or max."""

    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[dict[str, Any]]

    def __bool__(self) -> bool:
        """Return True when anything changed."""
        return bool(self.added or self.removed or self.changed)

    def as_event_data(self) -> dict[str, Any]:
        """Return the data of the `smm_panel_catalogue_changed` event."""
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


def _summary(item: CatalogueItem) -> dict[str, Any]:
    """Return what is remembered of a service between refreshes."""
    return {
        "name": item.name,
        "rate": str(item.rate),
        "min": item.min,
        "max": item.max,
    }


def _value(field: str, value: Any) -> Any:
    if field != "rate":
        return value
    try:
        return money(Decimal(value))
    except (ArithmeticError, TypeError):  # a hand-edited store: show it as it is
        return value


def compare(
    previous: Mapping[str, Mapping[str, Any]], current: Mapping[int, CatalogueItem]
) -> CatalogueChanges:
    """Compare the remembered catalogue with the new one."""
    added = [
        catalogue_item(item)
        for service_id, item in current.items()
        if str(service_id) not in previous
    ]
    removed = [
        {"service": int(service_id), "name": old.get("name")}
        for service_id, old in previous.items()
        if service_id.isdigit() and int(service_id) not in current
    ]
    changed = []
    for service_id, item in current.items():
        old = previous.get(str(service_id))
        if old is None:
            continue
        new = _summary(item)
        fields = {
            field: {
                "old": _value(field, old.get(field)),
                "new": _value(field, new[field]),
            }
            for field in WATCHED_FIELDS
            if old.get(field) is not None and str(old[field]) != str(new[field])
        }
        if fields:
            changed.append({"service": service_id, "name": item.name, **fields})
    return CatalogueChanges(added, removed, changed)


class CatalogueWatcher:
    """Remembers an entry's catalogue and tells what changed in a new one."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the watcher of one config entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.catalogue"
        )
        self._previous: Mapping[str, Mapping[str, Any]] | None = None
        self._loaded = False

    async def async_changes(
        self, catalogue: Mapping[int, CatalogueItem]
    ) -> CatalogueChanges | None:
        """Remember the new catalogue; return what changed, None the first time."""
        if not self._loaded:
            stored = await self._store.async_load()
            items = stored.get("services") if isinstance(stored, dict) else None
            if isinstance(items, dict):
                self._previous = items
            elif stored is not None:
                LOGGER.warning(
                    "The remembered catalogue could not be read; starting anew"
                )
            self._loaded = True
        current = {
            str(service_id): _summary(item) for service_id, item in catalogue.items()
        }
        previous, self._previous = self._previous, current
        if previous == current:
            return CatalogueChanges([], [], [])
        await self._store.async_save({"services": current})
        return None if previous is None else compare(previous, catalogue)

    async def async_remove(self) -> None:
        """Delete the remembered catalogue (the config entry is being removed)."""
        await self._store.async_remove()
