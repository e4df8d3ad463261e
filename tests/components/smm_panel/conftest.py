"""Fixtures for the Home Assistant integration tests."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any
from unittest.mock import MagicMock, patch

from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smm_panel.config_flow import account_unique_id
from custom_components.smm_panel.const import CONF_API_URL, DOMAIN
from simulator import PanelSimulator

from ...conftest import API_KEY, PATIENT, SHORT

# A little more than the longest interval the integration chooses (30 minutes,
# nothing on its way): any scheduled refresh is due by then.
POLL = timedelta(minutes=30, seconds=1)

# Entity ids of the account on 127.0.0.1 (the simulated panel).
ORDER_SENSOR = "sensor.127_0_0_1_order_{}"
EVENTS = "event.127_0_0_1_order_updates"
# The key of a second account on the simulated panel.
SECOND_KEY = "sk-second-account-fedcba9876543210"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture(autouse=True)
def fast_client() -> Generator[None]:
    """No backoff between retries; a patient timeout (see tests/conftest.py)."""
    with (
        patch("custom_components.smm_panel.const.CLIENT_TIMEOUT", PATIENT),
        patch("custom_components.smm_panel.const.CLIENT_BACKOFF", 0),
    ):
        yield


@pytest.fixture
def balance_every_refresh() -> Generator[None]:
    """Every refresh asks for everything: balance, orders and refills.

    For tests that fire refreshes without moving time (a fault on one of the
    requests); the integration itself reads the balance at most once in 150 s
    and the refills every 150 s, on plans of their own.
    """
    coordinator = "custom_components.smm_panel.coordinator"
    with (
        patch(f"{coordinator}.BALANCE_MIN_GAP", timedelta(0)),
        patch(f"{coordinator}.BALANCE_MAX_AGE", timedelta(0)),
        # Whatever is due within a day counts as due now.
        patch(f"{coordinator}.SCHEDULE_SLACK", timedelta(days=1)),
    ):
        yield


@pytest.fixture
def short_client_timeout(fast_client: None) -> Generator[None]:
    """A SHORT client timeout, for tests of a panel that never answers.

    Request it before the entry is set up: the client is built at setup.
    """
    with patch("custom_components.smm_panel.const.CLIENT_TIMEOUT", SHORT):
        yield


@pytest.fixture
def real_resolver(
    disable_mock_zeroconf_resolver: None, mock_async_zeroconf: MagicMock
) -> None:
    """Home Assistant's own name resolver, as a real installation has it.

    The test plugin replaces it by one resolver shared by every test and bound
    to the session's event loop: since 2026.x (aiodns 3.5, pycares 5) it cannot
    resolve a host name from a test's loop. Request this in tests that name a
    host (e.g. localhost) instead of 127.0.0.1.
    """


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


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the account, then forget the requests made while loading."""
    await setup_integration(hass, mock_config_entry)
    panel.reset_log()
    return mock_config_entry


def storage_key(entry: MockConfigEntry) -> str:
    """Return the storage key of an entry's tracked orders and refills."""
    return f"{DOMAIN}.{entry.entry_id}"


def seed_storage(
    hass_storage: dict[str, Any], entry: MockConfigEntry, data: Any
) -> None:
    """Store an entry's tracked orders as a previous run of Home Assistant left them."""
    hass_storage[storage_key(entry)] = {
        "version": 1,
        "minor_version": 1,
        "key": storage_key(entry),
        "data": data,
    }


async def poll(hass: HomeAssistant) -> None:
    """Let one polling interval pass.

    Time moves for Home Assistant's timers only, not for the event loop, so
    request timeouts in fault tests still expire in real time. Coordinator
    refreshes run as background tasks doing real HTTP: wait for them.
    """
    async_fire_time_changed(hass, dt_util.utcnow() + POLL)
    await hass.async_block_till_done(wait_background_tasks=True)


async def call_action(hass: HomeAssistant, action: str, **data: Any) -> ServiceResponse:
    """Run one of the integration's actions and return its response."""
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True
    )
