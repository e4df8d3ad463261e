"""Sensors: balance, active orders, and one sensor per tracked order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import OrderState
from .const import DOMAIN
from .coordinator import SmmPanelConfigEntry, SmmPanelCoordinator
from .entity import SmmPanelEntity
from .tracking import TrackedOrder

# The coordinator does the polling; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmmPanelSensorEntityDescription(SensorEntityDescription):
    """Describes an account-wide sensor."""

    value_fn: Callable[[SmmPanelCoordinator], Decimal | int]
    unit_fn: Callable[[SmmPanelCoordinator], str | None] = lambda _: None


SENSORS: tuple[SmmPanelSensorEntityDescription, ...] = (
    SmmPanelSensorEntityDescription(
        key="balance",
        translation_key="balance",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        value_fn=lambda coordinator: coordinator.data.balance.amount,
        unit_fn=lambda coordinator: coordinator.data.balance.currency,
    ),
    SmmPanelSensorEntityDescription(
        key="active_orders",
        translation_key="active_orders",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda coordinator: len(coordinator.tracker.active_order_ids()),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmmPanelConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account sensors, then follow the set of tracked orders."""
    coordinator = entry.runtime_data
    async_add_entities(
        SmmPanelSensor(coordinator, description) for description in SENSORS
    )
    known: set[int] = set()

    @callback
    def sync_order_entities() -> None:
        """Add entities for new tracked orders and remove those of dropped ones."""
        tracked = set(coordinator.tracker.orders)
        if new := tracked - known:
            known.update(new)
            async_add_entities(
                SmmPanelOrderSensor(coordinator, order_id) for order_id in sorted(new)
            )
        if gone := known - tracked:
            known.difference_update(gone)
            registry = er.async_get(hass)
            for order_id in gone:
                unique_id = order_unique_id(entry.entry_id, order_id)
                if entity_id := registry.async_get_entity_id(
                    Platform.SENSOR, DOMAIN, unique_id
                ):
                    registry.async_remove(entity_id)

    _remove_untracked_order_entities(hass, entry, set(coordinator.tracker.orders))
    sync_order_entities()
    entry.async_on_unload(coordinator.async_add_listener(sync_order_entities))


@callback
def _remove_untracked_order_entities(
    hass: HomeAssistant, entry: SmmPanelConfigEntry, tracked: set[int]
) -> None:
    """Remove the entities of orders no longer tracked, left from an earlier run.

    Orders purged by the first refresh after a start, or lost with a storage
    file, would otherwise stay `unavailable` forever.
    """
    registry = er.async_get(hass)
    prefix = order_unique_id(entry.entry_id, 0)[:-1]
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.domain != Platform.SENSOR or not entity.unique_id.startswith(prefix):
            continue
        order_id = entity.unique_id.removeprefix(prefix)
        if not (order_id.isdecimal() and int(order_id) in tracked):
            registry.async_remove(entity.entity_id)


def order_unique_id(entry_id: str, order_id: int) -> str:
    """Return the unique id of a tracked order's sensor."""
    return f"{entry_id}_order_{order_id}"


class SmmPanelSensor(SmmPanelEntity, SensorEntity):
    """An account-wide sensor."""

    entity_description: SmmPanelSensorEntityDescription

    def __init__(
        self,
        coordinator: SmmPanelCoordinator,
        description: SmmPanelSensorEntityDescription,
    ) -> None:
        """Create the sensor from its description."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> Decimal | int:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit (the panel's currency for the balance)."""
        return self.entity_description.unit_fn(self.coordinator)


class SmmPanelOrderSensor(SmmPanelEntity, SensorEntity):
    """The normalised status of one tracked order.

    The state is only written when the order changed (or availability did), so
    a refresh where nothing moved writes nothing.
    """

    _attr_translation_key = "order"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = [state.value for state in OrderState]

    def __init__(self, coordinator: SmmPanelCoordinator, order_id: int) -> None:
        """Create the sensor of one order."""
        super().__init__(coordinator, f"order_{order_id}")
        self._attr_unique_id = order_unique_id(
            coordinator.config_entry.entry_id, order_id
        )
        self._attr_translation_placeholders = {"order_id": str(order_id)}
        self._order_id = order_id
        self._order: TrackedOrder = coordinator.tracker.orders[order_id]
        self._written_available: bool | None = None

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when the order or availability changed."""
        order = self.coordinator.tracker.orders.get(self._order_id)
        if order is None:
            return  # untracked: the platform removes this entity
        if order == self._order and self.available == self._written_available:
            return
        self._order = order
        self._written_available = self.available
        self.async_write_ha_state()

    async def async_added_to_hass(self) -> None:
        """Remember the availability of the first state written."""
        await super().async_added_to_hass()
        self._written_available = self.available

    @property
    def native_value(self) -> str:
        """Return the normalised status."""
        return self._order.state.value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the order's details."""
        order = self._order
        return {
            "order_id": order.order_id,
            "service_id": order.service_id,
            "service_name": order.service_name,
            "link": order.link,
            "quantity": order.quantity,
            "remains": order.remains,
            "start_count": order.start_count,
            "charge": None if order.charge is None else float(order.charge),
            "currency": order.currency,
            "progress": order.progress,
            "raw_status": order.raw_status,
            "error": order.error,
        }
