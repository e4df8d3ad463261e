"""Setting up and unloading a panel account."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
import re
import socket
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
import pytest_socket
import yaml

from custom_components.smm_panel.account import panel_host, panel_site_url
from custom_components.smm_panel.config_flow import account_unique_id
from custom_components.smm_panel.const import (
    CONF_API_URL,
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_RETENTION_HOURS,
    DOMAIN,
)
from simulator import PanelSimulator, SimulatorServer

from ...conftest import API_KEY
from .conftest import setup_integration, storage_key


def _ipv6_loopback_works() -> bool:
    """Return True when this machine can listen on ::1."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
async def ipv6_panel_url(
    panel: PanelSimulator, socket_enabled: None
) -> AsyncGenerator[str]:
    """Serve the simulated panel on the IPv6 loopback; yield its API URL."""
    if not _ipv6_loopback_works():
        pytest.skip("this machine has no IPv6 loopback")
    # Home Assistant's test plugin lets sockets reach 127.0.0.1 only.
    pytest_socket.socket_allow_hosts(["127.0.0.1", "::1"])
    server = SimulatorServer(panel, host="::1", port=0)
    await server.start()
    yield f"http://[::1]:{server.port}/api/v2"
    await server.stop()


def _entry(api_url: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=panel_host(api_url),  # as the config flow names it
        unique_id=account_unique_id(api_url, API_KEY),
        data={CONF_API_URL: api_url, CONF_API_KEY: API_KEY},
    )


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
    key = storage_key(mock_config_entry)
    assert key in hass_storage

    assert await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_setup_with_ipv6_api_url(
    hass: HomeAssistant, ipv6_panel_url: str, device_registry: dr.DeviceRegistry
) -> None:
    """An IPv6 API URL gives the entities, and a device linking to the panel.

    The device's link used to lose the brackets and the port, which Home
    Assistant refused: the entry loaded with no entity at all.
    """
    entry = _entry(ipv6_panel_url)
    await setup_integration(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    state = hass.states.get("sensor.1_balance")
    assert state is not None
    assert float(state.state) == 100.0
    port = ipv6_panel_url.split("]:")[1].split("/")[0]
    # async_get_device is deprecated since 2026.x (an error in tests); this
    # lookup exists in every supported version.
    (device,) = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert device is not None
    assert device.name == "::1"
    assert device.configuration_url == f"http://[::1]:{port}"


async def test_device_link_has_no_secret_of_the_url(
    hass: HomeAssistant,
    panel_url: str,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The device links to the panel's site, without user, password or query."""
    secret_url = panel_url.replace("http://", "http://reseller:pa55word@") + (
        "?key=s3cr3t"
    )
    entry = _entry(secret_url)
    await setup_integration(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    # async_get_device is deprecated since 2026.x (an error in tests); this
    # lookup exists in every supported version.
    (device,) = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert device is not None
    assert device.name == "127.0.0.1"
    assert device.configuration_url == panel_url.removesuffix("/api/v2")
    assert er.async_entries_for_config_entry(entity_registry, entry.entry_id)


@pytest.mark.parametrize(
    ("api_url", "site_url"),
    [
        ("http://[::1]:8080/api/v2", "http://[::1]:8080"),
        ("https://[2001:db8::7]/api/v2", "https://[2001:db8::7]"),
        ("https://user:pw@smmqueen.com:8443/api/v2?key=1", "https://smmqueen.com:8443"),
        ("https://smmqueen.com/api/v2", "https://smmqueen.com"),
        ("http://[::1", None),
        ("ftp://smmqueen.com/api/v2", None),
        ("https:///api/v2", None),
    ],
)
async def test_device_link_is_accepted_by_home_assistant(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    api_url: str,
    site_url: str | None,
) -> None:
    """Home Assistant's device registry accepts the link built for each URL.

    Runs on machines without IPv6 too, where the test above is skipped.
    """
    entry = _entry("http://127.0.0.1/api/v2")
    entry.add_to_hass(hass)
    assert panel_site_url(api_url) == site_url
    device = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        configuration_url=panel_site_url(api_url),
    )
    assert device.configuration_url == site_url


async def test_migration_drops_the_polling_interval(
    hass: HomeAssistant, panel: PanelSimulator, panel_url: str
) -> None:
    """An entry that set a polling interval keeps its other options only.

    It then polls every five minutes, like every entry.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        unique_id=account_unique_id(panel_url, API_KEY),
        data={CONF_API_URL: panel_url, CONF_API_KEY: API_KEY},
        options={
            "scan_interval": 1,
            CONF_LOW_BALANCE_THRESHOLD: 20.0,
            CONF_RETENTION_HOURS: 48,
        },
        version=1,
        minor_version=1,
    )
    await setup_integration(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert entry.version == 1
    assert entry.minor_version == 3
    assert entry.options == {CONF_LOW_BALANCE_THRESHOLD: 20.0, CONF_RETENTION_HOURS: 48}
    assert entry.unique_id == account_unique_id(panel_url, API_KEY)

    panel.reset_log()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert panel.count("balance") == 0  # not every minute any more
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5, seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert panel.count("balance") == 1


async def test_entry_of_a_newer_version_is_not_loaded(
    hass: HomeAssistant, panel: PanelSimulator, panel_url: str
) -> None:
    """An entry saved by a newer major version is left alone, not downgraded."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        unique_id=account_unique_id(panel_url, API_KEY),
        data={CONF_API_URL: panel_url, CONF_API_KEY: API_KEY},
        version=2,
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert panel.requests == []


def _readme_refresh_automation() -> dict[str, Any]:
    """Return the README's automation that refreshes an account every minute."""
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)
    (block,) = [b for b in blocks if "homeassistant.update_entity" in b]
    # The README's account is smmqueen.com; the test panel is 127.0.0.1.
    config: dict[str, Any] = yaml.safe_load(block.replace("smmqueen_com", "127_0_0_1"))
    return config


async def test_readme_automation_refreshes_while_orders_are_active(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """The README's automation polls every minute, only while orders are active."""
    await setup_integration(hass, mock_config_entry)
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "automation", _readme_refresh_automation())
    await hass.async_block_till_done()

    # Time patterns fire up to half a second into the minute.
    minute = dt_util.utcnow().replace(second=0, microsecond=999000)

    async def next_minute() -> None:
        nonlocal minute
        minute += timedelta(minutes=1)
        async_fire_time_changed(hass, minute)
        await hass.async_block_till_done(wait_background_tasks=True)

    panel.reset_log()
    await next_minute()
    assert panel.count("balance") == 0  # no active order: nothing asked

    order = panel.create_order(1, 1000)
    await hass.services.async_call(
        DOMAIN,
        "track_orders",
        {"orders": [order.order_id]},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get("sensor.127_0_0_1_active_orders")
    assert state is not None
    assert state.state == "1"

    panel.reset_log()
    await next_minute()
    assert panel.count("balance") == 1
    assert panel.count("status") == 1


@pytest.mark.parametrize(
    ("api_url", "name"),
    [
        ("https://user:pw@SMMQueen.com/api/v2?key=1", "smmqueen.com"),
        ("http://[::1]:8080/api/v2", "::1"),
        ("http://[::1", "SMM panel"),
        ("not a url", "SMM panel"),
    ],
)
def test_panel_name(api_url: str, name: str) -> None:
    """A panel is named after its host only; an unusable URL gets a plain name."""
    assert panel_host(api_url) == name
