"""Binary sensor: the balance is below the threshold set in the options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import PanelData, SmmPanelConfigEntry
from .entity import SmmPanelEntity

# The coordinator does the polling; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmmPanelBinarySensorEntityDescription(BinarySensorEntityDescription):
    """Describes a binary sensor as a function of the account's snapshot."""

    is_on_fn: Callable[[PanelData], bool]
    attributes_fn: Callable[[PanelData], dict[str, Any]] = lambda _: {}


BINARY_SENSORS: tuple[SmmPanelBinarySensorEntityDescription, ...] = (
    SmmPanelBinarySensorEntityDescription(
        key="low_balance",
        translation_key="low_balance",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: data.balance.amount < data.low_balance_threshold,
        attributes_fn=lambda data: {"threshold": float(data.low_balance_threshold)},
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmmPanelConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the low-balance sensor."""
    async_add_entities(
        SmmPanelBinarySensor(entry.runtime_data, description)
        for description in BINARY_SENSORS
    )


class SmmPanelBinarySensor(SmmPanelEntity, BinarySensorEntity):
    """An account-wide binary sensor."""

    entity_description: SmmPanelBinarySensorEntityDescription

    @property
    def is_on(self) -> bool:
        """Return the sensor's state."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the sensor's attributes."""
        return self.entity_description.attributes_fn(self.coordinator.data)
