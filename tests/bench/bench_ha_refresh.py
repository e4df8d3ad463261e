"""Benchmark: one refresh of many tracked orders inside Home Assistant.

Not part of the test suite (the file name does not match `test_*.py`):
`scripts/bench` runs it with `SMM_BENCH_OUT` set to a JSON file for the
figures. Run alone with `python -m pytest tests/bench/bench_ha_refresh.py -s
--no-cov`.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import time
from typing import Any

from homeassistant.const import CONF_API_KEY, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smm_panel.const import CONF_API_URL, DOMAIN
from simulator import Fault, PanelSimulator

from ..conftest import API_KEY

ORDERS = int(os.environ.get("SMM_BENCH_ORDERS", "1000"))
LATENCY = float(os.environ.get("SMM_BENCH_LATENCY", "0.05"))
ORDER_ENTITY_PREFIX = "sensor.127_0_0_1_order_"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture(autouse=True)
def enable_event_loop_debug(event_loop: asyncio.AbstractEventLoop) -> None:
    """Measure without asyncio's debug mode: Home Assistant runs without it."""
    event_loop.set_debug(False)


async def test_refresh_of_many_orders(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    panel_url: str,
) -> None:
    """Time a refresh where every order changed, then one where none did."""
    panel.set_balance(10**6)
    order_ids = [
        panel.create_order(1, 1000, link=f"https://instagram.com/p/b{i}").order_id
        for i in range(ORDERS)
    ]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        data={CONF_API_URL: panel_url, CONF_API_KEY: API_KEY},
    )
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {
            "orders": [
                {"order_id": i, "service_id": 1, "quantity": 1000, "state": "pending"}
                for i in order_ids
            ],
            "refills": [],
        },
    }
    entry.add_to_hass(hass)
    setup_start = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    setup_s = time.perf_counter() - setup_start
    coordinator = entry.runtime_data
    panel.faults.add(Fault("latency", delay=LATENCY, times=None))

    # The listeners are where entities write their state: time them apart.
    listeners_s: list[float] = []
    update_listeners = coordinator.async_update_listeners

    def timed_update_listeners() -> None:
        start = time.perf_counter()
        update_listeners()
        listeners_s.append(time.perf_counter() - start)

    coordinator.async_update_listeners = timed_update_listeners  # type: ignore[method-assign]

    writes: list[str] = []

    @callback
    def count_write(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"].startswith(ORDER_ENTITY_PREFIX):
            writes.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, count_write)

    async def measured_refresh() -> dict[str, Any]:
        panel.reset_log()
        writes.clear()
        listeners_s.clear()
        start = time.perf_counter()
        await coordinator.async_refresh()
        # Entities write synchronously from the listeners: all is written now.
        refresh_s = time.perf_counter() - start
        await hass.async_block_till_done()
        assert coordinator.last_update_success
        return {
            "requests": len(panel.requests),
            "refresh_s": refresh_s,
            "listeners_s": sum(listeners_s),
            "order_writes": len(writes),
        }

    panel.advance(120)  # every order goes from Pending to In progress
    changed = await measured_refresh()
    states = {hass.states.get(f"{ORDER_ENTITY_PREFIX}{i}").state for i in order_ids}
    assert states == {"in_progress"}
    unchanged = await measured_refresh()

    figures = {
        "orders": ORDERS,
        "latency_s": LATENCY,
        "setup_s": setup_s,
        "changed": changed,
        "unchanged": unchanged,
    }
    print(json.dumps(figures, indent=2))
    assert changed["order_writes"] == ORDERS
    if out := os.environ.get("SMM_BENCH_OUT"):
        Path(out).write_text(json.dumps(figures))
