"""Tracked orders and refills, kept with Home Assistant's storage helper.

The tracked set of a config entry has one owner, `OrderTracker`, created once
per entry id and kept in `hass.data` across reloads: an action that placed an
order on a coordinator which was unloaded meanwhile still records it where the
live coordinator (and the next save) sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
import time
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.ulid import ulid_now

from .api import (
    MAX_ID,
    ItemError,
    OrderState,
    OrderStatus,
    RefillState,
    RefillStatus,
)
from .const import DOMAIN, LOGGER, STORAGE_VERSION
from .pace import Pace, shown_estimate

_TRACKERS: HassKey[dict[str, OrderTracker]] = HassKey(f"{DOMAIN}_trackers")

# After this many "no such order" replies in a row, an order is given up on.
NOT_FOUND_LIMIT = 3
_NOT_FOUND_MARKERS = ("incorrect order id", "invalid order id", "not found")

# Money read back from storage is bounded like money read from the panel.
_MAX_MONEY = Decimal(10) ** 12
# States whose `remains` mean something for progress: a pending order's
# remains are whatever the panel puts there (PHP panels say 0).
_RUNNING_STATES: Final = frozenset({OrderState.IN_PROGRESS, OrderState.PROCESSING})
# Final states in which not everything was delivered: their remains may say 0
# although the panel stopped counting.
_UNDELIVERED_STATES: Final = frozenset(
    {
        OrderState.PARTIAL,
        OrderState.CANCELED,
        OrderState.REFUNDED,
        OrderState.FAILED,
    }
)
# Texts from the panel kept per order (status, error, currency): a panel that
# sends a novel is not stored, shown and saved on every change.
MAX_TEXT = 200


def _short(text: str | None) -> str | None:
    return text if text is None or len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def is_not_found(error: ItemError) -> bool:
    """Return True when the panel said it has no such order (not a failed batch)."""
    if getattr(error, "cause", None) is not None:
        return False
    folded = error.message.casefold()
    return any(marker in folded for marker in _NOT_FOUND_MARKERS)


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
    not_found: int = 0
    # When the order should be delivered (running orders only); not stored:
    # the pace is read again after a restart.
    estimated_completion: datetime | None = None

    @property
    def is_running(self) -> bool:
        """Return True while the panel is delivering the order."""
        return self.state in _RUNNING_STATES

    @property
    def is_finished(self) -> bool:
        """Return True when the order will not be polled any more.

        Final states, and orders the panel kept saying it does not know.
        """
        return self.state.is_final or self.finished_at is not None

    @property
    def progress(self) -> float | None:
        """Return how much of the order is delivered, 0-100; None when unknown.

        A pending order has delivered nothing, whatever `remains` says. A
        canceled, refunded or failed order never shows 100 %: its remains may
        say 0 only because the panel stopped counting.
        """
        if self.state is OrderState.COMPLETED:
            return 100.0
        if self.state is OrderState.PENDING:
            return 0.0
        if not self.quantity or self.remains is None:
            return None
        done = (self.quantity - self.remains) / self.quantity * 100
        done = round(min(max(done, 0.0), 100.0), 1)
        if done >= 100.0 and self.state in _UNDELIVERED_STATES:
            return None  # not all was delivered, whatever remains says
        return done

    def updated(self, status: OrderStatus | ItemError, now: datetime) -> TrackedOrder:
        """Return this order as a fresh status (or a per-order error) leaves it."""
        if isinstance(status, ItemError):
            error = _short(status.message)
            if not is_not_found(status):
                return replace(self, error=error, not_found=0)
            not_found = self.not_found + 1
            if not_found < NOT_FOUND_LIMIT:
                return replace(self, error=error, not_found=not_found)
            # The panel does not know this order (deleted there, or an id
            # typed by hand): stop polling it, keep the panel's words.
            return replace(
                self,
                state=OrderState.UNKNOWN,
                error=error,
                not_found=not_found,
                finished_at=now,
            )
        return replace(
            self,
            state=status.state,
            raw_status=_short(status.raw_status),
            charge=status.charge,
            start_count=status.start_count,
            remains=status.remains,
            currency=_short(status.currency) or self.currency,
            error=None,
            not_found=0,
            finished_at=now if status.state.is_final else None,
        )

    def as_storage(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        data = asdict(self)
        del data["estimated_completion"]
        data["state"] = self.state.value
        data["charge"] = None if self.charge is None else str(self.charge)
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return data

    @classmethod
    def from_storage(cls, data: Any) -> TrackedOrder:
        """Rebuild from `as_storage` output; ValueError or TypeError if unusable."""
        if not isinstance(data, Mapping):
            raise TypeError("not an object")
        charge = data.get("charge")
        finished_at = data.get("finished_at")
        return cls(
            order_id=_stored_id(data.get("order_id")),
            service_id=_stored_int(data.get("service_id"), minimum=1),
            service_name=_stored_text(data.get("service_name")),
            link=_stored_text(data.get("link")),
            quantity=_stored_int(data.get("quantity")),
            state=OrderState(data.get("state", OrderState.UNKNOWN)),
            raw_status=_stored_text(data.get("raw_status")),
            charge=None if charge is None else _stored_money(charge),
            start_count=_stored_int(data.get("start_count")),
            remains=_stored_int(data.get("remains")),
            currency=_stored_text(data.get("currency")),
            error=_stored_text(data.get("error")),
            finished_at=None if not finished_at else _stored_time(finished_at),
            not_found=_stored_int(data.get("not_found")) or 0,
        )


@dataclass(frozen=True, slots=True)
class TrackedRefill:
    """What the integration knows about one refill."""

    refill_id: int
    order_id: int | None = None
    state: RefillState = RefillState.PENDING
    raw_status: str | None = None
    error: str | None = None

    @property
    def is_finished(self) -> bool:
        """Return True when the refill will not change any more."""
        return self.state.is_final

    def updated(self, status: RefillStatus | ItemError) -> TrackedRefill:
        """Return this refill as a fresh status (or an error) leaves it."""
        if isinstance(status, ItemError):
            return replace(self, error=_short(status.message))
        return replace(
            self, state=status.state, raw_status=_short(status.raw_status), error=None
        )

    def as_storage(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        data = asdict(self)
        data["state"] = self.state.value
        return data

    @classmethod
    def from_storage(cls, data: Any) -> TrackedRefill:
        """Rebuild from `as_storage` output; ValueError or TypeError if unusable."""
        if not isinstance(data, Mapping):
            raise TypeError("not an object")
        return cls(
            refill_id=_stored_id(data.get("refill_id")),
            order_id=_stored_int(data.get("order_id"), minimum=1),
            state=RefillState(data.get("state", RefillState.UNKNOWN)),
            raw_status=_stored_text(data.get("raw_status")),
            error=_stored_text(data.get("error")),
        )


def _stored_id(value: Any) -> int:
    """Read back an id: a JSON integer from 1 to MAX_ID."""
    if type(value) is not int or not 1 <= value <= MAX_ID:
        raise ValueError(f"not an id from 1 to {MAX_ID}")
    return value


def _stored_int(value: Any, *, minimum: int = 0) -> int | None:
    """Read back an optional id or count, in the range the panel may use."""
    if value is None:
        return None
    if type(value) is not int or not minimum <= value <= MAX_ID:
        raise ValueError(f"not an integer from {minimum} to {MAX_ID}")
    return value


def _stored_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError("not a text")


def _stored_money(value: Any) -> Decimal:
    if not isinstance(value, str) or len(value) > 32:
        raise ValueError("not an amount")
    amount = Decimal(value)  # raises InvalidOperation, a ValueError
    if not amount.is_finite() or abs(amount) >= _MAX_MONEY:
        raise ValueError("not an amount")
    return amount


def _stored_time(value: Any) -> datetime:
    """Read back a time; one written without a zone (by hand) is taken as UTC.

    A naive time would make every comparison with "now" raise, and the entry
    retry its setup forever.
    """
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("not a time")
    moment = dt_util.parse_datetime(value)
    if moment is None and (day := dt_util.parse_date(value)) is not None:
        moment = datetime(day.year, day.month, day.day)
    if moment is None:
        raise ValueError("not a time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=dt_util.UTC)
    return moment


def _monotonic() -> float:
    """Return the monotonic clock (a function, so tests can hold it still)."""
    return time.monotonic()


class PlacedStatus(StrEnum):
    """Where an order placed through the integration stands."""

    SENDING = "sending"  # reserved: the request is on its way, no reply yet
    PLACED = "placed"  # the panel answered with the order's id
    UNKNOWN = "unknown"  # no usable reply: it may exist and may be charged


# Orders counted as costing nothing: the panel gave the money back.
_REFUNDED_STATES: Final = frozenset({OrderState.CANCELED, OrderState.REFUNDED})


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """An order sent through the integration: when, what, and what it costs.

    It is written to the ledger (reserved) before the request leaves, so the
    spending limit, the duplicate guard and the balance check of the next call
    see it whatever happens to the caller. `order_id` is None until the panel
    answered, and stays None when no usable reply came (it may have been
    charged, so it counts). `fingerprint` tells a repeat of the same order.
    """

    placed_at: datetime
    estimate: Decimal
    fingerprint: str
    order_id: int | None = None
    charge: Decimal | None = None
    status: PlacedStatus = PlacedStatus.PLACED
    order_state: OrderState | None = None
    service_id: int | None = None
    service_name: str | None = None
    reservation: str = ""
    # time.monotonic() when it was sent (after a restart: its best guess), so
    # a jump of the wall clock never makes a recent order look old. Not stored.
    sent_at: float = field(default=0.0, compare=False)

    @property
    def cost(self) -> Decimal:
        """Return what this order costs, as far as is known.

        Until the order is final, never less than the estimate: some panels
        report a charge of 0 until an order starts. A canceled or refunded
        order costs nothing (the panel gave the money back, even when it keeps
        showing the first charge); a partial one costs its reported charge.
        """
        if self.order_state in _REFUNDED_STATES:
            return Decimal(0)
        if self.charge is None:
            return self.estimate
        if self.order_state is not None and self.order_state.is_final:
            return self.charge
        return max(self.estimate, self.charge)

    def age_within(self, window: timedelta, now: datetime, mono_now: float) -> bool:
        """Return True while either clock says the order is younger than `window`.

        A forward jump of the wall clock (NTP, a wrong clock for one poll) moves
        only one of them.
        """
        return now - self.placed_at <= window or mono_now - self.sent_at <= (
            window.total_seconds()
        )

    def as_storage(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {
            "placed_at": self.placed_at.isoformat(),
            "estimate": str(self.estimate),
            "fingerprint": self.fingerprint,
            "order_id": self.order_id,
            "charge": None if self.charge is None else str(self.charge),
            "status": self.status.value,
            "order_state": None if self.order_state is None else self.order_state.value,
            "service_id": self.service_id,
            "service_name": self.service_name,
        }

    @classmethod
    def from_storage(cls, data: Any) -> PlacedOrder:
        """Rebuild from `as_storage` output; ValueError or TypeError if unusable.

        Records written before the status existed are placed (with an id) or
        unknown (without one).
        """
        if not isinstance(data, Mapping):
            raise TypeError("not an object")
        charge = data.get("charge")
        order_id = _stored_int(data.get("order_id"), minimum=1)
        default_status = PlacedStatus.PLACED if order_id else PlacedStatus.UNKNOWN
        order_state = data.get("order_state")
        placed_at = _stored_time(data.get("placed_at"))
        return cls(
            placed_at=placed_at,
            estimate=_stored_money(data.get("estimate")),
            fingerprint=str(_stored_text(data.get("fingerprint")) or ""),
            order_id=order_id,
            charge=None if charge is None else _stored_money(charge),
            status=PlacedStatus(data.get("status", default_status)),
            order_state=None if order_state is None else OrderState(order_state),
            service_id=_stored_int(data.get("service_id"), minimum=1),
            service_name=_short(_stored_text(data.get("service_name"))),
            reservation=ulid_now(),
            # As old as the wall clock says, never older than the window.
            sent_at=_monotonic()
            - min(max((dt_util.utcnow() - placed_at).total_seconds(), 0), 86400 * 2),
        )


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
    """The orders and refills one config entry follows, persisted on change.

    Also the account's ledger for placing orders: one order at a time, and the
    estimates of orders placed since the balance was last read.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the tracker; call `async_load` before use."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"
        )
        self._orders: dict[int, TrackedOrder] = {}
        self._refills: dict[int, TrackedRefill] = {}
        self._loaded = False
        self._removed = False
        self._listener: Callable[[], None] | None = None
        # Orders whose estimate counts against the polled balance: sent after
        # the balance was read ({reservation: (time.monotonic(), estimate)}).
        self._placed: dict[str, tuple[float, Decimal]] = {}
        self._placed_orders: list[PlacedOrder] = []
        # The delivery pace of running orders (memory only: read again after
        # a restart).
        self._paces: dict[int, Pace] = {}
        # Orders that were on their way when Home Assistant last stopped.
        self.interrupted: list[PlacedOrder] = []
        # The currency of the balance's long-term statistics: the first seen.
        self.statistics_currency: str | None = None

    @property
    def orders(self) -> Mapping[int, TrackedOrder]:
        """Return the tracked orders by id."""
        return self._orders

    @property
    def refills(self) -> Mapping[int, TrackedRefill]:
        """Return the tracked refills by id."""
        return self._refills

    @callback
    def set_listener(self, listener: Callable[[], None] | None) -> None:
        """Tell the live coordinator when the tracked set changes."""
        self._listener = listener

    async def async_load(self) -> None:
        """Read the tracked orders and refills from storage, once.

        A record that cannot be read is skipped (with one warning) instead of
        keeping the whole account from loading.
        """
        if self._loaded:
            return
        data = await self._store.async_load()
        if not isinstance(data, Mapping):
            data = {}
        orders, bad_orders = _load_records(data.get("orders"), TrackedOrder)
        # Skipping an unreadable spending record can only under-count: say so.
        placed, bad_placed = _load_records(data.get("placed"), PlacedOrder)
        if bad_placed:
            LOGGER.warning(
                "Skipped %d record(s) of orders placed that could not be read"
                " from %s: the spending of the last 24 hours may be too low",
                bad_placed,
                self._store.path,
            )
        # Sent, and Home Assistant stopped before the reply was recorded.
        self.interrupted = [p for p in placed if p.status is PlacedStatus.SENDING]
        self._placed_orders = [
            replace(p, status=PlacedStatus.UNKNOWN)
            if p.status is PlacedStatus.SENDING
            else p
            for p in placed
        ]
        currency = data.get("statistics_currency")
        self.statistics_currency = currency if isinstance(currency, str) else None
        refills, bad_refills = _load_records(data.get("refills"), TrackedRefill)
        if bad_orders or bad_refills:
            LOGGER.warning(
                "Skipped %d tracked order(s) and %d refill(s) that could not be"
                " read from %s",
                bad_orders,
                bad_refills,
                self._store.path,
            )
        self._orders = {order.order_id: order for order in orders}
        self._refills = {refill.refill_id: refill for refill in refills}
        self._loaded = True

    def _data_to_save(self) -> dict[str, Any]:
        return {
            "orders": [order.as_storage() for order in self._orders.values()],
            "refills": [refill.as_storage() for refill in self._refills.values()],
            "placed": [placed.as_storage() for placed in self._placed_orders],
            "statistics_currency": self.statistics_currency,
        }

    async def async_save(self) -> None:
        """Write everything to storage now."""
        if not self._removed:
            await self._store.async_save(self._data_to_save())

    @callback
    def schedule_save(self) -> None:
        """Save soon, and at the latest when Home Assistant writes its last data.

        For bookkeeping that may be cancelled before it could await a save.
        The data is built now, on the event loop: the store calls its data
        function in a worker thread, while the loop may change these records.
        """
        if not self._removed:
            data = self._data_to_save()
            self._store.async_delay_save(lambda: data, 0)

    async def async_remove(self) -> None:
        """Delete the storage file (the config entry is being removed)."""
        self._removed = True
        await self._store.async_remove()

    @callback
    def notify(self) -> None:
        """Let the live coordinator show the new tracked set."""
        if self._listener is not None:
            self._listener()

    # --- the ledger of orders placed -----------------------------------------

    @callback
    def reserve(self, placed: PlacedOrder) -> PlacedOrder:
        """Write an order to the ledger before its request leaves.

        From now on it counts for the spending limit, the duplicate guard and
        against the polled balance, until `settle` or `release`.
        """
        placed = replace(
            placed,
            status=PlacedStatus.SENDING,
            reservation=placed.reservation or ulid_now(),
            sent_at=_monotonic(),
        )
        self._placed_orders.append(placed)
        self._placed[placed.reservation] = (placed.sent_at, placed.estimate)
        return placed

    @callback
    def settle(
        self, reservation: PlacedOrder, order_id: int | None
    ) -> PlacedOrder | None:
        """Record the panel's answer: the order's id, or None for "state unknown"."""
        status = PlacedStatus.UNKNOWN if order_id is None else PlacedStatus.PLACED
        for index, placed in enumerate(self._placed_orders):
            if placed.reservation == reservation.reservation:
                settled = replace(placed, status=status, order_id=order_id)
                self._placed_orders[index] = settled
                return settled
        return None

    @callback
    def release(self, reservation: PlacedOrder) -> None:
        """Take back a reservation: the panel surely placed nothing."""
        self._placed_orders = [
            p for p in self._placed_orders if p.reservation != reservation.reservation
        ]
        self._placed.pop(reservation.reservation, None)

    def _in_window(self, moment: datetime) -> list[PlacedOrder]:
        now = dt_util.utcnow()
        window = now - moment
        mono_now = _monotonic()
        return [p for p in self._placed_orders if p.age_within(window, now, mono_now)]

    def spent_since(self, moment: datetime) -> Decimal:
        """Return what the orders placed after `moment` cost.

        An order counts while the wall clock or the monotonic clock says it is
        recent: a jump of one of them cannot erase the spending record.
        """
        return sum((p.cost for p in self._in_window(moment)), Decimal(0))

    def find_repeat(self, fingerprint: str, moment: datetime) -> PlacedOrder | None:
        """Return the latest order like this one placed after `moment`, if any."""
        return next(
            (
                placed
                for placed in reversed(self._in_window(moment))
                if placed.fingerprint == fingerprint
            ),
            None,
        )

    def forget_placed_before(self, moment: datetime) -> bool:
        """Drop the records both clocks say are older than `moment`; True if any went.

        A reservation still on its way is never dropped.
        """
        recent = {p.reservation for p in self._in_window(moment)}
        kept = [
            p
            for p in self._placed_orders
            if p.reservation in recent or p.status is PlacedStatus.SENDING
        ]
        dropped = len(kept) != len(self._placed_orders)
        self._placed_orders = kept
        return dropped

    def placed_since(self, moment: float | None) -> Decimal:
        """Return the estimates of orders sent after `moment` (monotonic time)."""
        return sum(
            (
                estimate
                for sent_at, estimate in self._placed.values()
                if moment is None or sent_at > moment
            ),
            Decimal(0),
        )

    @callback
    def forget_sent_before(self, moment: float) -> None:
        """Drop the estimates of orders sent before `moment`: a polled balance has them.

        Called for the balance the coordinator keeps, never for one an action
        reads for itself: until the next poll, the kept balance is the older one.
        """
        self._placed = {
            key: item for key, item in self._placed.items() if item[0] > moment
        }

    def active_order_ids(self) -> list[int]:
        """Return the ids of tracked orders that are still polled."""
        return [i for i, order in self._orders.items() if not order.is_finished]

    def active_refill_ids(self) -> list[int]:
        """Return the ids of tracked refills that are not final."""
        return [i for i, refill in self._refills.items() if not refill.state.is_final]

    def track(self, orders: Iterable[TrackedOrder]) -> list[int]:
        """Start tracking orders; return the ids that were not tracked yet."""
        added = []
        now = dt_util.utcnow()
        for order in orders:
            if order.order_id not in self._orders:
                self._orders[order.order_id] = order
                added.append(order.order_id)
                if order.is_running and order.remains is not None:
                    # The status read to track it is the pace's first sample.
                    self._paces[order.order_id] = Pace.begin(now, order.remains)
        return added

    def untrack(self, order_ids: Iterable[int]) -> list[int]:
        """Stop tracking orders and their refills; return the ids that were tracked."""
        removed = [i for i in order_ids if self._orders.pop(i, None) is not None]
        for order_id in removed:
            self._paces.pop(order_id, None)
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
            self._orders,
            statuses,
            lambda order, status: self._updated(order, status, now),
        )
        # The panel's charge and the order's state decide what it cost.
        for index, placed in enumerate(self._placed_orders):
            status = statuses.get(placed.order_id) if placed.order_id else None
            if not isinstance(status, OrderStatus):
                continue
            charge = placed.charge if status.charge is None else status.charge
            if (charge, status.state) != (placed.charge, placed.order_state):
                self._placed_orders[index] = replace(
                    placed, charge=charge, order_state=status.state
                )
                dirty = True
        return [OrderChange(new, old.state) for old, new in changed], dirty

    def _updated(
        self, order: TrackedOrder, status: OrderStatus | ItemError, now: datetime
    ) -> TrackedOrder:
        """Return an order as a fresh status leaves it, with its completion estimate.

        A per-order error says nothing of the pace: the estimate stays.
        """
        order = order.updated(status, now)
        if isinstance(status, ItemError):
            return order
        order_id = order.order_id
        if not order.is_running or order.remains is None:
            self._paces.pop(order_id, None)
            return replace(order, estimated_completion=None)
        pace = self._paces.get(order_id)
        pace = (
            Pace.begin(now, order.remains)
            if pace is None
            else pace.observe(now, order.remains)
        )
        self._paces[order_id] = pace
        return replace(
            order,
            estimated_completion=shown_estimate(
                order.estimated_completion, pace.estimate(now), now
            ),
        )

    def lagging_order_ids(self) -> set[int]:
        """Return the running orders whose last look saw less than their pace."""
        return {i for i, pace in self._paces.items() if pace.lagging()}

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
        # A finished record is never asked for again: a reply about it is stale.
        if current is None or current.is_finished:
            continue
        updated = update(current, status)
        if updated == current:
            continue
        dirty = True
        records[record_id] = updated
        if updated.state is not current.state:
            changed.append((current, updated))
    return changed, dirty


def _load_records[Record: (TrackedOrder, TrackedRefill, PlacedOrder)](
    value: Any, record_type: type[Record]
) -> tuple[list[Record], int]:
    """Read stored records; return those readable and how many were skipped."""
    if value is None:
        return [], 0
    if not isinstance(value, list):
        return [], 1
    records: list[Record] = []
    for item in value:
        try:
            records.append(record_type.from_storage(item))
        except (ValueError, TypeError, ArithmeticError):
            continue
    return records, len(value) - len(records)


async def async_get_tracker(hass: HomeAssistant, entry_id: str) -> OrderTracker:
    """Return the loaded tracker of a config entry, the same one across reloads."""
    trackers = hass.data.setdefault(_TRACKERS, {})
    if (tracker := trackers.get(entry_id)) is None:
        tracker = trackers[entry_id] = OrderTracker(hass, entry_id)
    await tracker.async_load()
    return tracker


async def async_remove_tracker(hass: HomeAssistant, entry_id: str) -> None:
    """Forget a removed entry's tracked orders, in memory and in storage."""
    tracker = hass.data.setdefault(_TRACKERS, {}).pop(entry_id, None)
    await (tracker or OrderTracker(hass, entry_id)).async_remove()
