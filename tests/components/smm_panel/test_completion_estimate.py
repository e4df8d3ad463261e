"""The completion estimate and the progress of an order (issue 18 items 2 and 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.smm_panel.const import EVENT_ORDER_UPDATED
from custom_components.smm_panel.pace import Pace
from simulator import PanelSimulator

from .conftest import ORDER_SENSOR, call_action
from .test_adaptive_polling import wait

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """Return the time `minutes` after START."""
    return START + timedelta(minutes=minutes)


def follow(*samples: tuple[float, int]) -> Pace:
    """Return the pace after refreshes saw (minute, remains) samples."""
    (first_at, first), *rest = samples
    pace = Pace.begin(at(first_at), first)
    for minute, remains in rest:
        pace = pace.observe(at(minute), remains)
    return pace


def test_steady_delivery_gives_the_right_time() -> None:
    """1000 units, 10 a minute: delivered 100 minutes after the start."""
    pace = follow((0, 1000), (5, 950), (20, 800))
    assert pace.estimate(at(20)) == at(100)


def test_stalled_delivery_gives_no_estimate_until_it_goes_on() -> None:
    """No change for far longer than the pace allows: no estimate, not a wrong one."""
    pace = follow((0, 1000), (5, 950), (10, 900), (15, 900), (40, 900))
    assert pace.estimate(at(40)) is None
    # Delivery goes on: a new run from the last still sample.
    pace = pace.observe(at(45), 850)
    assert pace.estimate(at(45)) == at(45) + timedelta(minutes=85)


def test_estimate_is_never_in_the_past() -> None:
    """Behind its pace (not yet a stall): no estimate rather than a past time."""
    pace = follow((0, 100), (10, 50))
    assert pace.estimate(at(10)) == at(20)
    assert pace.estimate(at(21)) is None


def test_jump_starts_a_new_run() -> None:
    """A burst says nothing of the pace after it: no estimate until the next step."""
    pace = follow((0, 1000), (10, 990), (20, 980), (25, 300))
    assert pace.estimate(at(25)) is None
    pace = pace.observe(at(35), 200)
    assert pace.estimate(at(35)) == at(35) + timedelta(minutes=20)


def test_rising_remains_start_a_new_run() -> None:
    """A refill or a panel's reset: the old pace is forgotten."""
    pace = follow((0, 1000), (10, 900), (20, 1000))
    assert pace.estimate(at(20)) is None
    pace = pace.observe(at(30), 950)
    assert pace.estimate(at(30)) == at(30) + timedelta(minutes=190)


@pytest.fixture
def slow_panel(panel: PanelSimulator) -> PanelSimulator:
    """A panel that starts orders after a minute and delivers them in an hour."""
    panel.pending_seconds = 60
    panel.delivery_seconds = 3600
    return panel


async def test_estimate_on_the_sensor_the_event_and_order_status(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    slow_panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """The estimate is null at first, then the real completion time, in UTC."""
    freezer.move_to(START)
    events = async_capture_events(hass, EVENT_ORDER_UPDATED)
    response = await call_action(
        hass, "add_order", service=1, link="https://instagram.com/p/e", quantity=1000
    )
    order_id = response["order"]
    sensor = ORDER_SENSOR.format(order_id)
    assert hass.states.get(sensor).attributes["estimated_completion"] is None
    assert hass.states.get(sensor).attributes["progress"] == 0.0

    await wait(hass, freezer, slow_panel, 120)
    assert events[0].data["status"] == "in_progress"
    assert events[0].data["estimated_completion"] is None  # one sample so far
    await wait(hass, freezer, slow_panel, 600, step=15)

    # Placed at 12:00, pending for a minute, delivered in an hour: 13:01.
    shown = hass.states.get(sensor).attributes["estimated_completion"]
    estimate = dt_util.parse_datetime(shown)
    assert estimate is not None
    assert estimate.utcoffset() == timedelta(0)
    # Within 5 % of the delivery time (the first samples are a minute apart).
    assert abs(estimate - (START + timedelta(minutes=61))) <= timedelta(minutes=3)

    result = await call_action(hass, "order_status", orders=[order_id, 1])
    assert result["orders"][0]["estimated_completion"] == shown
    assert "estimated_completion" not in result["orders"][1]  # an error item


async def test_pending_progress_is_zero_whatever_remains_says(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """A PHP panel's `remains: 0` for a pending order is not 100 % delivered."""
    order = panel.create_order(1, 1000)
    panel.set_order_status(order.order_id, "Pending", remains=0)
    await call_action(hass, "track_orders", orders=[order.order_id])
    attributes = hass.states.get(ORDER_SENSOR.format(order.order_id)).attributes
    assert attributes["progress"] == 0.0
    assert attributes["estimated_completion"] is None


@pytest.mark.parametrize(("remains", "progress"), [(0, None), (400, 60.0)])
async def test_canceled_order_never_shows_100_percent(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
    remains: int,
    progress: float | None,
) -> None:
    """A canceled order's remains of 0 mean "stopped counting", not "delivered"."""
    response = await call_action(
        hass, "add_order", service=1, link="https://instagram.com/p/c", quantity=1000
    )
    order_id = response["order"]
    panel.set_order_status(order_id, "Canceled", remains=remains)
    await wait(hass, freezer, panel, 60)
    state = hass.states.get(ORDER_SENSOR.format(order_id))
    assert state.state == "canceled"
    assert state.attributes["progress"] == progress
    assert "error" not in state.attributes
