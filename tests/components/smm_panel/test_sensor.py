"""Entities: balance, active orders, low balance, and tracked orders over time."""

from __future__ import annotations

from decimal import Decimal
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.smm_panel.const import (
    CONF_RETENTION_HOURS,
    DOMAIN,
    EVENT_ORDER_UPDATED,
)
from simulator import Fault, PanelSimulator

from ...conftest import API_KEY, NEVER
from .conftest import (
    ORDER_SENSOR,
    POLL,
    call_action,
    poll,
    seed_storage,
    setup_integration,
    storage_key,
)


def seed_tracked_orders(
    hass_storage: dict[str, Any], entry: MockConfigEntry, *orders: dict[str, Any]
) -> None:
    """Store tracked orders as a previous run of Home Assistant left them."""
    seed_storage(hass_storage, entry, {"orders": list(orders), "refills": []})


def tracked(order_id: int, **fields: Any) -> dict[str, Any]:
    """Return a stored tracked order of the Followers service."""
    return {
        "order_id": order_id,
        "service_id": 1,
        "service_name": "Followers",
        "link": "https://instagram.com/p/demo",
        "quantity": 1000,
        "state": "pending",
        **fields,
    }


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one polling interval pass on the wall clock too (for the retention)."""
    freezer.tick(POLL)
    await poll(hass)


@pytest.mark.parametrize(
    "platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.EVENT]
)
async def test_entities(
    hass: HomeAssistant,
    platform: Platform,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every entity with its state and attributes, as a user sees them.

    The first refresh finds the partial order changed since it was stored: the
    event entity shows that event, at the (frozen) time it was found.
    """
    freezer.move_to("2026-11-27T12:00:00+00:00")
    partial = panel.create_order(1, 1000, link="https://instagram.com/p/a")
    panel.set_order_status(partial.order_id, "Partial", remains=157)
    running = panel.create_order(2, 200, link="https://instagram.com/p/b")
    seed_tracked_orders(
        hass_storage,
        mock_config_entry,
        tracked(partial.order_id),
        tracked(running.order_id, service_id=2, service_name="Likes", quantity=200),
    )
    with patch("custom_components.smm_panel.PLATFORMS", [platform]):
        await setup_integration(hass, mock_config_entry)

    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_currency_and_low_balance_follow_the_panel(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The balance unit is the account currency; low balance turns on below 5."""
    panel.add_account(API_KEY, Decimal("12.3456"), "EUR")
    await setup_integration(hass, mock_config_entry)

    balance = hass.states.get("sensor.127_0_0_1_balance")
    assert balance is not None
    assert Decimal(balance.state) == Decimal("12.3456")
    assert balance.attributes["unit_of_measurement"] == "EUR"
    assert balance.attributes["device_class"] == "monetary"
    assert hass.states.get("binary_sensor.127_0_0_1_low_balance").state == "off"

    panel.set_balance(Decimal("4.99"))
    await tick(hass, freezer)  # an idle account reads its balance every 30 min
    assert hass.states.get("binary_sensor.127_0_0_1_low_balance").state == "on"


async def test_order_lifecycle(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An order goes pending, in progress, completed; events follow; polling stops."""
    freezer.move_to("2026-11-27T12:00:00+00:00")
    order = panel.create_order(1, 1000)
    seed_tracked_orders(hass_storage, mock_config_entry, tracked(order.order_id))
    bus_events = async_capture_events(hass, EVENT_ORDER_UPDATED)
    await setup_integration(hass, mock_config_entry)
    entity_id = ORDER_SENSOR.format(order.order_id)
    assert hass.states.get(entity_id).state == "pending"
    assert hass.states.get("sensor.127_0_0_1_active_orders").state == "1"

    panel.advance(360)  # 5 minutes into a 10 minute delivery
    await poll(hass)
    state = hass.states.get(entity_id)
    assert state.state == "in_progress"
    assert state.attributes["remains"] == 500
    assert state.attributes["progress"] == 50.0
    assert state.attributes["raw_status"] == "In progress"

    panel.advance(600)
    await poll(hass)
    state = hass.states.get(entity_id)
    assert state.state == "completed"
    assert state.attributes["progress"] == 100.0
    assert hass.states.get("sensor.127_0_0_1_active_orders").state == "0"

    assert [event.data for event in bus_events] == [
        {
            "config_entry_id": mock_config_entry.entry_id,
            "order_id": order.order_id,
            "previous_status": "pending",
            "status": "in_progress",
            "remains": 500,
            "charge": 0.9,
            "currency": "USD",
            "estimated_completion": None,
        },
        {
            "config_entry_id": mock_config_entry.entry_id,
            "order_id": order.order_id,
            "previous_status": "in_progress",
            "status": "completed",
            "remains": 0,
            "charge": 0.9,
            "currency": "USD",
            "estimated_completion": None,
        },
    ]
    event_state = hass.states.get("event.127_0_0_1_order_updates")
    assert event_state.attributes["event_type"] == "completed"
    assert event_state.attributes["order_id"] == order.order_id
    assert event_state.attributes["previous_status"] == "in_progress"

    # A finished order is not polled any more; the balance still is.
    panel.reset_log()
    freezer.tick(POLL)
    await poll(hass)
    assert panel.count("status") == 0
    assert panel.count("balance") == 1


async def test_unchanged_orders_write_no_state(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A refresh where an order did not move writes nothing for it."""
    order = panel.create_order(1, 1000)
    seed_tracked_orders(hass_storage, mock_config_entry, tracked(order.order_id))
    await setup_integration(hass, mock_config_entry)
    entity_id = ORDER_SENSOR.format(order.order_id)
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)

    await poll(hass)
    assert [e for e in writes if e.data["entity_id"] == entity_id] == []

    panel.advance(120)
    await poll(hass)
    assert [
        e.data["new_state"].state for e in writes if e.data["entity_id"] == entity_id
    ] == ["in_progress"]


async def test_one_bad_order_does_not_fail_the_refresh(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An id the panel does not know gets its error; the others still update."""
    order = panel.create_order(1, 1000)
    seed_tracked_orders(
        hass_storage, mock_config_entry, tracked(order.order_id), tracked(999)
    )
    await setup_integration(hass, mock_config_entry)

    panel.advance(120)
    await poll(hass)
    assert hass.states.get(ORDER_SENSOR.format(order.order_id)).state == "in_progress"
    unknown = hass.states.get(ORDER_SENSOR.format(999))
    assert unknown.state == "pending"
    assert hass.states.get("sensor.127_0_0_1_balance").state != STATE_UNAVAILABLE


async def test_tracked_orders_survive_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Unloading and setting up again with the same storage keeps the orders."""
    order = panel.create_order(1, 1000)
    seed_tracked_orders(hass_storage, mock_config_entry, tracked(order.order_id))
    await setup_integration(hass, mock_config_entry)
    panel.advance(120)
    await poll(hass)

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[storage_key(mock_config_entry)]["data"]["orders"]
    assert [(o["order_id"], o["state"]) for o in stored] == [
        (order.order_id, "in_progress")
    ]

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(ORDER_SENSOR.format(order.order_id))
    assert state.state == "in_progress"
    assert state.attributes["service_name"] == "Followers"


async def test_finished_orders_removed_after_retention(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    panel_url: str,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """A finished order stays for the retention time, then its entity goes."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        data={"api_url": panel_url, "api_key": API_KEY},
        options={CONF_RETENTION_HOURS: 1},
    )
    order = panel.create_order(1, 1000)
    seed_tracked_orders(hass_storage, entry, tracked(order.order_id))
    await setup_integration(hass, entry)
    entity_id = ORDER_SENSOR.format(order.order_id)

    panel.advance(1000)
    await tick(hass, freezer)
    assert hass.states.get(entity_id).state == "completed"

    # Nothing on its way: a refresh every 30 minutes removes it after the hour.
    await tick(hass, freezer)  # 30 minutes: still within the hour
    assert hass.states.get(entity_id) is not None

    for _ in range(2):
        await tick(hass, freezer)
    assert hass.states.get(entity_id) is None
    assert entity_registry.async_get(entity_id) is None
    assert hass_storage[storage_key(entry)]["data"]["orders"] == []


@pytest.mark.parametrize("fault", ["http500", "timeout", "html", "reset"])
async def test_panel_down_and_back(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
    fault: str,
) -> None:
    """Entities go unavailable while the panel fails, with one log line each way."""
    if fault == "timeout":
        request.getfixturevalue("short_client_timeout")
    order = panel.create_order(1, 1000)
    seed_tracked_orders(hass_storage, mock_config_entry, tracked(order.order_id))
    await setup_integration(hass, mock_config_entry)
    watched = (
        "sensor.127_0_0_1_balance",
        "binary_sensor.127_0_0_1_low_balance",
        ORDER_SENSOR.format(order.order_id),
    )
    caplog.set_level(logging.INFO)
    caplog.clear()

    panel.faults.add(Fault(fault, times=None, delay=NEVER))
    await poll(hass)
    await poll(hass)
    for entity_id in watched:
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE

    panel.faults.clear()
    await poll(hass)
    for entity_id in watched:
        assert hass.states.get(entity_id).state != STATE_UNAVAILABLE

    mine = [
        r for r in caplog.records if r.name.startswith("custom_components.smm_panel")
    ]
    assert [r.levelno for r in mine] == [logging.ERROR, logging.INFO]
    assert "recovered" in mine[1].getMessage()
    assert API_KEY not in caplog.text


async def test_outage_does_not_repeat_events(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The event entity fires each change once, even when a poll then fails."""
    order = panel.create_order(1, 1000)
    seed_tracked_orders(hass_storage, mock_config_entry, tracked(order.order_id))
    await setup_integration(hass, mock_config_entry)
    event_entity = "event.127_0_0_1_order_updates"
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)

    panel.advance(120)
    await poll(hass)
    panel.faults.add(Fault("http500", times=None))
    await poll(hass)
    panel.faults.clear()
    await poll(hass)

    # The state of an event entity is the time of its last event.
    fired = {
        (e.data["new_state"].state, e.data["new_state"].attributes["event_type"])
        for e in writes
        if e.data["entity_id"] == event_entity
        and e.data["new_state"].state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
    }
    assert [event_type for _, event_type in fired] == ["in_progress"]


async def test_tracking_during_an_outage_keeps_entities_unavailable(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Untracking while the panel is down revives no stale state, logs no more."""
    kept = panel.create_order(1, 1000)
    dropped = panel.create_order(2, 100)
    seed_tracked_orders(
        hass_storage,
        mock_config_entry,
        tracked(kept.order_id),
        tracked(dropped.order_id),
    )
    await setup_integration(hass, mock_config_entry)
    caplog.set_level(logging.INFO)
    caplog.clear()

    panel.faults.add(Fault("http500", times=None))
    await poll(hass)
    await call_action(hass, "untrack_orders", orders=[dropped.order_id])
    assert hass.states.get("sensor.127_0_0_1_balance").state == STATE_UNAVAILABLE
    assert hass.states.get(ORDER_SENSOR.format(dropped.order_id)) is None
    await poll(hass)

    panel.faults.clear()
    await poll(hass)
    assert hass.states.get("sensor.127_0_0_1_balance").state != STATE_UNAVAILABLE
    mine = [
        r for r in caplog.records if r.name.startswith("custom_components.smm_panel")
    ]
    assert [r.levelno for r in mine] == [logging.ERROR, logging.INFO]


async def test_money_is_shown_with_the_panels_decimals(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A balance of 12.3456 is shown with 4 decimals, and so is the spending."""
    panel.add_account(API_KEY, Decimal("12.3456"), "EUR")
    panel.dialect.money_decimals = 4
    await setup_integration(hass, mock_config_entry)

    for entity_id in (
        "sensor.127_0_0_1_balance",
        "sensor.127_0_0_1_spent_in_the_last_24_hours",
    ):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.options["sensor"]["suggested_display_precision"] == 4


async def test_money_has_at_least_two_decimals(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A panel sending whole amounts still shows cents."""
    panel.dialect.money_decimals = 0
    await setup_integration(hass, mock_config_entry)

    entry = entity_registry.async_get("sensor.127_0_0_1_balance")
    assert entry is not None
    assert entry.options["sensor"]["suggested_display_precision"] == 2


@pytest.mark.parametrize("language", ["en", "ar"])
def test_entity_words_are_translated(language: str) -> None:
    """The low-balance states and the order's new attributes have names of their own."""
    path = (
        Path(__file__).parents[3]
        / "custom_components"
        / "smm_panel"
        / "translations"
        / f"{language}.json"
    )
    entity = json.loads(path.read_text(encoding="utf-8"))["entity"]
    assert set(entity["binary_sensor"]["low_balance"]["state"]) == {"on", "off"}
    attributes = entity["sensor"]["order"]["state_attributes"]
    assert attributes["error"]["name"]
    assert attributes["estimated_completion"]["name"]
