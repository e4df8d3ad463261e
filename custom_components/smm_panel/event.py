"""Event entity: one event per change of a tracked order or refill."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import OrderState, RefillState
from .const import EVENT_TYPE_REFILL_COMPLETED, EVENT_TYPE_REFILL_REJECTED
from .coordinator import SmmPanelConfigEntry
from .entity import SmmPanelEntity
from .shapes import order_event, refill_event

PARALLEL_UPDATES = 0

REFILL_EVENT_TYPES = {
    RefillState.COMPLETED: EVENT_TYPE_REFILL_COMPLETED,
    RefillState.REJECTED: EVENT_TYPE_REFILL_REJECTED,
}

ORDER_UPDATES = EventEntityDescription(
    key="order_updates",
    translation_key="order_updates",
    event_types=[state.value for state in OrderState]
    + list(REFILL_EVENT_TYPES.values()),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmmPanelConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the order-updates event entity."""
    async_add_entities([SmmPanelOrderUpdatesEvent(entry.runtime_data, ORDER_UPDATES)])


class SmmPanelOrderUpdatesEvent(SmmPanelEntity, EventEntity):
    """Fires the new normalised status of an order, or a refill's outcome.

    Each snapshot carries the changes of the refresh that made it. Listeners
    are also called when a refresh fails, with the previous snapshot still in
    place: its changes were fired already, so they are fired only while the
    last refresh succeeded.
    """

    @property
    def available(self) -> bool:
        """Return True: the last event stays true while the panel is down.

        An `unavailable` state would also be what Home Assistant restores
        after a reload, losing the last event's time.
        """
        return True

    async def async_added_to_hass(self) -> None:
        """Fire what the refresh made while setting up found, before this existed."""
        await super().async_added_to_hass()
        self._fire_changes()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Trigger one event per change in the new snapshot."""
        self._fire_changes()

    @callback
    def _fire_changes(self) -> None:
        if not self.coordinator.last_update_success:
            return
        data = self.coordinator.data
        for change in data.order_changes:
            self._trigger_event(change.order.state.value, order_event(change))
            self.async_write_ha_state()
        for refill_change in data.refill_changes:
            event_type = REFILL_EVENT_TYPES.get(refill_change.refill.state)
            if event_type is not None:
                self._trigger_event(event_type, refill_event(refill_change))
                self.async_write_ha_state()
