"""Event entity: one event per change of a tracked order or refill."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import OrderState, RefillState
from .const import EVENT_TYPE_REFILL_COMPLETED, EVENT_TYPE_REFILL_REJECTED
from .coordinator import PanelData, SmmPanelConfigEntry, SmmPanelCoordinator
from .entity import SmmPanelEntity

PARALLEL_UPDATES = 0

REFILL_EVENT_TYPES = {
    RefillState.COMPLETED: EVENT_TYPE_REFILL_COMPLETED,
    RefillState.REJECTED: EVENT_TYPE_REFILL_REJECTED,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmmPanelConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the order-updates event entity."""
    async_add_entities([SmmPanelOrderUpdatesEvent(entry.runtime_data)])


class SmmPanelOrderUpdatesEvent(SmmPanelEntity, EventEntity):
    """Fires the new normalised status of an order, or a refill's outcome."""

    _attr_translation_key = "order_updates"
    _attr_event_types = [state.value for state in OrderState] + list(
        REFILL_EVENT_TYPES.values()
    )

    def __init__(self, coordinator: SmmPanelCoordinator) -> None:
        """Create the event entity."""
        super().__init__(coordinator, "order_updates")

    _handled: PanelData | None = None

    async def async_added_to_hass(self) -> None:
        """Fire what the refresh made while setting up found, before this existed.

        Data of any later refresh was fired by the entity that saw it.
        """
        await super().async_added_to_hass()
        if self.coordinator.data.first_refresh:
            self._handle_coordinator_update()
        else:
            self._handled = self.coordinator.data

    @callback
    def _handle_coordinator_update(self) -> None:
        """Trigger one event per change seen in the last refresh.

        Listeners are also called when a refresh fails, with the previous
        data still in place: its changes were already fired.
        """
        data = self.coordinator.data
        if data is self._handled:
            self.async_write_ha_state()  # availability may have changed
            return
        self._handled = data
        for change in data.order_changes:
            order = change.order
            self._trigger_event(
                order.state.value,
                {
                    "order_id": order.order_id,
                    "previous_status": change.previous.value,
                    "remains": order.remains,
                },
            )
            self.async_write_ha_state()
        for refill_change in data.refill_changes:
            event_type = REFILL_EVENT_TYPES.get(refill_change.refill.state)
            if event_type is None:
                continue
            self._trigger_event(
                event_type,
                {
                    "refill_id": refill_change.refill.refill_id,
                    "order_id": refill_change.refill.order_id,
                },
            )
            self.async_write_ha_state()
        # Availability may have changed even without events.
        self.async_write_ha_state()
