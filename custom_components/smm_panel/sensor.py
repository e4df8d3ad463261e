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
from .coordinator import PanelData, SmmPanelConfigEntry, SmmPanelCoordinator
from .entity import SmmPanelEntity
from .shapes import order_attributes
from .tracking import TrackedOrder

# The coordinator does the polling; entities only read its data.
PARALLEL_UPDATES = 0

# The key of an order's sensor is this and the order id: `order_23501`.
ORDER_KEY_PREFIX = "order_"


@dataclass(frozen=True, kw_only=True)
class SmmPanelSensorEntityDescription(SensorEntityDescription):
    """Describes an account-wide sensor as a function of the account's snapshot."""

    value_fn: Callable[[PanelData], Decimal | int]
    unit_fn: Callable[[PanelData], str | None] = lambda _: None
    # When set, the state class depends on the snapshot (see the balance).
    state_class_fn: Callable[[PanelData], SensorStateClass | None] | None = None
    # Money: shown with the panel's decimals (at least 2), like order charges.
    money: bool = False


def _balance_state_class(data: PanelData) -> SensorStateClass | None:
    """Return `total` while the currency is the one of the balance's statistics.

    Long-term statistics hold one unit. When the panel changes the account's
    currency, the balance has no state class (instead of Home Assistant
    warning at every compile that the unit cannot be converted); statistics
    go on if the currency comes back.
    """
    if data.balance.currency == data.statistics_currency:
        return SensorStateClass.TOTAL
    return None


SENSORS: tuple[SmmPanelSensorEntityDescription, ...] = (
    SmmPanelSensorEntityDescription(
        key="balance",
        translation_key="balance",
        device_class=SensorDeviceClass.MONETARY,
        # The state class Home Assistant allows for money: long-term statistics.
        state_class=SensorStateClass.TOTAL,
        state_class_fn=_balance_state_class,
        suggested_display_precision=2,
        money=True,
        value_fn=lambda data: data.balance.amount,
        unit_fn=lambda data: data.balance.currency,
    ),
    SmmPanelSensorEntityDescription(
        key="active_orders",
        translation_key="active_orders",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.active_orders,
    ),
    SmmPanelSensorEntityDescription(
        key="spent_last_24h",
        translation_key="spent_last_24h",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        money=True,
        value_fn=lambda data: data.spent_last_24h,
        unit_fn=lambda data: data.balance.currency,
    ),
)


@dataclass(frozen=True, kw_only=True)
class SmmPanelOrderSensorEntityDescription(SensorEntityDescription):
    """Describes the sensor of one tracked order."""

    order_id: int


def order_description(order_id: int) -> SmmPanelOrderSensorEntityDescription:
    """Return the description of a tracked order's sensor (key `order_<id>`)."""
    return SmmPanelOrderSensorEntityDescription(
        key=f"{ORDER_KEY_PREFIX}{order_id}",
        translation_key="order",
        translation_placeholders={"order_id": str(order_id)},
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in OrderState],
        order_id=order_id,
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
        tracked = set(coordinator.data.orders)
        if new := tracked - known:
            known.update(new)
            async_add_entities(
                SmmPanelOrderSensor(coordinator, order_description(order_id))
                for order_id in sorted(new)
            )
        if gone := known - tracked:
            known.difference_update(gone)
            _remove_order_entities(hass, entry, gone)

    # Orders purged by the first refresh after a start, or lost with a storage
    # file, would otherwise leave entities `unavailable` forever.
    registered = _registered_order_ids(hass, entry)
    _remove_order_entities(hass, entry, registered - set(coordinator.data.orders))
    sync_order_entities()
    entry.async_on_unload(coordinator.async_add_listener(sync_order_entities))


def _order_unique_id_prefix(entry: SmmPanelConfigEntry) -> str:
    return f"{entry.entry_id}_{ORDER_KEY_PREFIX}"


def _registered_order_ids(hass: HomeAssistant, entry: SmmPanelConfigEntry) -> set[int]:
    """Return the ids of the orders that have an entity in the registry."""
    prefix = _order_unique_id_prefix(entry)
    registry = er.async_get(hass)
    return {
        int(suffix)
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
        if entity.domain == Platform.SENSOR
        and entity.unique_id.startswith(prefix)
        and (suffix := entity.unique_id.removeprefix(prefix)).isascii()
        and suffix.isdigit()
    }


@callback
def _remove_order_entities(
    hass: HomeAssistant, entry: SmmPanelConfigEntry, order_ids: set[int]
) -> None:
    """Remove the entities of orders no longer tracked from the registry."""
    registry = er.async_get(hass)
    prefix = _order_unique_id_prefix(entry)
    for order_id in order_ids:
        if entity_id := registry.async_get_entity_id(
            Platform.SENSOR, entry.domain, f"{prefix}{order_id}"
        ):
            registry.async_remove(entity_id)


class SmmPanelSensor(SmmPanelEntity, SensorEntity):
    """An account-wide sensor."""

    entity_description: SmmPanelSensorEntityDescription

    @property
    def native_value(self) -> Decimal | int:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit (the panel's currency for the balance)."""
        return self.entity_description.unit_fn(self.coordinator.data)

    def __init__(
        self,
        coordinator: SmmPanelCoordinator,
        description: SmmPanelSensorEntityDescription,
    ) -> None:
        """Create the sensor, with the state class of the current snapshot."""
        super().__init__(coordinator, description)
        self._update_state_class()

    def _update_state_class(self) -> None:
        # Set as an attribute, not a property override: Home Assistant's
        # releases type the property differently (with and without `str`).
        if (state_class_fn := self.entity_description.state_class_fn) is not None:
            self._attr_state_class = state_class_fn(self.coordinator.data)
        if self.entity_description.money:
            self._attr_suggested_display_precision = self.coordinator.data.money_places

    @callback
    def _handle_coordinator_update(self) -> None:
        """Follow the snapshot's state class, then write the state."""
        self._update_state_class()
        super()._handle_coordinator_update()


class SmmPanelOrderSensor(SmmPanelEntity, SensorEntity):
    """The normalised status of one tracked order, read from the snapshot.

    A refresh where the order did not move (and availability did not change)
    writes nothing: with a thousand orders, most do not move in a refresh.
    """

    entity_description: SmmPanelOrderSensorEntityDescription

    def __init__(
        self,
        coordinator: SmmPanelCoordinator,
        description: SmmPanelOrderSensorEntityDescription,
    ) -> None:
        """Create the sensor of one order, showing the order as it is now."""
        super().__init__(coordinator, description)
        self._shown = self._rendered()

    @property
    def _order(self) -> TrackedOrder | None:
        return self.coordinator.data.orders.get(self.entity_description.order_id)

    def _rendered(self) -> tuple[TrackedOrder | None, bool]:
        """Return what this entity's state is made of: the order, and availability."""
        return self._order, self.available

    @property
    def available(self) -> bool:
        """Return False while the panel is down, unless the order is finished.

        A finished order is not polled and its state is final: an outage does
        not make it unknown, and its history stays free of repeats.
        """
        order = self._order
        return order is not None and (order.is_finished or super().available)

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state when the order or availability changed."""
        rendered = self._rendered()
        if rendered[0] is None or rendered == self._shown:
            return  # untracked (the platform removes it), or nothing moved
        self._shown = rendered
        self.async_write_ha_state()

    @property
    def native_value(self) -> str | None:
        """Return the normalised status."""
        order = self._order
        return None if order is None else order.state.value

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the order's details."""
        order = self._order
        return None if order is None else order_attributes(order)
