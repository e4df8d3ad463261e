"""Guard rails and watchers: spending limit, duplicate guard, catalogue, prices."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.smm_panel.config_flow import account_unique_id
from custom_components.smm_panel.const import (
    CONF_API_URL,
    CONF_DUPLICATE_WINDOW,
    CONF_SPENDING_LIMIT,
    DOMAIN,
    EVENT_CATALOGUE_CHANGED,
)
from simulator import PanelSimulator
from simulator.catalogue import SimService

from .conftest import SECOND_KEY, call_action, poll, setup_integration

LINK = "https://instagram.com/p/guarded"
SPENT = "sensor.127_0_0_1_spent_in_the_last_24_hours"


def followers(quantity: int, **fields: Any) -> dict[str, Any]:
    """Return an order of service 1 (0.90 per 1000)."""
    return {"service": 1, "link": LINK, "quantity": quantity, **fields}


def finish_all(panel: PanelSimulator) -> None:
    """Finish every order on the panel (it refuses a second active order per link)."""
    for order_id in panel.orders:
        panel.set_order_status(order_id, "Completed")


def with_options(entry: MockConfigEntry, **options: Any) -> MockConfigEntry:
    """Return a copy of the (not yet added) entry with these options."""
    return MockConfigEntry(
        domain=entry.domain,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        entry_id=entry.entry_id,
        options=options,
    )


# --- 1. spending limit ------------------------------------------------------------


async def test_spending_limit_refuses_before_sending(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """1: 0.90 spent of a 1.00 limit: an order of 0.45 is refused, not sent."""
    entry = with_options(mock_config_entry, **{CONF_SPENDING_LIMIT: 1.0})
    await setup_integration(hass, entry)
    await call_action(hass, "add_order", **followers(1000))
    assert float(hass.states.get(SPENT).state) == pytest.approx(0.9)

    dry = await call_action(hass, "add_order", **followers(500, dry_run=True))
    assert dry["within_spending_limit"] is False
    assert dry["spent_last_24h"] == pytest.approx(0.9)
    assert dry["spending_limit"] == 1.0

    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", **followers(500))
    assert err.value.translation_key == "spending_limit"
    assert err.value.translation_placeholders == {
        "limit": "1.00",
        "spent": "0.90",
        "estimate": "0.45",
        "currency": "USD",
    }
    assert panel.count("add") == 1
    # Under the limit, it goes through.
    finish_all(panel)
    await call_action(hass, "add_order", **followers(100))
    assert panel.count("add") == 2


async def test_spent_counts_the_charge_survives_restart_and_ages_out(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """1: the panel's charge replaces the estimate; restarts keep it; 24 h end it."""
    await setup_integration(hass, mock_config_entry)
    response = await call_action(hass, "add_order", **followers(1000))
    panel.set_order_status(response["order"], "Partial", remains=500)
    order = panel.orders[response["order"]]
    order.charge = Decimal("0.45")  # refunded for what was not delivered
    await poll(hass)
    assert float(hass.states.get(SPENT).state) == pytest.approx(0.45)

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert float(hass.states.get(SPENT).state) == pytest.approx(0.45)

    freezer.tick(timedelta(hours=24, minutes=1))
    await poll(hass)
    assert float(hass.states.get(SPENT).state) == 0


# --- 2. duplicate guard -------------------------------------------------------------


async def test_the_same_order_twice_is_refused_unless_allowed(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """2: an automation firing twice places one order; allow_duplicate places two."""
    await setup_integration(hass, mock_config_entry)
    first = await call_action(hass, "add_order", **followers(1000))

    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", **followers(1000))
    # Within a minute: "less than a minute ago", not "0 min ago".
    assert err.value.translation_key == "duplicate_order_just_now"
    assert err.value.translation_placeholders["order_id"] == str(first["order"])
    assert panel.count("add") == 1

    dry = await call_action(hass, "add_order", **followers(1000, dry_run=True))
    assert dry["duplicate_of"] == first["order"]
    finish_all(panel)
    await call_action(hass, "add_order", **followers(1000, allow_duplicate=True))
    assert panel.count("add") == 2

    # Another quantity is another order; after the window, the same one is fine.
    finish_all(panel)
    await call_action(hass, "add_order", **followers(999))
    freezer.tick(timedelta(minutes=11))
    finish_all(panel)
    await call_action(hass, "add_order", **followers(1000))
    assert panel.count("add") == 4


async def test_duplicate_guard_can_be_turned_off(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """2: a window of 0 minutes turns the guard off."""
    entry = with_options(mock_config_entry, **{CONF_DUPLICATE_WINDOW: 0})
    await setup_integration(hass, entry)
    await call_action(hass, "add_order", **followers(1000))
    finish_all(panel)
    await call_action(hass, "add_order", **followers(1000))
    assert panel.count("add") == 2


# --- 3. catalogue watcher ------------------------------------------------------------


async def test_catalogue_changes_fire_one_event(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """3: the first catalogue fires nothing; later a change, a removal, an addition."""
    events = async_capture_events(hass, EVENT_CATALOGUE_CHANGED)
    await setup_integration(hass, mock_config_entry)
    placed = await call_action(hass, "add_order", service=2, link=LINK, quantity=100)
    assert events == []

    old = panel.services[1]
    panel.services[1] = SimService(**{**_fields(old), "rate": Decimal("1.10")})
    del panel.services[2]
    panel.services[9999] = SimService(**{**_fields(old), "service_id": 9999})
    panel._services_cache.clear()
    freezer.tick(timedelta(hours=1, minutes=1))
    await poll(hass)

    assert len(events) == 1
    data = events[0].data
    assert data["config_entry_id"] == mock_config_entry.entry_id
    assert data["changed"] == [
        {"service": 1, "name": old.name, "rate": {"old": 0.9, "new": 1.1}}
    ]
    assert [item["service"] for item in data["removed"]] == [2]
    assert [item["service"] for item in data["added"]] == [9999]
    # The order of the removed service is still followed.
    state = hass.states.get(f"sensor.127_0_0_1_order_{placed['order']}")
    assert state.state != "unavailable"

    freezer.tick(timedelta(hours=1, minutes=1))
    await poll(hass)
    assert len(events) == 1  # nothing changed since


async def test_catalogue_is_remembered_across_restarts(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """3: a change made while Home Assistant was down is told after the restart."""
    await setup_integration(hass, mock_config_entry)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    old = panel.services[1]
    panel.services[1] = SimService(**{**_fields(old), "max": 500})
    panel._services_cache.clear()
    events = async_capture_events(hass, EVENT_CATALOGUE_CHANGED)

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert [e.data["changed"] for e in events] == [
        [{"service": 1, "name": old.name, "max": {"old": old.max, "new": 500}}]
    ]


def _fields(service: SimService) -> dict[str, Any]:
    return {name: getattr(service, name) for name in SimService.__dataclass_fields__}


# --- 4. prices across accounts ----------------------------------------------


async def test_list_services_searches_every_account(
    hass: HomeAssistant,
    panel: PanelSimulator,
    panel_url: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """4: without an account, every account's services, tagged, cheapest first."""
    panel.add_account(SECOND_KEY, Decimal(50), "USD")
    await setup_integration(hass, mock_config_entry)
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Reseller two",
        unique_id=account_unique_id(panel_url, SECOND_KEY),
        data={CONF_API_URL: panel_url, CONF_API_KEY: SECOND_KEY},
    )
    await setup_integration(hass, second)

    response = await call_action(hass, "list_services", search="followers", sort="rate")
    services = response["services"]
    assert {item["account"] for item in services} == {"127.0.0.1", "Reseller two"}
    assert {item["config_entry_id"] for item in services} == {
        mock_config_entry.entry_id,
        second.entry_id,
    }
    rates = [item["rate"] for item in services]
    assert rates == sorted(rates)
    assert len(services) % 2 == 0  # one panel: the same services twice

    one = await call_action(
        hass,
        "list_services",
        config_entry_id=second.entry_id,
        search="followers",
        sort="name",
    )
    assert "account" not in one["services"][0]
    names = [item["name"].casefold() for item in one["services"]]
    assert names == sorted(names)
