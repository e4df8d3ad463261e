"""The SMM Panel integration: an SMM reseller panel account in Home Assistant."""

from __future__ import annotations

from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .account import create_client
from .catalogue_watch import CatalogueWatcher
from .config_flow import retitle_key_ending
from .const import CONF_API_URL, DOMAIN
from .coordinator import SmmPanelConfigEntry, SmmPanelCoordinator
from .frontend import async_register_card
from .ordering import report_interrupted_orders
from .services import async_setup_services
from .tracking import async_get_tracker, async_remove_tracker
from .websocket_api import async_setup_websocket_api

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, the card and its commands once, for every entry."""
    async_setup_services(hass)
    async_setup_websocket_api(hass)
    await async_register_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmmPanelConfigEntry) -> bool:
    """Set up one panel account."""
    client = create_client(hass, entry.data[CONF_API_URL], entry.data[CONF_API_KEY])
    coordinator = SmmPanelCoordinator(
        hass, entry, client, await async_get_tracker(hass, entry.entry_id)
    )
    entry.async_on_unload(coordinator.async_shutdown_tracking)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    # Orders on their way when Home Assistant last stopped: their fate is unknown.
    report_interrupted_orders(hass, coordinator.tracker, entry.title)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_options_updated(
    hass: HomeAssistant, entry: SmmPanelConfigEntry
) -> None:
    """Apply new options without a reload.

    Also called when reauth or reconfigure change the key; those reload the
    entry themselves, and polling here with the old key would only fail.
    """
    entry.runtime_data.async_apply_options()


async def async_migrate_entry(hass: HomeAssistant, entry: SmmPanelConfigEntry) -> bool:
    """Migrate an entry saved by an older version of the integration."""
    if entry.version > 1:
        return False  # saved by a newer version: no downgrade
    if entry.minor_version < 2:
        # 1.2: the polling interval is no longer an option; keep nothing of it.
        options = {k: v for k, v in entry.options.items() if k != "scan_interval"}
        hass.config_entries.async_update_entry(entry, options=options, minor_version=2)
    if entry.minor_version < 3:
        # 1.3: a title with the end of the key ("host (…3210)") is numbered.
        retitle_key_ending(hass, entry)
        hass.config_entries.async_update_entry(entry, minor_version=3)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SmmPanelConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SmmPanelConfigEntry) -> None:
    """Delete the tracked orders of a removed entry."""
    await async_remove_tracker(hass, entry.entry_id)
    await CatalogueWatcher(hass, entry.entry_id).async_remove()
