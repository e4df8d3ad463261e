"""Adaptive polling: the interval the integration chooses in each state (issue 18).

Time is moved for Home Assistant (the freezer and `async_fire_time_changed`)
and for the simulated panel together, in small steps; no test sleeps. The
panel logs every request with its own clock, so the tests read when the
integration asked what.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
from itertools import pairwise
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.smm_panel.api import SmmPanelClient
from custom_components.smm_panel.const import EVENT_ORDER_UPDATED
from simulator import Fault, PanelSimulator, RateLimit

from .conftest import ORDER_SENSOR, POLL, call_action, setup_integration

BALANCE = "sensor.127_0_0_1_balance"


async def wait(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    panel: PanelSimulator,
    seconds: float,
    step: float = 5,
) -> None:
    """Let `seconds` pass for Home Assistant and the panel, `step` at a time."""
    done = 0.0
    while done < seconds:
        freezer.tick(timedelta(seconds=step))
        panel.advance(step)
        done += step
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


def times(panel: PanelSimulator, action: str) -> list[float]:
    """Return the panel's clock at each request of `action`."""
    return [r.time for r in panel.requests if r.action == action]


def gaps(moments: list[float]) -> list[float]:
    """Return the time between consecutive moments."""
    return [b - a for a, b in pairwise(moments)]


async def place_order(hass: HomeAssistant, quantity: int = 1000) -> int:
    """Place a Followers order through the action; return its id."""
    response = await call_action(
        hass,
        "add_order",
        service=1,
        link="https://instagram.com/p/adaptive",
        quantity=quantity,
    )
    return int(response["order"])


@pytest.fixture
def slow_panel(panel: PanelSimulator) -> PanelSimulator:
    """A panel that starts orders after 3 minutes and delivers them in 2 hours."""
    panel.pending_seconds = 180
    panel.delivery_seconds = 7200
    return panel


async def test_idle_account_asks_for_the_balance_every_half_hour(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """Nothing on its way: only the balance, every 30 minutes, nothing else."""
    await wait(hass, freezer, panel, 2 * 3600 + 60, step=30)

    assert times(panel, "status") == []
    balance = times(panel, "balance")
    assert len(balance) == 4
    assert all(1800 <= gap <= 1830 for gap in gaps(balance))
    coordinator = loaded_entry.runtime_data
    assert coordinator.update_interval == timedelta(minutes=30)


async def test_idle_account_asks_for_the_catalogue_every_three_hours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """Nothing on its way: the catalogue (for its change events) every 3 hours."""
    await wait(hass, freezer, panel, 7 * 3600 + 60, step=60)

    services = times(panel, "services")  # 3 and 6 hours after the setup's
    assert len(services) == 2
    assert all(3 * 3600 <= gap <= 3 * 3600 + 1830 for gap in gaps(services))


async def test_catalogue_is_asked_for_hourly_while_an_order_runs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    slow_panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """An order on its way (a 2-hour delivery): the catalogue once an hour."""
    started = slow_panel.clock.now  # the catalogue was fetched at setup
    await place_order(hass)
    await wait(hass, freezer, slow_panel, 2 * 3600, step=30)

    # Asked for again an hour after the setup's (idle: 3 hours after).
    (services,) = times(slow_panel, "services")
    assert 3600 <= services - started <= 3600 + 600


async def test_pending_order_change_reaches_an_automation_within_a_minute(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    slow_panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """A placed order is looked at every 40 s while pending; its start is seen soon."""
    events = async_capture_events(hass, EVENT_ORDER_UPDATED)
    placed_at = slow_panel.clock.now
    order_id = await place_order(hass)
    await wait(hass, freezer, slow_panel, 300)

    started = [e for e in events if e.data["status"] == "in_progress"]
    assert [e.data["order_id"] for e in started] == [order_id]
    # The panel started it 180 s after placing; the event came at most 60 s later.
    seen_at = min(t for t in times(slow_panel, "status") if t >= placed_at + 180)
    assert seen_at - (placed_at + 180) <= 60
    pending_polls = [t for t in times(slow_panel, "status") if t < placed_at + 180]
    assert all(gap <= 50 for gap in gaps(pending_polls))
    assert len(pending_polls) >= 3


async def test_long_order_is_looked_at_rarely_then_often_near_its_end(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    slow_panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """A 2-hour delivery: long waits in the middle, a look a minute near the end."""
    events = async_capture_events(hass, EVENT_ORDER_UPDATED)
    placed_at = slow_panel.clock.now
    order_id = await place_order(hass)
    completed_at = placed_at + 180 + 7200
    await wait(hass, freezer, slow_panel, 180 + 7200 + 300, step=15)

    assert [e.data["status"] for e in events] == ["in_progress", "completed"]
    status = times(slow_panel, "status")
    middle = [t for t in status if placed_at + 1200 <= t <= completed_at - 1800]
    # Far from the end the integration waits up to 15 minutes between looks.
    assert max(gaps(middle)) >= 600
    # Near the end it looks often: the completion is seen within about a minute.
    seen = min(t for t in status if t >= completed_at)
    assert seen - completed_at <= 75
    # The completion estimate was shown while the order ran, then cleared.
    state = hass.states.get(ORDER_SENSOR.format(order_id))
    assert state.attributes["estimated_completion"] is None
    assert state.attributes["progress"] == 100.0
    # Fewer requests than a poll every 5 minutes over the same time.
    assert len(status) < (180 + 7200 + 300) / 300, status


async def test_update_entity_refreshes_at_once_and_the_balance_at_most_every_150_s(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """update_entity works at once; an automation calling it often spares the panel."""
    assert await async_setup_component(hass, "homeassistant", {})
    await wait(hass, freezer, panel, 200, step=20)
    panel.reset_log()
    asked_at = panel.clock.now
    for _ in range(30):  # every 10 s for 5 minutes
        await hass.services.async_call(
            "homeassistant", "update_entity", {"entity_id": BALANCE}, blocking=True
        )
        await wait(hass, freezer, panel, 10, step=10)

    balance = times(panel, "balance")
    assert balance[0] == asked_at  # the first call refreshed at once
    assert all(gap >= 150 for gap in gaps(balance))
    assert len(balance) == 2  # in 300 s


async def test_update_entity_asks_for_orders_that_are_not_due(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    slow_panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """The user's refresh asks for every order at once, whatever the plan says."""
    assert await async_setup_component(hass, "homeassistant", {})
    await place_order(hass)
    await wait(hass, freezer, slow_panel, 5, step=5)
    slow_panel.reset_log()
    asked_at = slow_panel.clock.now
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": BALANCE}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert times(slow_panel, "status") == [asked_at]


async def test_rate_limit_retry_after_stretches_the_interval(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    slow_panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """A panel asking to wait 10 minutes is not asked again before then."""
    await place_order(hass)
    await wait(hass, freezer, slow_panel, 60)
    slow_panel.faults.add(Fault("http429", retry_after=600))
    slow_panel.reset_log()
    await wait(hass, freezer, slow_panel, 900, step=10)

    # The refused read is not retried (the wait is longer than a retry's).
    refused, *later = [r.time for r in slow_panel.requests]
    assert later
    assert later[0] - refused >= 600
    coordinator = loaded_entry.runtime_data
    assert coordinator.last_update_success


async def test_outage_backs_off_and_recovers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    slow_panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Failed refreshes in a row wait 1, 2, 4, 8... minutes, and say so at debug."""
    caplog.set_level(logging.DEBUG, logger="custom_components.smm_panel")
    await place_order(hass)
    slow_panel.faults.add(Fault("http500", times=None))
    slow_panel.reset_log()
    await wait(hass, freezer, slow_panel, 1900, step=10)

    # Each refresh sends one status read and its two retries.
    attempts = times(slow_panel, "status")[::3]
    assert [round(g / 60) for g in gaps(attempts)][:4] == [1, 2, 4, 8]
    assert "refresh(es) failed in a row" in caplog.text

    slow_panel.faults.clear()
    await wait(hass, freezer, slow_panel, 1800, step=10)
    assert loaded_entry.runtime_data.last_update_success
    assert loaded_entry.runtime_data.update_interval < timedelta(minutes=5)


async def test_next_refresh_is_logged_and_planned(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    slow_panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Placing an order on an idle account brings the next look forward at once."""
    caplog.set_level(logging.DEBUG, logger="custom_components.smm_panel")
    coordinator = loaded_entry.runtime_data
    assert coordinator.update_interval == timedelta(minutes=30)
    await place_order(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.update_interval == timedelta(seconds=40)
    assert coordinator.next_refresh is not None
    assert "Next refresh of 127.0.0.1 in 0:00:40: " in caplog.text


async def test_polls_and_actions_share_one_request_budget(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Polls, update_entity and actions at once never meet the panel's rate limit.

    Scaled down in time: the panel allows 18 requests per 0.4 s window (as
    120 a minute), the account's budget is 15 per 0.4 s (as 100 a minute).
    """
    budget = partial(SmmPanelClient, max_requests_per_minute=15, rate_window=0.4)
    with patch("custom_components.smm_panel.account.SmmPanelClient", budget):
        await setup_integration(hass, mock_config_entry)
    assert await async_setup_component(hass, "homeassistant", {})
    order_ids = [panel.create_order(1, 1000).order_id for _ in range(3)]
    await call_action(hass, "track_orders", orders=order_ids)
    panel.rate_limit = RateLimit(limit=18, window=0.4, as_text=True)
    panel.reset_log()

    async def poll_soon() -> None:
        async_fire_time_changed(hass, dt_util.utcnow() + POLL)
        await hass.services.async_call(
            "homeassistant", "update_entity", {"entity_id": BALANCE}, blocking=True
        )

    await asyncio.gather(
        *(call_action(hass, "order_status", orders=order_ids) for _ in range(40)),
        *(call_action(hass, "refill_status", refills=[1]) for _ in range(10)),
        *(poll_soon() for _ in range(10)),
    )
    await hass.async_block_till_done()

    assert panel.count("status") >= 40
    assert panel.rate_limit.refused == 0
    assert panel.rate_limit.max_per_window() <= 15
