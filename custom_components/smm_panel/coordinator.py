"""Polling of one panel account: balance, tracked orders and refills."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CoreState, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from . import const
from .api import (
    Balance,
    Service,
    SmmPanelAuthenticationError,
    SmmPanelClient,
    SmmPanelError,
)
from .const import (
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_RETENTION_HOURS,
    DEFAULT_LOW_BALANCE_THRESHOLD,
    DEFAULT_RETENTION_HOURS,
    DOMAIN,
    EVENT_ORDER_UPDATED,
    EVENT_REFILL_UPDATED,
    LOGGER,
    SERVICES_REFRESH_INTERVAL,
    UPDATE_INTERVAL,
)
from .tracking import OrderChange, OrderTracker, RefillChange, TrackedOrder

type SmmPanelConfigEntry = ConfigEntry[SmmPanelCoordinator]


def create_client(hass: HomeAssistant, api_url: str, api_key: str) -> SmmPanelClient:
    """Return a client for a panel account, on Home Assistant's shared session."""
    return SmmPanelClient(
        async_get_clientsession(hass),
        api_key,
        api_url,
        timeout=const.CLIENT_TIMEOUT,
        backoff=const.CLIENT_BACKOFF,
    )


@dataclass(frozen=True, slots=True)
class PanelData:
    """The result of one refresh.

    `order_changes` and `refill_changes` hold what changed in this refresh
    only, so listeners (the event entity) see each change once. While Home
    Assistant starts they stay empty: the changes found then are delivered
    once it has started, when automations listen. `first_refresh` marks the
    refresh made while setting up, before the entities existed.
    """

    balance: Balance
    order_changes: tuple[OrderChange, ...] = field(default=())
    refill_changes: tuple[RefillChange, ...] = field(default=())
    first_refresh: bool = False


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
            update_interval=UPDATE_INTERVAL,
        )
        self.client = client
        self.tracker = tracker
        self.services: dict[int, Service] = {}
        self._services_fetched: datetime | None = None
        self._applied_options = dict(config_entry.options)
        self._refresh_lock = asyncio.Lock()
        # When the last balance shown was asked for (time.monotonic()).
        self.balance_read_at: float | None = None
        self._startup_order_changes: list[OrderChange] = []
        self._startup_refill_changes: list[RefillChange] = []
        self._startup_delivery: Callable[[], None] | None = None

    @callback
    def async_apply_options(self) -> bool:
        """Take new options into use; return False when they did not change."""
        if self.config_entry.options == self._applied_options:
            return False
        self._applied_options = dict(self.config_entry.options)
        return True

    @property
    def low_balance_threshold(self) -> float:
        """Return the balance under which the low-balance sensor turns on."""
        return float(
            self.config_entry.options.get(
                CONF_LOW_BALANCE_THRESHOLD, DEFAULT_LOW_BALANCE_THRESHOLD
            )
        )

    @property
    def retention(self) -> timedelta:
        """Return how long finished orders stay visible."""
        return timedelta(
            hours=self.config_entry.options.get(
                CONF_RETENTION_HOURS, DEFAULT_RETENTION_HOURS
            )
        )

    async def _async_setup(self) -> None:
        """Load the tracked orders before the first refresh; follow their changes."""
        await self.tracker.async_load()
        self.tracker.set_listener(self._notify_tracking_changed)

    @callback
    def async_shutdown_tracking(self) -> None:
        """Stop being the live coordinator of the tracked set (entry unloading)."""
        self.tracker.set_listener(None)
        if self._startup_delivery is not None:
            self._startup_delivery()
            self._startup_delivery = None

    async def async_refresh_services(
        self, *, force: bool = False, max_wait: float | None = None
    ) -> dict[int, Service]:
        """Return the catalogue, fetched again when older than an hour.

        `max_wait` bounds the time spent waiting out the panel's rate limit.
        """
        now = dt_util.utcnow()
        if (
            force
            or self._services_fetched is None
            or now - self._services_fetched >= SERVICES_REFRESH_INTERVAL
        ):
            services = await self.client.async_get_services(max_wait=max_wait)
            self.services = {service.service_id: service for service in services}
            self._services_fetched = now
        return self.services

    async def _async_update_data(self) -> PanelData:
        """Fetch everything one refresh needs and record the changes.

        Refreshes run one at a time: an action's refresh may start while a
        poll is running, and the older reply must not be applied last.
        """
        async with self._refresh_lock:
            return await self._async_fetch_and_apply()

    async def _async_fetch_and_apply(self) -> PanelData:
        first_refresh = self.data is None
        asked_at = time.monotonic()
        try:
            balance = await self.client.async_get_balance()
            statuses = await self.client.async_get_orders_status(
                self.tracker.active_order_ids()
            )
            refill_statuses = await self.client.async_get_refills_status(
                self.tracker.active_refill_ids()
            )
        except SmmPanelAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except SmmPanelError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self.balance_read_at = asked_at
        await self._async_refresh_services_quietly()

        now = dt_util.utcnow()
        order_changes, orders_dirty = self.tracker.apply_order_statuses(statuses, now)
        refill_changes, refills_dirty = self.tracker.apply_refill_statuses(
            refill_statuses
        )
        purged = self.tracker.purge_finished(now - self.retention)
        if orders_dirty or refills_dirty or purged:
            await self.tracker.async_save()
        if self.hass.state is not CoreState.running:
            self._hold_until_started(order_changes, refill_changes)
            return PanelData(balance, first_refresh=first_refresh)
        self._fire_events(order_changes, refill_changes)
        return PanelData(
            balance, tuple(order_changes), tuple(refill_changes), first_refresh
        )

    def _fire_events(
        self, order_changes: list[OrderChange], refill_changes: list[RefillChange]
    ) -> None:
        for change in order_changes:
            self._fire_order_event(change)
        for refill_change in refill_changes:
            self._fire_refill_event(refill_change)

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
        if not (order_changes or refill_changes) or self.data is None:
            return
        self._fire_events(order_changes, refill_changes)
        self.data = replace(
            self.data,
            order_changes=tuple(order_changes),
            refill_changes=tuple(refill_changes),
        )
        self.async_update_listeners()

    async def _async_refresh_services_quietly(self) -> None:
        """Refresh the hourly catalogue without failing the whole refresh."""
        try:
            await self.async_refresh_services()
        except SmmPanelError as err:
            LOGGER.debug("Could not refresh the services catalogue: %s", err)

    def _fire_order_event(self, change: OrderChange) -> None:
        order = change.order
        self.hass.bus.async_fire(
            EVENT_ORDER_UPDATED,
            {
                "config_entry_id": self.config_entry.entry_id,
                "order_id": order.order_id,
                "previous_status": change.previous.value,
                "status": order.state.value,
                "remains": order.remains,
                "charge": None if order.charge is None else float(order.charge),
                "currency": order.currency,
            },
        )

    def _fire_refill_event(self, change: RefillChange) -> None:
        refill = change.refill
        self.hass.bus.async_fire(
            EVENT_REFILL_UPDATED,
            {
                "config_entry_id": self.config_entry.entry_id,
                "refill_id": refill.refill_id,
                "order_id": refill.order_id,
                "previous_status": change.previous.value,
                "status": refill.state.value,
            },
        )

    async def async_track(self, orders: list[TrackedOrder]) -> list[int]:
        """Track orders now (entities appear at once); return the new ids.

        The tracker outlives a reload and tells the live coordinator, so an
        action that started before a reload records its orders in the right
        place.
        """
        added = self.tracker.track(orders)
        if added:
            self.tracker.notify()
            await self.tracker.async_save()
        return added

    async def async_untrack(self, order_ids: list[int]) -> list[int]:
        """Stop tracking orders (their entities go away); return those removed."""
        removed = self.tracker.untrack(order_ids)
        if removed:
            self.tracker.notify()
            await self.tracker.async_save()
        return removed

    async def async_track_refills(self, refills: dict[int, int]) -> None:
        """Track new refills, given as {refill_id: order_id}."""
        added = [
            refill_id
            for refill_id, order_id in refills.items()
            if self.tracker.track_refill(refill_id, order_id)
        ]
        if added:
            await self.tracker.async_save()

    @callback
    def _notify_tracking_changed(self) -> None:
        """Let the entities see the new set of tracked orders, without polling.

        Not `async_set_updated_data`: it would mark a panel that is down as
        available again and move the polling schedule.
        """
        if self.data is not None:
            self.data = replace(
                self.data, order_changes=(), refill_changes=(), first_refresh=False
            )
            self.async_update_listeners()
