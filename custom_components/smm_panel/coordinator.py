"""Polling of one panel account: balance, tracked orders and refills."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
import time
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CoreState, HomeAssistant, callback
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api import (
    Balance,
    Catalogue,
    OrderStatus,
    SmmPanelClient,
    SmmPanelError,
    SmmPanelRateLimitError,
)
from .catalogue_watch import CatalogueWatcher
from .const import (
    CATALOGUE_IDLE_REFRESH_INTERVAL,
    CATALOGUE_REFRESH_INTERVAL,
    CONF_DUPLICATE_WINDOW,
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_RETENTION_HOURS,
    CONF_SPENDING_LIMIT,
    DEFAULT_DUPLICATE_WINDOW,
    DEFAULT_LOW_BALANCE_THRESHOLD,
    DEFAULT_RETENTION_HOURS,
    DEFAULT_SPENDING_LIMIT,
    DOMAIN,
    EVENT_CATALOGUE_CHANGED,
    EVENT_ORDER_UPDATED,
    EVENT_REFILL_UPDATED,
    LOGGER,
    SPENDING_WINDOW,
)
from .errors import coordinator_error
from .polling import (
    ATTENTION_INTERVAL,
    ATTENTION_WINDOW,
    BALANCE_MAX_AGE,
    BALANCE_MIN_GAP,
    IDLE_INTERVAL,
    MIN_INTERVAL,
    REFILL_INTERVAL,
    SCHEDULE_SLACK,
    RefreshPlan,
    orders_plan,
    stretched,
)
from .shapes import money_places, order_event, refill_event
from .tracking import (
    OrderChange,
    OrderTracker,
    RefillChange,
    TrackedOrder,
    TrackedRefill,
)

type SmmPanelConfigEntry = ConfigEntry[SmmPanelCoordinator]


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelData:
    """One immutable snapshot of everything the entities show.

    `order_changes` and `refill_changes` hold what changed in the refresh that
    made this snapshot (empty in snapshots made when tracking or options
    change), so the event entity fires each change once. While Home Assistant
    starts they stay empty: the changes found then come in a snapshot of their
    own once it has started, when automations listen.
    """

    balance: Balance
    orders: Mapping[int, TrackedOrder]
    refills: Mapping[int, TrackedRefill]
    low_balance_threshold: Decimal
    spent_last_24h: Decimal = Decimal(0)
    statistics_currency: str | None = None
    # The decimals the panel uses for money (at least 2): see shapes.money_places.
    money_places: int = 2
    order_changes: tuple[OrderChange, ...] = ()
    refill_changes: tuple[RefillChange, ...] = ()

    @property
    def active_orders(self) -> int:
        """Return how many tracked orders are still polled."""
        return sum(not order.is_finished for order in self.orders.values())


class SmmPanelCoordinator(DataUpdateCoordinator[PanelData]):
    """Fetches the balance and the status of every tracked, unfinished order."""

    config_entry: SmmPanelConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: SmmPanelConfigEntry,
        client: SmmPanelClient,
        tracker: OrderTracker,
    ) -> None:
        """Create the coordinator for one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=DOMAIN,
            # Chosen again after every refresh (see polling.py).
            update_interval=IDLE_INTERVAL,
        )
        self.client = client
        self.tracker = tracker
        self.catalogue = Catalogue()
        self._catalogue_fetched: datetime | None = None
        self._applied_options = dict(config_entry.options)
        self._refresh_lock = asyncio.Lock()
        # When the last balance shown was asked for (time.monotonic()).
        self.balance_read_at: float | None = None
        self._startup_order_changes: list[OrderChange] = []
        self._startup_refill_changes: list[RefillChange] = []
        self._startup_delivery: Callable[[], None] | None = None
        self.catalogue_watcher = CatalogueWatcher(hass, config_entry.entry_id)
        # Adaptive polling: the refreshes failed in a row, when an order was
        # last placed or tracked (time.monotonic()), whether the next refresh
        # should read the balance, and the plan chosen after the last refresh.
        self._failures = 0
        self._attention_since: float | None = None
        self._balance_wanted = False
        # When the refills were last asked for, and when the orders want a
        # look (time.monotonic()); each kind is asked for on its own plan.
        self._refills_read_at: float | None = None
        self._orders_due_at: float | None = None
        self._orders_reason = ""
        # This refresh was asked for (an action, the user): ask everything.
        self._asked = False
        # What the next scheduled refresh asks for ("orders", "refills").
        self._asks: frozenset[str] = frozenset({"orders", "refills"})
        # An order was placed or tracked: the next refresh shows the charge
        # whatever the time since the last balance read.
        self._balance_spent = False
        self.refresh_plan: RefreshPlan | None = None
        self.next_refresh: datetime | None = None

    @callback
    def async_apply_options(self) -> None:
        """Take new options into use: a new snapshot, without polling."""
        if self.config_entry.options != self._applied_options:
            self._applied_options = dict(self.config_entry.options)
            self._async_publish()

    @property
    def retention(self) -> timedelta:
        """Return how long finished orders stay visible."""
        return timedelta(
            hours=self.config_entry.options.get(
                CONF_RETENTION_HOURS, DEFAULT_RETENTION_HOURS
            )
        )

    @property
    def spending_limit(self) -> Decimal:
        """Return the most the orders of 24 hours may cost; 0 means no limit."""
        return Decimal(
            str(
                self.config_entry.options.get(
                    CONF_SPENDING_LIMIT, DEFAULT_SPENDING_LIMIT
                )
            )
        )

    @property
    def duplicate_window(self) -> timedelta:
        """Return how long the same order is refused again; 0 means never."""
        return timedelta(
            minutes=self.config_entry.options.get(
                CONF_DUPLICATE_WINDOW, DEFAULT_DUPLICATE_WINDOW
            )
        )

    def spent_last_24h(self) -> Decimal:
        """Return what orders placed through this account in 24 hours cost."""
        return self.tracker.spent_since(dt_util.utcnow() - SPENDING_WINDOW)

    def _snapshot(
        self,
        balance: Balance,
        order_changes: Sequence[OrderChange] = (),
        refill_changes: Sequence[RefillChange] = (),
    ) -> PanelData:
        """Freeze what the tracker and the options say now into a snapshot."""
        threshold = self.config_entry.options.get(
            CONF_LOW_BALANCE_THRESHOLD, DEFAULT_LOW_BALANCE_THRESHOLD
        )
        return PanelData(
            balance=balance,
            orders=MappingProxyType(dict(self.tracker.orders)),
            refills=MappingProxyType(dict(self.tracker.refills)),
            low_balance_threshold=Decimal(str(threshold)),
            spent_last_24h=self.spent_last_24h(),
            statistics_currency=self.tracker.statistics_currency,
            money_places=money_places(
                [balance.amount]
                + [order.charge for order in self.tracker.orders.values()]
            ),
            order_changes=tuple(order_changes),
            refill_changes=tuple(refill_changes),
        )

    @callback
    def _async_publish(
        self,
        order_changes: Sequence[OrderChange] = (),
        refill_changes: Sequence[RefillChange] = (),
    ) -> None:
        """Show a new snapshot without polling.

        Not `async_set_updated_data`: it would mark a panel that is down as
        available again and move the polling schedule.
        """
        if self.data is not None:
            self.data = self._snapshot(self.data.balance, order_changes, refill_changes)
            self.async_update_listeners()

    async def _async_setup(self) -> None:
        """Follow the tracked set (loaded by `async_get_tracker`) from now on."""
        self.tracker.set_listener(self._async_publish)

    @callback
    def async_shutdown_tracking(self) -> None:
        """Stop being the live coordinator of the tracked set (entry unloading)."""
        self.tracker.set_listener(None)
        if self._startup_delivery is not None:
            self._startup_delivery()
            self._startup_delivery = None

    async def async_refresh_catalogue(
        self,
        *,
        force: bool = False,
        max_wait: float | None = None,
        max_age: timedelta = CATALOGUE_REFRESH_INTERVAL,
    ) -> Catalogue:
        """Return the catalogue, fetched again when older than `max_age` (an hour).

        `max_wait` bounds the time spent waiting out the panel's rate limit.
        One fetch at a time: a caller that comes during a fetch gets its
        result. Parsing, indexing and comparing run in worker threads.
        """
        async with self.catalogue_watcher.lock:
            now = dt_util.utcnow()
            if (
                force
                or self._catalogue_fetched is None
                or now - self._catalogue_fetched >= max_age
            ):
                items = await self.client.async_get_catalogue(max_wait=max_wait)
                self.catalogue, changes = await self.catalogue_watcher.async_update(
                    items
                )
                self._catalogue_fetched = now
                if changes:
                    self._fire_when_started(
                        EVENT_CATALOGUE_CHANGED,
                        {"config_entry_id": self.config_entry.entry_id}
                        | changes.as_event_data(),
                    )
        return self.catalogue

    @callback
    def _fire_when_started(self, event_type: str, data: dict[str, Any]) -> None:
        """Fire an event now, or once Home Assistant has started (automations)."""
        if self.hass.state is CoreState.running:
            self.hass.bus.async_fire(event_type, data)
            return

        @callback
        def fire(hass: HomeAssistant) -> None:
            hass.bus.async_fire(event_type, data)

        self.config_entry.async_on_unload(async_at_started(self.hass, fire))

    async def async_refresh(self) -> None:
        """Refresh now, everything: an action asked for it.

        Scheduled refreshes do not come this way. The balance is still read
        at most once in BALANCE_MIN_GAP.
        """
        self._balance_wanted = self._asked = True
        await super().async_refresh()

    async def async_request_refresh(self) -> None:
        """Refresh soon, everything: the user asked (`homeassistant.update_entity`).

        Home Assistant's debouncer calls `async_refresh` in 2025.4 and its
        private refresh in later versions: both are marked here.
        """
        self._balance_wanted = self._asked = True
        await super().async_request_refresh()

    async def _async_update_data(self) -> PanelData:
        """Fetch everything one refresh needs, record the changes, plan the next.

        Refreshes run one at a time: an action's refresh may start while a
        poll is running, and the older reply must not be applied last.
        """
        async with self._refresh_lock:
            try:
                data = await self._async_fetch_and_apply()
            except SmmPanelError as err:
                self._failures += 1
                retry_after = (
                    err.retry_after if isinstance(err, SmmPanelRateLimitError) else None
                )
                self._plan_next_refresh(retry_after)
                raise coordinator_error(err) from err
            self._failures = 0
            self._plan_next_refresh()
            return data

    def _refills_due(self) -> bool:
        """Return True when this refresh should ask for the refills' statuses.

        Refills are asked for on their own plan, not at every refresh that
        orders asked for: at most once in REFILL_INTERVAL, at once when new.
        """
        if not self.tracker.active_refill_ids():
            return False
        return self._asked or self._refills_read_at is None or "refills" in self._asks

    def _orders_due(self) -> bool:
        """Return True when this refresh should ask for the orders' statuses."""
        if not self.tracker.active_order_ids():
            return False
        return self._asked or self._orders_due_at is None or "orders" in self._asks

    def _balance_due(self) -> bool:
        """Return True when this refresh should read the balance."""
        if self.data is None or self.balance_read_at is None or self._balance_spent:
            return True
        age = time.monotonic() - self.balance_read_at
        if age < BALANCE_MIN_GAP.total_seconds():
            return False
        return (
            self._balance_wanted
            or age >= (BALANCE_MAX_AGE - SCHEDULE_SLACK).total_seconds()
        )

    async def _async_fetch_and_apply(self) -> PanelData:
        statuses = {}
        if orders_asked := self._orders_due():
            statuses = await self.client.async_get_orders_status(
                self.tracker.active_order_ids()
            )
        refill_statuses = {}
        if self._refills_due():
            asked_at = time.monotonic()
            refill_statuses = await self.client.async_get_refills_status(
                self.tracker.active_refill_ids()
            )
            self._refills_read_at = asked_at
        # An order that ends without being fully delivered gives money back.
        if any(
            isinstance(status, OrderStatus)
            and status.state.is_final
            and (order := self.tracker.orders.get(order_id)) is not None
            and order.state is not status.state
            for order_id, status in statuses.items()
        ):
            self._balance_wanted = True
        if self._balance_due():
            asked_at = time.monotonic()
            balance = await self.client.async_get_balance()
            self.balance_read_at = asked_at
            self._balance_wanted = self._balance_spent = False
            self.tracker.forget_sent_before(asked_at)
        else:
            balance = self.data.balance
        await self._async_refresh_catalogue_quietly()

        now = dt_util.utcnow()
        order_changes, orders_dirty = self.tracker.apply_order_statuses(statuses, now)
        if orders_asked or self._orders_due_at is None:
            self._plan_orders(now)
        refill_changes, refills_dirty = self.tracker.apply_refill_statuses(
            refill_statuses
        )
        purged = self.tracker.purge_finished(now - self.retention)
        forgotten = self.tracker.forget_placed_before(
            now - max(SPENDING_WINDOW, self.duplicate_window)
        )
        first_currency = self.tracker.statistics_currency is None
        if first_currency:
            self.tracker.statistics_currency = balance.currency
        if orders_dirty or refills_dirty or purged or forgotten or first_currency:
            await self.tracker.async_save()
        if self.hass.state is not CoreState.running:
            self._hold_until_started(order_changes, refill_changes)
            return self._snapshot(balance)
        self._fire_events(order_changes, refill_changes)
        return self._snapshot(balance, order_changes, refill_changes)

    @property
    def _attention(self) -> bool:
        """Return True while an order was placed or tracked a moment ago."""
        return (
            self._attention_since is not None
            and time.monotonic() - self._attention_since
            < ATTENTION_WINDOW.total_seconds()
        )

    def _plan_orders(self, now: datetime) -> None:
        """Decide when the orders want their next look (after one was taken)."""
        plan = orders_plan(
            self.tracker.orders.values(),
            now,
            attention=self._attention,
            lagging=self.tracker.lagging_order_ids(),
        )
        if plan is None:
            self._orders_due_at = None
            return
        self._orders_due_at = time.monotonic() + plan.interval.total_seconds()
        self._orders_reason = plan.reason

    @callback
    def _plan_next_refresh(self, retry_after: float | None = None) -> None:
        """Choose the interval to the next scheduled refresh (see polling.py)."""
        self._asked = False
        self._apply_plan(self._plan(retry_after), dt_util.utcnow())

    def _plan(self, retry_after: float | None = None) -> RefreshPlan:
        """Return the next refresh: when the orders, the refills or idling want it."""
        mono = time.monotonic()
        wanted: dict[str, RefreshPlan] = {
            "": RefreshPlan(IDLE_INTERVAL, "nothing on its way")
        }
        if self._orders_due_at is not None and self.tracker.active_order_ids():
            wanted["orders"] = RefreshPlan(
                timedelta(seconds=self._orders_due_at - mono), self._orders_reason
            )
        if self.tracker.active_refill_ids():
            read_at = self._refills_read_at
            wait = REFILL_INTERVAL.total_seconds() - (
                0 if read_at is None else mono - read_at
            )
            wanted["refills"] = RefreshPlan(
                timedelta(seconds=wait), "a refill is on its way"
            )
        plan = min(wanted.values(), key=lambda plan: plan.interval)
        plan = RefreshPlan(max(plan.interval, MIN_INTERVAL), plan.reason)
        plan = stretched(plan, failures=self._failures, retry_after=retry_after)
        # Each kind due by then is asked for then; the others wait their turn.
        self._asks = frozenset(
            kind
            for kind, own in wanted.items()
            if kind and own.interval <= plan.interval + SCHEDULE_SLACK
        )
        return plan

    def next_refresh_diagnostics(self) -> dict[str, Any]:
        """Return the planned refresh for diagnostics: when, in how long, why."""
        plan = self.refresh_plan
        return {
            "at": None if self.next_refresh is None else self.next_refresh.isoformat(),
            "interval_seconds": (
                None if plan is None else round(plan.interval.total_seconds())
            ),
            "reason": None if plan is None else plan.reason,
        }

    @callback
    def _apply_plan(self, plan: RefreshPlan, now: datetime) -> None:
        self.refresh_plan = plan
        self.update_interval = plan.interval
        self.next_refresh = (
            None if self.config_entry.pref_disable_polling else now + plan.interval
        )
        LOGGER.debug(
            "Next refresh of %s in %s: %s",
            self.config_entry.title,
            plan.interval,
            plan.reason,
        )

    @callback
    def _async_pay_attention(self) -> None:
        """Look again soon, balance included: an order was placed or tracked.

        The refresh already scheduled may be far away (an idle account).
        """
        self._attention_since = time.monotonic()
        self._orders_due_at = self._attention_since + (
            ATTENTION_INTERVAL.total_seconds()
        )
        self._orders_reason = "an order was just placed or tracked"
        self._balance_spent = True
        if self.data is None or self._failures or not self._listeners:
            return  # the refresh running or planned decides
        now = dt_util.utcnow()
        plan = self._plan()
        if self.next_refresh is not None and now + plan.interval < self.next_refresh:
            self._apply_plan(plan, now)
            self._schedule_refresh()

    def _fire_events(
        self,
        order_changes: Sequence[OrderChange],
        refill_changes: Sequence[RefillChange],
    ) -> None:
        entry_id = {"config_entry_id": self.config_entry.entry_id}
        for change in order_changes:
            self.hass.bus.async_fire(
                EVENT_ORDER_UPDATED, entry_id | order_event(change)
            )
        for refill_change in refill_changes:
            self.hass.bus.async_fire(
                EVENT_REFILL_UPDATED, entry_id | refill_event(refill_change)
            )

    def _hold_until_started(
        self, order_changes: list[OrderChange], refill_changes: list[RefillChange]
    ) -> None:
        """Keep changes found while Home Assistant starts for when it has started.

        Automations are set up after integrations: an event fired now would
        reach no one.
        """
        self._startup_order_changes.extend(order_changes)
        self._startup_refill_changes.extend(refill_changes)
        if self._startup_delivery is None:
            self._startup_delivery = async_at_started(
                self.hass, self._async_deliver_startup_changes
            )

    @callback
    def _async_deliver_startup_changes(self, hass: HomeAssistant) -> None:
        """Fire the changes found while starting, on the bus and the entities."""
        self._startup_delivery = None
        order_changes = self._startup_order_changes
        refill_changes = self._startup_refill_changes
        self._startup_order_changes, self._startup_refill_changes = [], []
        if order_changes or refill_changes:
            self._fire_events(order_changes, refill_changes)
            self._async_publish(order_changes, refill_changes)

    async def _async_refresh_catalogue_quietly(self) -> None:
        """Refresh the catalogue without failing the whole refresh.

        Hourly while orders or refills are on their way; every 3 hours when
        nothing is (an action asks for it when older than an hour).
        """
        busy = self.tracker.active_order_ids() or self.tracker.active_refill_ids()
        try:
            await self.async_refresh_catalogue(
                max_age=CATALOGUE_REFRESH_INTERVAL
                if busy
                else CATALOGUE_IDLE_REFRESH_INTERVAL
            )
        except SmmPanelError as err:
            LOGGER.debug("Could not refresh the catalogue: %s", err)

    async def async_track(self, orders: list[TrackedOrder]) -> list[int]:
        """Track orders now (entities appear at once); return the new ids.

        The tracker outlives a reload and tells the live coordinator, so an
        action that started before a reload records its orders in the right
        place.
        """
        added = self.tracker.track(orders)
        if added:
            self._async_pay_attention()
            await self._async_tracking_changed()
        return added

    async def async_untrack(self, order_ids: list[int]) -> list[int]:
        """Stop tracking orders (their entities go away); return those removed."""
        removed = self.tracker.untrack(order_ids)
        if removed:
            await self._async_tracking_changed()
        return removed

    async def _async_tracking_changed(self) -> None:
        """Show the new tracked set at once, then save it."""
        self.tracker.notify()
        await self.tracker.async_save()

    async def async_track_refills(self, refills: dict[int, int]) -> None:
        """Track new refills, given as {refill_id: order_id}."""
        added = [
            refill_id
            for refill_id, order_id in refills.items()
            if self.tracker.track_refill(refill_id, order_id)
        ]
        if added:
            self._refills_read_at = None  # ask for the new ones at once
            self._async_pay_attention()
            await self._async_tracking_changed()
