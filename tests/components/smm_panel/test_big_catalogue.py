"""A huge catalogue (issue 17 item 5): bounded events, compact storage, no stall.

A panel with 190 000 services made Home Assistant stall for seconds, fired a
31 MB event and kept ~100 MB per account. These tests prove the structure
through Home Assistant: the event lists at most 100 services of each kind
with the totals, the store keeps only what is compared (and still reads what
earlier versions stored), the comparison runs while the event loop goes on,
and callers that come together fetch once. No test measures time: the
figures are in tests/bench/bench_catalogue.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.smm_panel import catalogue_watch
from custom_components.smm_panel.const import DOMAIN, EVENT_CATALOGUE_CHANGED
from simulator import PanelSimulator
from simulator.catalogue import EXTRA_FIRST_ID, SimService

from ...loop_witness import LoopWitness
from .conftest import call_action, poll, setup_integration

# An idle account asks for the catalogue every 3 hours.
NEXT_CATALOGUE = timedelta(hours=3, minutes=1)
ONE_MORE = {"maxs": "1,2"}


def catalogue_key(entry: MockConfigEntry) -> str:
    """Return the storage key of an entry's remembered catalogue."""
    return f"{DOMAIN}.{entry.entry_id}.catalogue"


def grow(panel: PanelSimulator, count: int) -> list[int]:
    """Give the panel `count` more services; return their ids."""
    services = PanelSimulator(extra_services=count).services
    extra = [service_id for service_id in services if service_id >= EXTRA_FIRST_ID]
    for service_id in extra:
        panel.services[service_id] = services[service_id]
    panel._services_cache.clear()
    return extra


def panel_changed(panel: PanelSimulator) -> None:
    """Serve the panel's services as they are now."""
    panel._services_cache.clear()


async def events_at_the_next_catalogue(
    hass: HomeAssistant,
    panel: PanelSimulator,
    freezer: FrozenDateTimeFactory,
    change: Callable[[dict[int, SimService]], object],
) -> list[Event]:
    """Change the panel's services; return the catalogue events of the next poll."""
    events = async_capture_events(hass, EVENT_CATALOGUE_CHANGED)
    change(panel.services)
    panel_changed(panel)
    freezer.tick(NEXT_CATALOGUE)
    await poll(hass)
    return events


async def test_a_mass_change_fires_one_bounded_event(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """150 changed, 120 removed, 130 added: 100 of each listed, all counted."""
    extra = grow(panel, 300)
    await setup_integration(hass, mock_config_entry)
    changed, removed = extra[:150], extra[150:270]
    added = list(range(50_000, 50_130))

    def change(services: dict[int, SimService]) -> None:
        for service_id in changed:
            service = services[service_id]
            services[service_id] = replace(service, rate=service.rate + 1)
        for service_id in removed:
            del services[service_id]
        for service_id in added:
            services[service_id] = replace(services[1], service_id=service_id)

    (event,) = await events_at_the_next_catalogue(hass, panel, freezer, change)
    data = event.data
    assert data["totals"] == {"added": 130, "removed": 120, "changed": 150}
    assert data["truncated"] is True
    # The first 100 of each kind, in the panel's order.
    assert [item["service"] for item in data["changed"]] == changed[:100]
    assert [item["service"] for item in data["removed"]] == removed[:100]
    assert [item["service"] for item in data["added"]] == added[:100]
    first = panel.services[changed[0]]
    assert data["changed"][0] == {
        "service": changed[0],
        "name": first.name,
        "rate": {"old": float(first.rate - 1), "new": float(first.rate)},
    }
    assert len(json.dumps(data)) < 64 * 1024


async def test_a_small_change_is_listed_whole(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Below the bound every change is listed, and the event says so."""
    await setup_integration(hass, mock_config_entry)

    def change(services: dict[int, SimService]) -> None:
        services[1] = replace(services[1], min=100, max=20_000)

    (event,) = await events_at_the_next_catalogue(hass, panel, freezer, change)
    assert event.data["totals"] == {"added": 0, "removed": 0, "changed": 1}
    assert event.data["truncated"] is False
    assert event.data["changed"] == [
        {
            "service": 1,
            "name": panel.services[1].name,
            "min": {"old": 50, "new": 100},
            "max": {"old": 10_000, "new": 20_000},
        }
    ]


async def test_a_rate_written_differently_is_no_change(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A rate of 0.90, then 0.900, is the same price: nothing to tell."""
    await setup_integration(hass, mock_config_entry)

    def change(services: dict[int, SimService]) -> None:
        services[1] = replace(services[1], rate=Decimal("0.900"))

    assert await events_at_the_next_catalogue(hass, panel, freezer, change) == []


async def test_the_remembered_catalogue_keeps_only_what_is_compared(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Stored: five texts (ids, names, rates, mins, maxs), no object per service."""
    grow(panel, 1000)
    await setup_integration(hass, mock_config_entry)

    stored = hass_storage[catalogue_key(mock_config_entry)]["data"]
    assert list(stored) == ["columns"]
    columns = stored["columns"]
    assert sorted(columns) == ["ids", "maxs", "mins", "names", "rates"]
    assert all(isinstance(text, str) for text in columns.values())
    services = list(panel.services.values())
    assert columns["ids"].split(",") == [str(s.service_id) for s in services]
    assert columns["names"].split("\n") == [s.name for s in services]
    assert columns["rates"].split(",") == [str(s.rate) for s in services]
    assert columns["mins"].split(",") == [str(s.min) for s in services]
    assert columns["maxs"].split(",") == [str(s.max) for s in services]


async def test_a_catalogue_stored_by_an_earlier_version_is_compared(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The store of earlier versions (one object per service) is read, then replaced."""
    old = {
        str(service.service_id): {
            "name": service.name,
            "rate": str(service.rate),
            "min": service.min,
            "max": service.max,
        }
        for service in panel.services.values()
    }
    old["1"]["rate"] = "0.5"
    old["424242"] = {"name": "Gone", "rate": "1", "min": 1, "max": 2}
    old["424243"] = {"name": "Hand-edited", "rate": None, "min": 1, "max": 2}
    key = catalogue_key(mock_config_entry)
    hass_storage[key] = {"version": 1, "key": key, "data": {"services": old}}
    events = async_capture_events(hass, EVENT_CATALOGUE_CHANGED)

    await setup_integration(hass, mock_config_entry)

    (event,) = events
    assert event.data["changed"] == [
        {"service": 1, "name": panel.services[1].name, "rate": {"old": 0.5, "new": 0.9}}
    ]
    assert event.data["removed"] == [{"service": 424242, "name": "Gone"}]
    assert list(hass_storage[key]["data"]) == ["columns"]


@pytest.mark.parametrize(
    "stored",
    [
        {"columns": {"ids": "1,2", "names": "one", "rates": "1,2"}},
        {"columns": dict.fromkeys(["ids", "names", "rates", "mins"], "1") | ONE_MORE},
        {"columns": {"ids": [1], "names": "a", "rates": "1", "mins": "1", "maxs": "1"}},
        {"services": []},
        [],
    ],
    ids=[
        "a column missing",
        "columns of different lengths",
        "a column not a text",
        "not a mapping",
        "not an object",
    ],
)
async def test_an_unreadable_remembered_catalogue_starts_anew(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    stored: Any,
) -> None:
    """A store that cannot be read is replaced; nothing is told, nothing breaks."""
    key = catalogue_key(mock_config_entry)
    hass_storage[key] = {"version": 1, "key": key, "data": stored}
    events = async_capture_events(hass, EVENT_CATALOGUE_CHANGED)

    with caplog.at_level(logging.WARNING):
        await setup_integration(hass, mock_config_entry)

    assert events == []
    assert "remembered catalogue could not be read" in caplog.text
    assert list(hass_storage[key]["data"]) == ["columns"]


async def test_a_hand_edited_service_is_left_out(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A stored service whose rate cannot be read counts as new, nothing else."""
    services = list(panel.services.values())
    key = catalogue_key(mock_config_entry)
    columns = {
        "ids": ",".join(str(s.service_id) for s in services),
        "names": "\n".join(s.name for s in services),
        "rates": ",".join(["cheap", *(str(s.rate) for s in services[1:])]),
        "mins": ",".join(str(s.min) for s in services),
        "maxs": ",".join(str(s.max) for s in services),
    }
    hass_storage[key] = {"version": 1, "key": key, "data": {"columns": columns}}
    events = async_capture_events(hass, EVENT_CATALOGUE_CHANGED)

    await setup_integration(hass, mock_config_entry)

    (event,) = events
    assert [item["service"] for item in event.data["added"]] == [1]
    assert event.data["totals"] == {"added": 1, "removed": 0, "changed": 0}


async def test_the_loop_runs_while_a_catalogue_is_compared(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Comparing 150 000 services takes a while: the event loop goes on meanwhile."""
    await setup_integration(hass, mock_config_entry)
    witness = LoopWitness(hass.loop)
    monkeypatch.setattr(
        catalogue_watch, "compare", witness.witnessing(catalogue_watch.compare)
    )
    name = panel.services[2].name
    events = await events_at_the_next_catalogue(
        hass, panel, freezer, lambda services: services.pop(2)
    )

    assert witness.ran
    assert [event.data["removed"] for event in events] == [
        [{"service": 2, "name": name}]
    ]


async def test_callers_that_come_together_fetch_the_catalogue_once(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Two actions needing a stale catalogue at once: one `services` request."""
    await setup_integration(hass, mock_config_entry)
    freezer.tick(NEXT_CATALOGUE)
    panel.reset_log()

    first, second = await asyncio.gather(
        call_action(hass, "list_services", search="followers"),
        call_action(hass, "list_services", search="likes"),
    )

    assert panel.count("services") == 1
    assert first["services"]
    assert second["services"]


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("rate", lambda item: (item["rate"], item["name"].casefold())),
        ("name", lambda item: (item["name"].casefold(), item["rate"])),
        ("min", lambda item: (item["min"], item["rate"])),
    ],
)
async def test_list_services_sorts_a_large_catalogue(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    sort: str,
    key: Any,
) -> None:
    """5 000 services (sorted in runs, merged): the same order as one sort."""
    grow(panel, 5000)
    await setup_integration(hass, mock_config_entry)

    response = await call_action(hass, "list_services", sort=sort)

    services = response["services"]
    assert len(services) == len(panel.services)
    assert services == sorted(services, key=key)
    assert services != sorted(services, key=lambda item: item["service"])
