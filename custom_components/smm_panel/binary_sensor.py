"""Binary sensor: the balance is below the threshold set in the options."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmmPanelConfigEntry, SmmPanelCoordinator
from .entity import SmmPanelEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmmPanelConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the low-balance sensor."""
    async_add_entities([SmmPanelLowBalanceSensor(entry.runtime_data)])


class SmmPanelLowBalanceSensor(SmmPanelEntity, BinarySensorEntity):
    """On when the balance is below the low-balance threshold."""

    _attr_translation_key = "low_balance"
    _attr_device_class = BinarySensorDeviceClass.PROBLEM

    def __init__(self, coordinator: SmmPanelCoordinator) -> None:
        """Create the sensor."""
        super().__init__(coordinator, "low_balance")

    @property
    def is_on(self) -> bool:
        """Return True when the balance is below the threshold."""
        return (
            self.coordinator.data.balance.amount
            < self.coordinator.low_balance_threshold
        )

    @property
    def extra_state_attributes(self) -> dict[str, float]:
        """Return the threshold in use."""
        return {"threshold": self.coordinator.low_balance_threshold}
