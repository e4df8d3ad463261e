"""Base entity of the SMM Panel integration."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .account import panel_host, panel_site_url
from .const import DOMAIN
from .coordinator import SmmPanelCoordinator


class SmmPanelEntity(CoordinatorEntity[SmmPanelCoordinator]):
    """An entity of one panel account, built from its description.

    Its unique id is the entry's id and the description's key; all entities of
    an account share one service device.
    """

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: SmmPanelCoordinator, description: EntityDescription
    ) -> None:
        """Set the description, the unique id and the device of the account."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        api_url = coordinator.client.api_url
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            # The entry's title: the account's name, or the panel's host (with
            # the end of the key when the host has several accounts).
            name=entry.title or panel_host(api_url),
            manufacturer="SMM panel (API v2)",
            entry_type=DeviceEntryType.SERVICE,
            configuration_url=panel_site_url(api_url),
        )
