"""What a person sees: accounts told apart, a clean history, words from the panel.

Regression tests for the behaviour changes of issue 13; each names its item.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant import config_entries
from homeassistant.const import CONF_API_KEY, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.smm_panel.const import CONF_API_URL, DOMAIN
from simulator import Fault, PanelSimulator

from ...conftest import API_KEY
from .conftest import EVENTS, SECOND_KEY, call_action, poll, setup_integration

INTEGRATION = Path(__file__).parents[3] / "custom_components" / DOMAIN


async def add_account(
    hass: HomeAssistant, panel_url: str, api_key: str, **fields: str
) -> dict[str, Any]:
    """Add an account through the config flow; return the flow's result."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_URL: panel_url, CONF_API_KEY: api_key, **fields},
    )
    await hass.async_block_till_done()
    return result


# --- 1. accounts a person can tell apart -----------------------------------------


async def test_second_account_on_a_host_gets_a_title_of_its_own(
    hass: HomeAssistant,
    panel: PanelSimulator,
    panel_url: str,
    device_registry: dr.DeviceRegistry,
) -> None:
    """1: without a name, the second account is numbered (no part of its key).

    Issue 17 item 12: it showed the end of its key ("127.0.0.1 (…3210)").
    """
    panel.add_account(SECOND_KEY, panel.balance(), "USD")
    third_key = "sk-third-account-00000000abcd"
    panel.add_account(third_key, panel.balance(), "USD")

    first = await add_account(hass, panel_url, API_KEY)
    second = await add_account(hass, panel_url, SECOND_KEY)
    named = await add_account(hass, panel_url, third_key, **{CONF_NAME: "Shop"})

    assert [first["title"], second["title"], named["title"]] == [
        "127.0.0.1",
        "127.0.0.1 (2)",
        "Shop",
    ]
    assert SECOND_KEY[-4:] not in second["title"]
    names = {
        device.name
        for entry in hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    }
    assert names == {"127.0.0.1", "127.0.0.1 (2)", "Shop"}


async def test_entity_ids_stay_when_the_account_is_renamed(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """1: renaming the entry renames the device, not the entity ids."""
    await setup_integration(hass, mock_config_entry)
    before = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            entity_registry, mock_config_entry.entry_id
        )
    }

    hass.config_entries.async_update_entry(mock_config_entry, title="Main account")
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    after = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            entity_registry, mock_config_entry.entry_id
        )
    }
    assert after == before
    (device,) = dr.async_entries_for_config_entry(
        device_registry, mock_config_entry.entry_id
    )
    assert device.name == "Main account"


# --- 2. finished orders keep their state through an outage -------------------------


async def test_finished_order_stays_shown_through_an_outage(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """2: a finished order's history gets no unavailable/completed repeats."""
    await setup_integration(hass, mock_config_entry)
    done = panel.create_order(1, 1000, status="Completed")
    running = panel.create_order(1, 1000)
    await call_action(hass, "track_orders", orders=[done.order_id, running.order_id])
    changes = async_capture_events(hass, "state_changed")

    panel.faults.add(Fault("http500", times=None))
    await poll(hass)
    panel.faults.clear()
    await poll(hass)

    done_entity = f"sensor.127_0_0_1_order_{done.order_id}"
    running_entity = f"sensor.127_0_0_1_order_{running.order_id}"
    assert [e for e in changes if e.data["entity_id"] == done_entity] == []
    assert [
        e.data["new_state"].state
        for e in changes
        if e.data["entity_id"] == running_entity
    ] == ["unavailable", "pending"]


# --- 3. the event entity after a reload -----------------------------------------------


@pytest.mark.parametrize("outage_first", [False, True], ids=["reload", "outage-reload"])
async def test_event_entity_keeps_its_last_event_across_a_reload(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    outage_first: bool,
) -> None:
    """3: after a reload the event entity shows the last event, at its own time."""
    await setup_integration(hass, mock_config_entry)
    order = panel.create_order(1, 1000)
    await call_action(hass, "track_orders", orders=[order.order_id])
    panel.set_order_status(order.order_id, "Completed")
    await poll(hass)
    fired = hass.states.get(EVENTS)
    assert fired.attributes["event_type"] == "completed"
    if outage_first:
        panel.faults.add(Fault("http500", times=None))
        await poll(hass)
        panel.faults.clear()

    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    restored = hass.states.get(EVENTS)
    assert restored.state == fired.state  # the time of the event, not of the reload
    assert restored.attributes["event_type"] == "completed"
    assert restored.attributes["order_id"] == order.order_id


# --- 4. ids shown and typed with grouping -------------------------------------


@pytest.mark.usefixtures("mock_config_entry")
@pytest.mark.parametrize("typed", ["23,504", "1,234,567", "23\u202f504", "12 23,504"])
async def test_a_grouped_id_is_refused_not_split(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    typed: str,
) -> None:
    """4: "23,504" pasted back from the frontend is never orders 23 and 504."""
    await setup_integration(hass, mock_config_entry)
    panel.reset_log()
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "order_status", orders=typed)
    assert err.value.translation_key == "grouped_id"
    assert panel.count("status") == 0


async def test_ids_separated_by_commas_still_work(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """4: a list of whole ids separated by commas is still a list."""
    await setup_integration(hass, mock_config_entry)
    first = panel.create_order(1, 1000)
    second = panel.create_order(1, 1000)
    response = await call_action(
        hass, "order_status", orders=f"{first.order_id},{second.order_id}"
    )
    assert [item["order"] for item in response["orders"]] == [
        first.order_id,
        second.order_id,
    ]


# --- 5, 6. the config flow ----------------------------------------------------


@pytest.mark.usefixtures("real_resolver")
async def test_reconfigure_with_an_empty_key_keeps_the_key(
    hass: HomeAssistant, panel_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """5: change only the URL; the key field may stay empty."""
    await setup_integration(hass, mock_config_entry)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    other_url = panel_url.replace("127.0.0.1", "localhost")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: other_url}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == {CONF_API_URL: other_url, CONF_API_KEY: API_KEY}


@pytest.mark.parametrize(
    ("fault", "error", "placeholder"),
    [
        (
            Fault("error", action="balance", message="Account suspended"),
            "panel_refused",
            ("message", "Account suspended"),
        ),
        (
            Fault("error", action="balance", message="API is disabled"),
            "panel_refused",
            ("message", "API is disabled"),
        ),
        (
            Fault("error", action="balance", message="Rate limit exceeded", times=9),
            "rate_limited",
            ("retry_after", None),
        ),
    ],
    ids=["suspended", "api-disabled", "rate-limited"],
)
async def test_config_flow_shows_the_panels_words(
    hass: HomeAssistant,
    panel: PanelSimulator,
    panel_url: str,
    fault: Fault,
    error: str,
    placeholder: tuple[str, str | None],
) -> None:
    """6: the panel's own message reaches the form, not "not an SMM panel"."""
    panel.faults.add(fault)
    result = await add_account(hass, panel_url, API_KEY)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    name, value = placeholder
    assert name in result["description_placeholders"]
    if value is not None:
        assert result["description_placeholders"][name] == value
    # Asked once: a rate-limited panel is not waited out for minutes while a
    # person watches the form (it says when to try again).
    assert panel.count("balance") == 1


async def test_config_flow_refuses_an_empty_key_without_asking_the_panel(
    hass: HomeAssistant, panel: PanelSimulator, panel_url: str
) -> None:
    """6: an empty key is a form error at once."""
    result = await add_account(hass, panel_url, "   ")
    assert result["errors"] == {CONF_API_KEY: "empty_key"}
    assert panel.count("balance") == 0


# --- 8, 12. words and forms ---------------------------------------------------


async def test_active_orders_is_a_plain_count(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """8: no "1 orders": the count has no unit."""
    await setup_integration(hass, mock_config_entry)
    state = hass.states.get("sensor.127_0_0_1_active_orders")
    assert "unit_of_measurement" not in state.attributes


def test_username_is_with_the_subscription_fields() -> None:
    """12: the add-order form shows username among the Subscription fields."""
    add_order = load_yaml_dict(str(INTEGRATION / "services.yaml"))["add_order"]
    assert "username" in add_order["fields"]["subscription"]["fields"]
    assert "username" not in add_order["fields"]["type_fields"]["fields"]


# --- words, not identifiers, in sentences (issue 19 item 4) -------------------

TRANSLATIONS = Path(__file__).parents[3] / "custom_components/smm_panel/translations"
# Latin words an Arabic sentence may hold: the scheme names and "API v2".
LATIN_WORDS_IN_ARABIC = {"http", "https", "v2"}


def _sentences(language: str) -> dict[str, str]:
    """Return every text of the config, options and exceptions sections."""
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    found: dict[str, str] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        else:
            # Placeholders are filled in; only the words written count.
            found[path] = re.sub(r"\{[^}]*\}", "", node)

    for section in ("config", "options", "exceptions"):
        walk(strings[section], section)
    return found


@pytest.mark.parametrize("language", ["en", "ar"])
def test_messages_name_fields_in_words(language: str) -> None:
    """19.4: no raw `allow_duplicate` (or `runs`) inside a sentence.

    A field's key in an Arabic sentence scrambles the right-to-left order; the
    field's translated name is used instead ("Allow a duplicate").
    """
    identifiers = {
        path: re.findall(r"\b[a-z]+_[a-z_]+\b", text)
        for path, text in _sentences(language).items()
    }
    assert {path: found for path, found in identifiers.items() if found} == {}
    if language == "ar":
        latin = {
            path: set(re.findall(r"\b[a-z][a-z0-9]*\b", text)) - LATIN_WORDS_IN_ARABIC
            for path, text in _sentences(language).items()
        }
        assert {path: words for path, words in latin.items() if words} == {}


@pytest.mark.usefixtures("loaded_entry")
async def test_a_repeat_within_a_minute_says_less_than_a_minute(
    hass: HomeAssistant,
) -> None:
    """19.4: never "placed 0 min ago"; the translated name of the switch."""
    order = {"service": 1, "link": "https://instagram.com/p/again", "quantity": 100}
    await call_action(hass, "add_order", **order)

    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", **order)

    assert "less than a minute ago" in str(err.value)
    assert "0 min" not in str(err.value)
    assert '"Allow a duplicate"' in str(err.value)
