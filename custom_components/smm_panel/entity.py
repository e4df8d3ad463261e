"""Base entity of the SMM Panel integration."""

from __future__ import annotations

from urllib.parse import urlsplit

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import SmmPanelCoordinator


def panel_host(api_url: str) -> str:
    """Return the host name of a panel's API URL, used as its display name."""
    return urlsplit(api_url).hostname or api_url


class SmmPanelEntity(CoordinatorEntity[SmmPanelCoordinator]):
    """An entity of one panel account; all share one service device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SmmPanelCoordinator, key: str) -> None:
        """Set the unique id and the device of the account."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        api_url = coordinator.client.api_url
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=panel_host(api_url),
            manufacturer="SMM panel (API v2)",
            entry_type=DeviceEntryType.SERVICE,
            configuration_url=f"{urlsplit(api_url).scheme}://{panel_host(api_url)}",
        )
