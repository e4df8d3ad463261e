"""Tracked orders and refills, kept with Home Assistant's storage helper."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import ItemError, OrderState, OrderStatus, RefillState, RefillStatus
from .const import DOMAIN, STORAGE_VERSION


@dataclass(frozen=True, slots=True)
class TrackedOrder:
    """What the integration knows about one tracked order."""

    order_id: int
    service_id: int | None = None
    service_name: str | None = None
    link: str | None = None
    quantity: int | None = None
    state: OrderState = OrderState.PENDING
    raw_status: str | None = None
    charge: Decimal | None = None
    start_count: int | None = None
    remains: int | None = None
    currency: str | None = None
    error: str | None = None
    finished_at: datetime | None = None

    @property
    def progress(self) -> float | None:
        """Return how much of the order is delivered, 0-100."""
        if self.state is OrderState.COMPLETED:
            return 100.0
        if not self.quantity or self.remains is None:
            return None
        done = (self.quantity - self.remains) / self.quantity * 100
        return round(min(max(done, 0.0), 100.0), 1)

    def updated(self, status: OrderStatus | ItemError, now: datetime) -> TrackedOrder:
        """Return this order as a fresh status (or a per-order error) leaves it."""
        if isinstance(status, ItemError):
            return replace(self, error=status.message)
        return replace(
            self,
            state=status.state,
            raw_status=status.raw_status,
            charge=status.charge,
            start_count=status.start_count,
            remains=status.remains,
            currency=status.currency or self.currency,
            error=None,
            finished_at=now if status.state.is_final else None,
        )

    def as_storage(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        data = asdict(self)
        data["state"] = self.state.value
        data["charge"] = None if self.charge is None else str(self.charge)
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return data

    @classmethod
    def from_storage(cls, data: Mapping[str, Any]) -> TrackedOrder:
        """Rebuild from `as_storage` output."""
        fields = dict(data)
        fields["state"] = OrderState(fields.get("state", OrderState.UNKNOWN))
        if fields.get("charge") is not None:
            fields["charge"] = Decimal(fields["charge"])
        if fields.get("finished_at"):
            fields["finished_at"] = dt_util.parse_datetime(fields["finished_at"])
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in fields.items() if key in known})


@dataclass(frozen=True, slots=True)
class TrackedRefill:
    """What the integration knows about one refill."""

    refill_id: int
    order_id: int | None = None
    state: RefillState = RefillState.PENDING
    raw_status: str | None = None
    error: str | None = None

    def updated(self, status: RefillStatus | ItemError) -> TrackedRefill:
        """Return this refill as a fresh status (or an error) leaves it."""
        if isinstance(status, ItemError):
            return replace(self, error=status.message)
        return replace(
            self, state=status.state, raw_status=status.raw_status, error=None
        )

    def as_storage(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        data = asdict(self)
        data["state"] = self.state.value
        return data

    @classmethod
    def from_storage(cls, data: Mapping[str, Any]) -> TrackedRefill:
        """Rebuild from `as_storage` output."""
        fields = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        fields["state"] = RefillState(fields.get("state", RefillState.UNKNOWN))
        return cls(**fields)


@dataclass(frozen=True, slots=True)
class OrderChange:
    """A tracked order whose normalised status changed."""

    order: TrackedOrder
    previous: OrderState


@dataclass(frozen=True, slots=True)
class RefillChange:
    """A tracked refill whose normalised status changed."""

    refill: TrackedRefill
    previous: RefillState


class OrderTracker:
    """The orders and refills one config entry follows, persisted on change."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the tracker; call `async_load` before use."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"
        )
        self._orders: dict[int, TrackedOrder] = {}
        self._refills: dict[int, TrackedRefill] = {}

    @property
    def orders(self) -> Mapping[int, TrackedOrder]:
        """Return the tracked orders by id."""
        return self._orders

    @property
    def refills(self) -> Mapping[int, TrackedRefill]:
        """Return the tracked refills by id."""
        return self._refills

    async def async_load(self) -> None:
        """Read the tracked orders and refills from storage."""
        data = await self._store.async_load() or {}
        self._orders = {
            order.order_id: order
            for order in map(TrackedOrder.from_storage, data.get("orders", []))
        }
        self._refills = {
            refill.refill_id: refill
            for refill in map(TrackedRefill.from_storage, data.get("refills", []))
        }

    async def async_save(self) -> None:
        """Write everything to storage now."""
        await self._store.async_save(
            {
                "orders": [order.as_storage() for order in self._orders.values()],
                "refills": [refill.as_storage() for refill in self._refills.values()],
            }
        )

    async def async_remove(self) -> None:
        """Delete the storage file (the config entry is being removed)."""
        await self._store.async_remove()

    def active_order_ids(self) -> list[int]:
        """Return the ids of tracked orders that are not final."""
        return [i for i, order in self._orders.items() if not order.state.is_final]

    def active_refill_ids(self) -> list[int]:
        """Return the ids of tracked refills that are not final."""
        return [i for i, refill in self._refills.items() if not refill.state.is_final]

    def track(self, orders: Iterable[TrackedOrder]) -> list[int]:
        """Start tracking orders; return the ids that were not tracked yet."""
        added = []
        for order in orders:
            if order.order_id not in self._orders:
                self._orders[order.order_id] = order
                added.append(order.order_id)
        return added

    def untrack(self, order_ids: Iterable[int]) -> list[int]:
        """Stop tracking orders and their refills; return the ids that were tracked."""
        removed = [i for i in order_ids if self._orders.pop(i, None) is not None]
        self._refills = {
            refill_id: refill
            for refill_id, refill in self._refills.items()
            if refill.order_id not in removed
        }
        return removed

    def track_refill(self, refill_id: int, order_id: int) -> bool:
        """Start tracking a refill; return False when it was already tracked."""
        if refill_id in self._refills:
            return False
        self._refills[refill_id] = TrackedRefill(refill_id, order_id)
        return True

    def apply_order_statuses(
        self, statuses: Mapping[int, OrderStatus | ItemError], now: datetime
    ) -> tuple[list[OrderChange], bool]:
        """Record fresh statuses.

        Returns the changes of normalised status, and whether anything at all
        (remains, charge, errors...) changed and should be saved.
        """
        changed, dirty = _apply_statuses(
            self._orders, statuses, lambda order, status: order.updated(status, now)
        )
        return [OrderChange(new, old.state) for old, new in changed], dirty

    def apply_refill_statuses(
        self, statuses: Mapping[int, RefillStatus | ItemError]
    ) -> tuple[list[RefillChange], bool]:
        """Record fresh refill statuses; like `apply_order_statuses`."""
        changed, dirty = _apply_statuses(self._refills, statuses, TrackedRefill.updated)
        return [RefillChange(new, old.state) for old, new in changed], dirty

    def purge_finished(self, cutoff: datetime) -> list[int]:
        """Forget orders that finished before `cutoff`, with their final refills."""
        expired = [
            order_id
            for order_id, order in self._orders.items()
            if order.finished_at is not None and order.finished_at <= cutoff
        ]
        for order_id in expired:
            del self._orders[order_id]
        # A finished refill is kept only while its order is shown.
        self._refills = {
            refill_id: refill
            for refill_id, refill in self._refills.items()
            if refill.order_id in self._orders or not refill.state.is_final
        }
        return expired


def _apply_statuses[Record: (TrackedOrder, TrackedRefill), Status](
    records: dict[int, Record],
    statuses: Mapping[int, Status],
    update: Callable[[Record, Status], Record],
) -> tuple[list[tuple[Record, Record]], bool]:
    """Replace the records that a status changed.

    Returns the (previous, updated) pairs whose normalised state changed, and
    whether any record changed at all.
    """
    changed: list[tuple[Record, Record]] = []
    dirty = False
    for record_id, status in statuses.items():
        current = records.get(record_id)
        # A final record is never asked for again: a reply about it is stale.
        if current is None or current.state.is_final:
            continue
        updated = update(current, status)
        if updated == current:
            continue
        dirty = True
        records[record_id] = updated
        if updated.state is not current.state:
            changed.append((current, updated))
    return changed, dirty
