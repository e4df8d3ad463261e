"""Reauth and reconfigure reload the entry once, without the flow reload helper.

The entry has an update listener (options apply without a reload). Home
Assistant reports `async_update_reload_and_abort` on an entry with an update
listener from 2026.x ("has an update listener and should use it for scheduling
a reload") and stops supporting it in 2026.12.0; the subentry helper already
raises. So the config flow updates the entry and schedules the reload itself
(config_flow.py, `_async_update_and_reload`). These tests fail if that changes.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from unittest.mock import MagicMock, patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.smm_panel as integration
from custom_components.smm_panel.const import CONF_API_URL
from simulator import PanelSimulator

from ...conftest import API_KEY
from .conftest import setup_integration

INTEGRATION = Path(integration.__file__).parent
RELOAD_HELPERS = frozenset({"async_update_reload_and_abort"})
NEW_KEY = "sk-test-reload-once-1234"


def _names(source: str) -> Iterator[tuple[str, int]]:
    """Yield every name, attribute and string constant of a module, with its line."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            yield node.id, node.lineno
        elif isinstance(node, ast.Attribute):
            yield node.attr, node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value, node.lineno
        elif isinstance(node, ast.alias):
            yield node.name.rpartition(".")[2], node.lineno


def reload_helper_uses(source: str, file_name: str) -> list[str]:
    """Return where a module names the flow reload helper (file:line)."""
    return [
        f"{file_name}:{line}" for name, line in _names(source) if name in RELOAD_HELPERS
    ]


def registers_update_listener(source: str) -> bool:
    """Return True if a module adds an update listener to a config entry."""
    return any(name == "add_update_listener" for name, _ in _names(source))


def test_no_reload_helper_while_an_update_listener_is_registered() -> None:
    """The integration registers an update listener, and never names the helper."""
    sources = {
        path.relative_to(INTEGRATION).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(INTEGRATION.rglob("*.py"))
    }
    assert any(registers_update_listener(text) for text in sources.values())
    uses = [
        use for name, text in sources.items() for use in reload_helper_uses(text, name)
    ]
    assert uses == []


@pytest.mark.parametrize(
    "source",
    [
        "return self.async_update_reload_and_abort(entry, data=data)",
        "helper = self.async_update_reload_and_abort",
        "finish = getattr(self, 'async_update_reload_and_abort')",
        "from homeassistant.config_entries import async_update_reload_and_abort",
    ],
    ids=["call", "attribute", "getattr", "import"],
)
def test_reload_helper_is_found(source: str) -> None:
    """The check above finds the helper however it is reached."""
    assert reload_helper_uses(source, "m.py") == ["m.py:1"]


def test_update_listener_is_found() -> None:
    """The check above sees an update listener being registered."""
    assert registers_update_listener(
        "entry.async_on_unload(entry.add_update_listener(_updated))"
    )
    assert not registers_update_listener("entry.async_on_unload(unsubscribe)")


@pytest.fixture
def lifecycle() -> Iterator[tuple[MagicMock, MagicMock]]:
    """Count the entry's setups and unloads (the real ones still run)."""
    with (
        patch.object(
            integration, "async_setup_entry", wraps=integration.async_setup_entry
        ) as setups,
        patch.object(
            integration, "async_unload_entry", wraps=integration.async_unload_entry
        ) as unloads,
    ):
        yield setups, unloads


@pytest.fixture
def usage_reports() -> Iterator[MagicMock]:
    """Record Home Assistant's reports of deprecated config-entry usage."""
    with patch("homeassistant.config_entries.report_usage") as reports:
        yield reports


@pytest.mark.parametrize("flow", ["reauth", "reconfigure"])
async def test_flow_reloads_the_entry_exactly_once(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    lifecycle: tuple[MagicMock, MagicMock],
    usage_reports: MagicMock,
    flow: str,
) -> None:
    """A new key: one unload, one setup with it, the listener kept, no report."""
    setups, unloads = lifecycle
    await setup_integration(hass, mock_config_entry)
    assert (setups.call_count, unloads.call_count) == (1, 0)
    old_coordinator = mock_config_entry.runtime_data
    panel.add_account(NEW_KEY, Decimal(12), "USD")

    if flow == "reauth":
        panel.revoke_key(API_KEY)
        result = await mock_config_entry.start_reauth_flow(hass)
        user_input = {CONF_API_KEY: NEW_KEY}
    else:
        result = await mock_config_entry.start_reconfigure_flow(hass)
        user_input = {
            CONF_API_URL: mock_config_entry.data[CONF_API_URL],
            CONF_API_KEY: NEW_KEY,
        }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == f"{flow}_successful"
    assert (setups.call_count, unloads.call_count) == (2, 1)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.runtime_data is not old_coordinator
    assert mock_config_entry.data[CONF_API_KEY] == NEW_KEY
    assert len(mock_config_entry.update_listeners) == 1
    usage_reports.assert_not_called()
    state = hass.states.get("sensor.127_0_0_1_balance")
    assert state is not None
    assert float(state.state) == 12.0
