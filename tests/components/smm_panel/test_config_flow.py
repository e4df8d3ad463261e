"""The config flow: setup, errors, reauthentication, reconfiguration, options."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import timedelta
from decimal import Decimal
import socket
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_API_KEY, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import voluptuous as vol

from custom_components.smm_panel import account
from custom_components.smm_panel.api import DEFAULT_API_URL, SmmPanelClient
from custom_components.smm_panel.config_flow import account_unique_id
from custom_components.smm_panel.const import (
    CONF_API_URL,
    CONF_DUPLICATE_WINDOW,
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_RETENTION_HOURS,
    CONF_SPENDING_LIMIT,
    DOMAIN,
)
from simulator import Fault, PanelSimulator, SimulatorServer

from ...conftest import API_KEY
from .conftest import setup_integration

NEW_KEY = "sk-test-fedcba9876543210"
OTHER_KEY = "sk-test-other-account-42"
LOW_BALANCE = "binary_sensor.127_0_0_1_low_balance"


@pytest.fixture
def closed_port_url() -> str:
    """Return an API URL on a loopback port where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v2"


@pytest.fixture
async def second_panel_url(
    panel: PanelSimulator, socket_enabled: None
) -> AsyncGenerator[str]:
    """Serve the same simulated panel on a second port: another URL for it."""
    server = SimulatorServer(panel, host="127.0.0.1", port=0)
    url = await server.start()
    yield url
    await server.stop()


async def _start_user_flow(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result["flow_id"]


def _defaults(result: ConfigFlowResult) -> dict[str, Any]:
    """Return the default values of a form's fields (the key has none)."""
    return {
        str(key): key.default()
        for key in result["data_schema"].schema
        if key.default is not vol.UNDEFINED
    }


def _reauth_flows(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    return [
        flow["flow_id"]
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
        and flow["context"].get("entry_id") == entry.entry_id
    ]


async def test_user_flow_creates_entry(
    hass: HomeAssistant, panel: PanelSimulator, panel_url: str
) -> None:
    """A valid URL and key create an entry named after the panel's host."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    # The URL field offers SMM Queen by default.
    assert _defaults(result) == {CONF_API_URL: DEFAULT_API_URL}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: panel_url, CONF_API_KEY: API_KEY}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "127.0.0.1"
    assert result["data"] == {CONF_API_URL: panel_url, CONF_API_KEY: API_KEY}
    entry = result["result"]
    assert entry.unique_id == account_unique_id(panel_url, API_KEY)
    assert API_KEY not in entry.unique_id
    assert entry.state is ConfigEntryState.LOADED
    # The key was checked with exactly the balance call (docs/protocol.md, section 2).
    assert panel.requests[0].action == "balance"


async def test_user_flow_strips_spaces(hass: HomeAssistant, panel_url: str) -> None:
    """Spaces pasted around the URL and the key are removed."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: f" {panel_url} ", CONF_API_KEY: f"  {API_KEY}\t "}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_API_URL: panel_url, CONF_API_KEY: API_KEY}


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault("html", action="balance"), "not_smm_panel"),
        (Fault("wrong_shape", action="balance"), "not_smm_panel"),
        (Fault("malformed_json", action="balance"), "not_smm_panel"),
        (
            Fault("error", action="balance", message="Incorrect request"),
            "panel_refused",
        ),
        (Fault("key_revoked", action="balance"), "invalid_auth"),
    ],
    ids=["html", "wrong_shape", "malformed_json", "incorrect_request", "key_revoked"],
)
async def test_user_flow_panel_errors_then_retry(
    hass: HomeAssistant,
    panel: PanelSimulator,
    panel_url: str,
    fault: Fault,
    error: str,
) -> None:
    """A reply that is not the API's shows the error; the form can be sent again."""
    flow_id = await _start_user_flow(hass)
    panel.faults.add(fault)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: panel_url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}

    if fault.kind == "key_revoked":
        # The revoked key stays refused; the user pastes the account's new key.
        panel.add_account(NEW_KEY, Decimal(50), "USD")
    retry_key = NEW_KEY if fault.kind == "key_revoked" else API_KEY
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: panel_url, CONF_API_KEY: retry_key}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_KEY] == retry_key


async def test_user_flow_invalid_key(hass: HomeAssistant, panel_url: str) -> None:
    """A key the panel does not know is reported as invalid."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: panel_url, CONF_API_KEY: "sk-wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: panel_url, CONF_API_KEY: API_KEY}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_cannot_connect(
    hass: HomeAssistant, panel_url: str, closed_port_url: str
) -> None:
    """Nothing listening at the URL is reported as a connection error."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: closed_port_url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    # The form keeps the URL the user typed, to be corrected.
    assert _defaults(result) == {CONF_API_URL: closed_port_url}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: panel_url, CONF_API_KEY: API_KEY}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unknown_error(
    hass: HomeAssistant, panel_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception shows "unknown" and is logged, without the key."""
    flow_id = await _start_user_flow(hass)
    with patch(
        "custom_components.smm_panel.api.SmmPanelClient.async_get_balance",
        side_effect=Exception("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_API_URL: panel_url, CONF_API_KEY: API_KEY}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error" in caplog.text
    assert API_KEY not in caplog.text

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: panel_url, CONF_API_KEY: API_KEY}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_duplicate_aborts(
    hass: HomeAssistant, panel: PanelSimulator, panel_url: str
) -> None:
    """The same key on the same panel cannot be added twice."""
    for _ in range(2):
        flow_id = await _start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_API_URL: panel_url, CONF_API_KEY: API_KEY}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_user_flow_second_account_on_same_panel(
    hass: HomeAssistant, panel: PanelSimulator, panel_url: str
) -> None:
    """Another key on the same panel is another account: both can be added."""
    panel.add_account(OTHER_KEY, Decimal(10), "EUR")
    for key in (API_KEY, OTHER_KEY):
        flow_id = await _start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_API_URL: panel_url, CONF_API_KEY: key}
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY
    entries = hass.config_entries.async_entries(DOMAIN)
    assert len({entry.unique_id for entry in entries}) == 2


async def test_reauth_flow(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A wrong key is refused; the right one updates the entry and reloads it."""
    await setup_integration(hass, mock_config_entry)
    old_coordinator = mock_config_entry.runtime_data
    panel.revoke_key(API_KEY)
    panel.add_account(NEW_KEY, Decimal(42), "USD")

    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["host"] == "127.0.0.1"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "sk-wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    panel.reset_log()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: f" {NEW_KEY} "}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    # One check of the new key, one first refresh of the reloaded entry: the
    # old coordinator did not poll again with the old key.
    assert panel.count("balance") == 2
    assert len(mock_config_entry.update_listeners) == 1
    assert mock_config_entry.data[CONF_API_KEY] == NEW_KEY
    # The entry keeps its id: it names the entry, not the key.
    assert mock_config_entry.unique_id == account_unique_id(
        mock_config_entry.data[CONF_API_URL], API_KEY
    )
    # Reloaded: a new coordinator, polling with the new key.
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.runtime_data is not old_coordinator
    state = hass.states.get("sensor.127_0_0_1_balance")
    assert state is not None
    assert float(state.state) == 42.0
    # Nothing polled with the old key after the update: no new reauth flow.
    assert _reauth_flows(hass, mock_config_entry) == []


async def test_reauth_flow_after_failed_setup(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A key refused at startup starts reauth; the new key sets the entry up."""
    panel.revoke_key(API_KEY)
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    (flow_id,) = _reauth_flows(hass, mock_config_entry)

    panel.add_account(NEW_KEY, Decimal(3), "USD")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_KEY: NEW_KEY}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.data[CONF_API_KEY] == NEW_KEY
    state = hass.states.get(LOW_BALANCE)
    assert state is not None
    assert state.state == STATE_ON  # 3 USD is below the default threshold of 5


async def test_reauth_flow_cannot_connect(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A panel down during reauthentication shows a connection error."""
    await setup_integration(hass, mock_config_entry)
    result = await mock_config_entry.start_reauth_flow(hass)
    panel.faults.add(Fault("http500", action="balance", times=None))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    panel.faults.clear()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"


async def test_reauth_flow_key_of_another_entry(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Reauthenticating with the key of another configured account is refused."""
    panel.add_account(OTHER_KEY, Decimal(10), "USD")
    url = mock_config_entry.data[CONF_API_URL]
    other = MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        unique_id=account_unique_id(url, OTHER_KEY),
        data={CONF_API_URL: url, CONF_API_KEY: OTHER_KEY},
    )
    other.add_to_hass(hass)
    mock_config_entry.add_to_hass(hass)

    result = await mock_config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "already_configured"}
    assert mock_config_entry.data[CONF_API_KEY] == API_KEY


async def test_polling_with_revoked_key_starts_reauth(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """When the panel stops accepting the key, a reauth flow is started."""
    await setup_integration(hass, mock_config_entry)
    assert _reauth_flows(hass, mock_config_entry) == []

    panel.faults.add(Fault("key_revoked"))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=6))
    await hass.async_block_till_done(wait_background_tasks=True)

    assert len(_reauth_flows(hass, mock_config_entry)) == 1
    state = hass.states.get("sensor.127_0_0_1_balance")
    assert state is not None
    assert state.state == "unavailable"


async def test_reconfigure_flow(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    panel_url: str,
    second_panel_url: str,
) -> None:
    """The URL and the key can be changed; the entry is updated and reloaded."""
    await setup_integration(hass, mock_config_entry)
    old_coordinator = mock_config_entry.runtime_data
    panel.add_account(NEW_KEY, Decimal(7), "USD")

    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert _defaults(result) == {CONF_API_URL: mock_config_entry.data[CONF_API_URL]}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: second_panel_url, CONF_API_KEY: NEW_KEY}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == {
        CONF_API_URL: second_panel_url,
        CONF_API_KEY: NEW_KEY,
    }
    unique_id = account_unique_id(panel_url, API_KEY)
    assert mock_config_entry.unique_id == unique_id  # unchanged
    assert mock_config_entry.title == "127.0.0.1"
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.runtime_data is not old_coordinator
    assert mock_config_entry.runtime_data.client.api_url == second_panel_url
    state = hass.states.get("sensor.127_0_0_1_balance")
    assert state is not None
    assert float(state.state) == 7.0


@pytest.mark.parametrize(
    ("key", "fault", "error"),
    [
        ("sk-wrong", None, "invalid_auth"),
        (API_KEY, Fault("html", action="balance"), "not_smm_panel"),
        (API_KEY, Fault("http500", action="balance", times=None), "cannot_connect"),
    ],
    ids=["invalid_auth", "not_smm_panel", "cannot_connect"],
)
async def test_reconfigure_flow_errors(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    key: str,
    fault: Fault | None,
    error: str,
) -> None:
    """Errors keep the form open and the entry unchanged; a retry succeeds."""
    mock_config_entry.add_to_hass(hass)
    url = mock_config_entry.data[CONF_API_URL]
    result = await mock_config_entry.start_reconfigure_flow(hass)
    if fault is not None:
        panel.faults.add(fault)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: url, CONF_API_KEY: key}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": error}
    assert mock_config_entry.data[CONF_API_KEY] == API_KEY

    panel.faults.clear()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: url, CONF_API_KEY: API_KEY}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_reconfigure_flow_collides_with_another_entry(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """An account cannot be reconfigured into another configured account."""
    panel.add_account(OTHER_KEY, Decimal(10), "USD")
    url = mock_config_entry.data[CONF_API_URL]
    other = MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        unique_id=account_unique_id(url, OTHER_KEY),
        data={CONF_API_URL: url, CONF_API_KEY: OTHER_KEY},
    )
    other.add_to_hass(hass)
    mock_config_entry.add_to_hass(hass)

    result = await other.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "already_configured"}
    assert other.data[CONF_API_KEY] == OTHER_KEY
    assert panel.count("balance") == 1  # a panel first: then compared


async def test_options_flow(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """New options are saved and applied at once, without a reload."""
    await setup_integration(hass, mock_config_entry)
    coordinator = mock_config_entry.runtime_data
    state = hass.states.get(LOW_BALANCE)
    assert state is not None
    assert state.state == STATE_OFF  # 100 USD, default threshold 5

    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    # No polling interval: it is the integration's choice, not an option.
    assert _defaults(result) == {
        CONF_LOW_BALANCE_THRESHOLD: 5.0,
        CONF_RETENTION_HOURS: 24,
        CONF_SPENDING_LIMIT: 0.0,
        CONF_DUPLICATE_WINDOW: 10,
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_LOW_BALANCE_THRESHOLD: 150,
            CONF_RETENTION_HOURS: 12,
            CONF_SPENDING_LIMIT: 25,
            CONF_DUPLICATE_WINDOW: 0,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {
        CONF_LOW_BALANCE_THRESHOLD: 150.0,
        CONF_RETENTION_HOURS: 12,
        CONF_SPENDING_LIMIT: 25.0,
        CONF_DUPLICATE_WINDOW: 0,
    }
    # Applied without a reload: same coordinator, new threshold and retention.
    assert mock_config_entry.runtime_data is coordinator
    assert coordinator.retention == timedelta(hours=12)
    state = hass.states.get(LOW_BALANCE)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["threshold"] == 150.0

    # The options form shows the saved values next time.
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert _defaults(result) == {
        CONF_LOW_BALANCE_THRESHOLD: 150.0,
        CONF_RETENTION_HOURS: 12,
        CONF_SPENDING_LIMIT: 25.0,
        CONF_DUPLICATE_WINDOW: 0,
    }

    # Lowering the threshold below the balance turns the sensor off again.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_LOW_BALANCE_THRESHOLD: 99.5, CONF_RETENTION_HOURS: 12},
    )
    # Refreshes after option changes are debounced (10 s).
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(LOW_BALANCE)
    assert state is not None
    assert state.state == STATE_OFF
    assert state.attributes["threshold"] == 99.5


async def test_polling_stays_every_five_minutes(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Saving options does not change how often the panel is polled."""
    await setup_integration(hass, mock_config_entry)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_LOW_BALANCE_THRESHOLD: 1, CONF_RETENTION_HOURS: 1},
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    panel.reset_log()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=4))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert panel.count("balance") == 0
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5, seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert panel.count("balance") == 1


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        (CONF_LOW_BALANCE_THRESHOLD, -1, "Enter 0 or more"),
        (CONF_RETENTION_HOURS, -1, "hours from 0 to 720."),
        (CONF_RETENTION_HOURS, 721, "hours from 0 to 720."),
        (CONF_RETENTION_HOURS, 12.5, "whole number of hours"),
        (CONF_SPENDING_LIMIT, -5, "Enter 0 or more"),
        (CONF_SPENDING_LIMIT, "nan", "Enter 0 or more"),
        (CONF_DUPLICATE_WINDOW, 1441, "minutes from 0 to 1440 "),
    ],
    ids=[
        "threshold_negative",
        "retention_negative",
        "retention_too_long",
        "retention_fraction",
        "limit_negative",
        "limit_nan",
        "window_too_long",
    ],
)
async def test_options_flow_refuses_out_of_range_in_words(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    field: str,
    value: Any,
    words: str,
) -> None:
    """19.4: a translated error on the field, whole numbers in it; input kept."""
    options = {CONF_LOW_BALANCE_THRESHOLD: 5, CONF_RETENTION_HOURS: 24, field: value}
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )

    assert result["type"] is FlowResultType.FORM
    assert list(result["errors"]) == [field]
    texts = await async_get_translations(hass, "en", "options", [DOMAIN])
    text = texts[f"component.{DOMAIN}.options.error.{result['errors'][field]}"]
    shown = text.format(**result["description_placeholders"])
    assert words in shown
    assert ".0" not in shown
    assert str(float(_suggested(result)[field])) == str(float(value))
    assert mock_config_entry.options == {}


async def test_options_flow_refuses_unknown_options(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """An option the form does not have (the old polling interval) is refused."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {
                CONF_LOW_BALANCE_THRESHOLD: 5,
                CONF_RETENTION_HOURS: 24,
                "scan_interval": 1,
            },
        )
    assert mock_config_entry.options == {}


# --- the API URL: malformed, clear text, secrets ------------------------------


@pytest.fixture
def mock_setup_entry() -> Generator[None]:
    """Create entries without setting them up (their panel is not reachable)."""
    with patch("custom_components.smm_panel.async_setup_entry", return_value=True):
        yield


@pytest.mark.parametrize(
    "api_url",
    [
        "http://[::1",
        "https://[::1]:99999/api/v2",
        "https://smmqueen.com:port/api/v2",
        "smmqueen.com/api/v2",
        "ftp://smmqueen.com/api/v2",
        "https:///api/v2",
    ],
    ids=[
        "unclosed_ipv6",
        "port_out_of_range",
        "port_not_a_number",
        "no_scheme",
        "ftp",
        "no_host",
    ],
)
async def test_user_flow_malformed_url(
    hass: HomeAssistant, panel: PanelSimulator, panel_url: str, api_url: str
) -> None:
    """A malformed URL shows a form error at once; nothing is sent anywhere."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: api_url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_URL: "invalid_url"}
    assert _defaults(result) == {CONF_API_URL: api_url}
    assert panel.requests == []

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: panel_url, CONF_API_KEY: API_KEY}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    "api_url",
    [
        "http://smmqueen.com/api/v2",
        "http://SMMQUEEN.COM:8080/api/v2",
        "http://8.8.8.8/api/v2",
        "http://172.32.0.1/api/v2",
        "http://[2001:4860:4860::8888]/api/v2",
        "http://localhost.example.com/api/v2",
    ],
)
async def test_user_flow_refuses_plain_http_to_public_host(
    hass: HomeAssistant, api_url: str
) -> None:
    """Plain http to a public host would carry the key in clear text: refused."""
    flow_id = await _start_user_flow(hass)
    with patch(
        "custom_components.smm_panel.api.SmmPanelClient.async_get_balance"
    ) as balance:
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_API_URL: api_url, CONF_API_KEY: API_KEY}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_URL: "insecure_url"}
    balance.assert_not_called()  # the key was not sent


@pytest.mark.parametrize(
    ("api_url", "title"),
    [
        ("http://localhost:8080/api/v2", "localhost"),
        ("http://192.168.1.20/api/v2", "192.168.1.20"),
        ("http://10.0.0.5:8080/api/v2", "10.0.0.5"),
        ("http://172.16.4.4/api/v2", "172.16.4.4"),
        ("http://100.101.102.103/api/v2", "100.101.102.103"),
        ("http://[fe80::1]/api/v2", "fe80::1"),
        ("http://[fd00::5]:8080/api/v2", "fd00::5"),
        ("http://[::1]:8080/api/v2", "::1"),
        ("http://panel.local/api/v2", "panel.local"),
        ("https://smmqueen.com/api/v2", "smmqueen.com"),
    ],
)
async def test_user_flow_accepts_http_on_own_network(
    hass: HomeAssistant, mock_setup_entry: None, api_url: str, title: str
) -> None:
    """Plain http is accepted for loopback, private-range and local hosts."""
    flow_id = await _start_user_flow(hass)
    with patch(
        "custom_components.smm_panel.api.SmmPanelClient.async_get_balance"
    ) as balance:
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_API_URL: api_url, CONF_API_KEY: API_KEY}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    balance.assert_called_once()


async def test_user_form_shows_the_default_url_as_placeholder(
    hass: HomeAssistant,
) -> None:
    """The example URL reaches the form as a placeholder, not in the text."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["description_placeholders"] == {"default_url": DEFAULT_API_URL}


@pytest.mark.parametrize(
    ("api_url", "error"),
    [
        ("http://smmqueen.com/api/v2", "insecure_url"),
        ("http://[::1", "invalid_url"),
    ],
)
async def test_reconfigure_refuses_bad_url(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    api_url: str,
    error: str,
) -> None:
    """Reconfiguring to a malformed or clear-text public URL is refused."""
    mock_config_entry.add_to_hass(hass)
    old_data = dict(mock_config_entry.data)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: api_url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_URL: error}
    assert mock_config_entry.data == old_data
    assert panel.requests == []


async def test_user_flow_title_has_no_secret_of_the_url(
    hass: HomeAssistant, panel: PanelSimulator, panel_url: str
) -> None:
    """A user name, password or query in the URL never shows in the title."""
    secret_url = panel_url.replace("http://", "http://reseller:pa55word@") + (
        "?token=t0ken"
    )
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: secret_url, CONF_API_KEY: API_KEY}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "127.0.0.1"
    assert result["data"][CONF_API_URL] == secret_url  # the client needs it
    for secret in ("reseller", "pa55word", "t0ken"):
        assert secret not in result["title"]
        assert secret not in (result["result"].unique_id or "")


# --- the unique id ------------------------------------------------------------


async def test_unique_id_stable_across_reauth_and_reconfigure(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    second_panel_url: str,
) -> None:
    """Reauth and reconfigure keep the id; the new key still counts as configured."""
    await setup_integration(hass, mock_config_entry)
    unique_id = mock_config_entry.unique_id
    panel.add_account(NEW_KEY, Decimal(1), "USD")
    panel.add_account(OTHER_KEY, Decimal(1), "USD")

    result = await mock_config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: NEW_KEY}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.unique_id == unique_id

    # Adding the account's current key again is refused, as before reauth.
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_API_URL: mock_config_entry.data[CONF_API_URL], CONF_API_KEY: NEW_KEY},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: second_panel_url, CONF_API_KEY: OTHER_KEY}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.unique_id == unique_id
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# --- one account, however its host is written (issue 17 items 11, 12) --------

QUEEN = "https://smmqueen.com/api/v2"


@pytest.fixture
def panel_at_any_host(panel_url: str) -> Generator[None]:
    """Reach the simulated panel under any host name, as DNS would.

    The scheme, host and port of every URL are replaced by the simulator's;
    the path is kept, so a wrong path still reaches nothing.
    """
    simulator = urlsplit(panel_url)

    def create(hass: HomeAssistant, api_url: str, api_key: str) -> SmmPanelClient:
        parts = urlsplit(api_url)
        url = parts._replace(scheme="http", netloc=simulator.netloc).geturl()
        return account.create_client(hass, url, api_key)

    with (
        patch("custom_components.smm_panel.config_flow.create_client", create),
        patch("custom_components.smm_panel.create_client", create),
    ):
        yield


async def _add(hass: HomeAssistant, api_url: str, api_key: str = API_KEY) -> Any:
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_URL: api_url, CONF_API_KEY: api_key}
    )
    await hass.async_block_till_done()
    return result


@pytest.mark.usefixtures("panel_at_any_host")
@pytest.mark.parametrize(
    "alias",
    [
        "https://www.smmqueen.com/api/v2",
        "https://smmqueen.com./api/v2",
        "https://SMMQUEEN.COM/api/v2",
        "https://WWW.SmmQueen.com./api/v2",
    ],
)
async def test_same_account_under_a_host_alias_is_already_set_up(
    hass: HomeAssistant, alias: str
) -> None:
    """11: `www.`, a final dot and capitals name the same panel: one entry."""
    assert (await _add(hass, QUEEN))["type"] is FlowResultType.CREATE_ENTRY

    result = await _add(hass, alias)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.usefixtures("panel_at_any_host")
async def test_entry_with_a_unique_id_of_an_older_version_still_counts(
    hass: HomeAssistant,
) -> None:
    """11: an entry made for `www.` before hosts were normalised keeps its id."""
    digest = account_unique_id(QUEEN, API_KEY).rpartition("-")[2]
    old = MockConfigEntry(
        domain=DOMAIN,
        title="www.smmqueen.com",
        unique_id=f"www.smmqueen.com-{digest}",
        data={CONF_API_URL: "https://www.smmqueen.com/api/v2", CONF_API_KEY: API_KEY},
    )
    old.add_to_hass(hass)

    result = await _add(hass, QUEEN)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert old.unique_id == f"www.smmqueen.com-{digest}"


@pytest.mark.usefixtures("panel_at_any_host")
async def test_reconfigure_into_an_alias_of_another_entry_is_refused(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """11: reconfiguring onto another entry's account under an alias is refused."""
    panel.add_account(OTHER_KEY, Decimal(10), "USD")
    await _add(hass, QUEEN)
    other = (await _add(hass, QUEEN, OTHER_KEY))["result"]

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": other.entry_id}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_URL: "https://www.smmqueen.com./api/v2", CONF_API_KEY: API_KEY},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "already_configured"}
    assert other.data[CONF_API_KEY] == OTHER_KEY


async def test_second_and_third_accounts_on_a_host_are_numbered(
    hass: HomeAssistant, panel: PanelSimulator, panel_url: str
) -> None:
    """12: no part of the key in the title: the accounts are numbered."""
    panel.add_account(OTHER_KEY, Decimal(10), "EUR")
    panel.add_account(NEW_KEY, Decimal(10), "EUR")

    titles = [(await _add(hass, panel_url, key))["title"] for key in KEYS]

    assert titles == ["127.0.0.1", "127.0.0.1 (2)", "127.0.0.1 (3)"]
    for key in KEYS:
        for title in titles:
            assert key[-4:] not in title


KEYS = (API_KEY, OTHER_KEY, NEW_KEY)


async def test_title_with_the_end_of_a_key_is_renamed(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    panel: PanelSimulator,
    panel_url: str,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """12: an entry titled `127.0.0.1 (…t-42)` by an older version is renumbered."""
    panel.add_account(OTHER_KEY, Decimal(10), "USD")
    await setup_integration(hass, mock_config_entry)
    old = MockConfigEntry(
        domain=DOMAIN,
        title=f"127.0.0.1 (\u2026{OTHER_KEY[-4:]})",
        unique_id=account_unique_id(panel_url, OTHER_KEY),
        data={CONF_API_URL: panel_url, CONF_API_KEY: OTHER_KEY},
        version=1,
        minor_version=2,
    )
    await setup_integration(hass, old)

    assert old.title == "127.0.0.1 (2)"
    response = await hass.services.async_call(
        DOMAIN, "list_services", {}, blocking=True, return_response=True
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, old)
    for text in (str(response), str(diagnostics), caplog.text):
        assert f"\u2026{OTHER_KEY[-4:]}" not in text
    # A title the user chose is theirs, even in that form.
    assert mock_config_entry.title == "127.0.0.1"


# --- a URL that is not a panel, at a configured host (issue 19 item 4) -------


async def test_not_a_panel_at_a_configured_host_says_so_and_keeps_the_input(
    hass: HomeAssistant, panel: PanelSimulator, panel_url: str
) -> None:
    """19.4: a wrong path on a panel set up with this key is not "already set up"."""
    await _add(hass, panel_url)
    wrong = panel_url.replace("/api/v2", "/wrong/path")

    result = await _add(hass, wrong)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_smm_panel"}
    assert _suggested(result) == {CONF_API_URL: wrong, CONF_API_KEY: API_KEY}
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_reconfigure_to_a_url_that_is_not_a_panel_says_so(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """19.4: reconfiguring onto a wrong path of another entry's panel."""
    panel.add_account(OTHER_KEY, Decimal(10), "USD")
    url = mock_config_entry.data[CONF_API_URL]
    mock_config_entry.add_to_hass(hass)
    other = MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1 (2)",
        unique_id=account_unique_id(url, OTHER_KEY),
        data={CONF_API_URL: url, CONF_API_KEY: OTHER_KEY},
    )
    other.add_to_hass(hass)

    result = await other.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_URL: url.replace("/api/v2", "/"), CONF_API_KEY: API_KEY},
    )

    assert result["errors"] == {"base": "not_smm_panel"}
    assert _defaults(result)[CONF_API_URL] == url.replace("/api/v2", "/")


def _suggested(result: ConfigFlowResult) -> dict[str, Any]:
    """Return the suggested values of a form (what was typed)."""
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
