"""Setting up and unloading a panel account."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smm_panel.const import DOMAIN
from simulator import PanelSimulator

from .conftest import setup_integration


async def test_setup_and_unload(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """The entry loads, shows the balance, and unloads cleanly."""
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    state = hass.states.get("sensor.127_0_0_1_balance")
    assert state is not None
    assert float(state.state) == 100.0
    assert state.attributes["unit_of_measurement"] == "USD"

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED


async def test_removing_the_entry_deletes_its_tracked_orders(
    hass: HomeAssistant,
    hass_storage: dict[str, object],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Deleting the account also deletes the stored tracked orders."""
    await setup_integration(hass, mock_config_entry)
    order = panel.create_order(1, 1000)
    await hass.services.async_call(
        DOMAIN,
        "track_orders",
        {"orders": [order.order_id]},
        blocking=True,
        return_response=True,
    )
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    assert key in hass_storage

    assert await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
