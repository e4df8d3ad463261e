"""Fixtures for the Home Assistant integration tests."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smm_panel.config_flow import account_unique_id
from custom_components.smm_panel.const import CONF_API_URL, DOMAIN

from ...conftest import API_KEY


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture(autouse=True)
def fast_client() -> Generator[None]:
    """Keep retries and timeouts short so fault tests run quickly."""
    with (
        patch("custom_components.smm_panel.const.CLIENT_TIMEOUT", 1.0),
        patch("custom_components.smm_panel.const.CLIENT_BACKOFF", 0),
    ):
        yield


@pytest.fixture
def mock_config_entry(panel_url: str) -> MockConfigEntry:
    """Return a config entry for the simulated panel's account."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        unique_id=account_unique_id(panel_url, API_KEY),
        data={CONF_API_URL: panel_url, CONF_API_KEY: API_KEY},
        entry_id="01JSMMPANELTESTENTRY000000",
    )


async def setup_integration(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry to Home Assistant and set it up."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
