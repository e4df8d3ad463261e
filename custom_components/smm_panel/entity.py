"""Base entity of the SMM Panel integration."""

from __future__ import annotations

from urllib.parse import urlsplit

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import SmmPanelCoordinator


def panel_host(api_url: str) -> str:
    """Return the host name of a panel's API URL, used as its display name.

    Only the host: a user name, password or query in the URL may be secret.
    """
    try:
        host = urlsplit(api_url).hostname
    except ValueError:  # the config flow refuses such URLs
        host = None
    return host or "SMM panel"


def panel_site_url(api_url: str) -> str | None:
    """Return the panel's website: the scheme, host and port of its API URL.

    An IPv6 host goes in brackets. No user name, password, path or query: they
    may hold secrets. None when the URL cannot be a link.
    """
    try:
        parts = urlsplit(api_url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return (
        f"{parts.scheme}://{host}"
        if port is None
        else f"{parts.scheme}://{host}:{port}"
    )


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
            configuration_url=panel_site_url(api_url),
        )
