"""Benchmark: how fresh the integration is, and what it costs the panel, over a day.

Not part of the test suite (the file name does not match `test_*.py`):
`scripts/bench` runs it with `SMM_BENCH_OUT` set to a JSON file for the
figures. Run alone with `python -m pytest tests/bench/bench_freshness.py -s
--no-cov`.

One simulated day, Home Assistant's clock (the freezer) and the simulated
panel's clock moved together, from one event to the next (a scheduled
refresh, or a change on the panel): nothing sleeps, and a day takes seconds.
The workload, drawn with a fixed seed: about 20 orders placed through
`smm_panel.add_order` at random times, each pending 1-10 minutes, then
delivered over 10 minutes to 12 hours at a steady or an uneven pace; some end
partial (delivery stops, the panel says Partial after a stall), some are
canceled by the panel before they start; a few refills are asked for after
completion. Plus one idle day: an account with nothing on its way.

Each day runs twice: with the adaptive polling, and with a fixed 5-minute poll
that reads the balance every time (the behaviour before it). Printed: the delay
from each status change on the panel to its event in Home Assistant (median,
95th percentile, worst), the requests per day, and the error of the completion
estimate shown when an order was half delivered.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Generator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import random
import statistics
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_KEY
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smm_panel import coordinator as coordinator_module
from custom_components.smm_panel.const import (
    CONF_API_URL,
    DOMAIN,
    EVENT_ORDER_UPDATED,
    EVENT_REFILL_UPDATED,
)
from custom_components.smm_panel.polling import RefreshPlan
from simulator import PanelSimulator

from ..conftest import API_KEY

DAY = 24 * 3600.0
# Changes near the end of the day may be seen after it: keep looking a while.
GRACE = 3600.0
SEED = int(os.environ.get("SMM_BENCH_SEED", "18"))
ORDERS = int(os.environ.get("SMM_BENCH_DAY_ORDERS", "20"))
REFILLS = 3
START = datetime(2026, 12, 1, tzinfo=UTC)
POLLING_ACTIONS = ("balance", "status", "refill_status")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


# --- the day's workload -------------------------------------------------------


@dataclass
class OrderScript:
    """The life of one order on the panel, decided in advance."""

    placed: float
    quantity: int
    pending: float
    duration: float
    # Cumulative share delivered at each share of the delivery time.
    shape: list[tuple[float, float]]
    outcome: str  # completed, partial or canceled
    stop_share: float = 1.0
    stall: float = 0.0
    order_id: int | None = None

    @property
    def start(self) -> float:
        """When delivery starts (or the panel cancels the order)."""
        return self.placed + self.pending

    def delivered_share(self, t: float) -> float:
        """Return the share delivered at `t`, before any stop."""
        x = min(max((t - self.start) / self.duration, 0.0), 1.0)
        times = [p[0] for p in self.shape]
        i = max(bisect.bisect_right(times, x) - 1, 0)
        if i >= len(self.shape) - 1:
            return 1.0
        (x0, y0), (x1, y1) = self.shape[i], self.shape[i + 1]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    def time_of_share(self, share: float) -> float:
        """Return when `share` of the order is delivered."""
        for (x0, y0), (x1, y1) in zip(self.shape, self.shape[1:], strict=False):
            if y0 <= share <= y1 and y1 > y0:
                return self.start + (x0 + (x1 - x0) * (share - y0) / (y1 - y0)) * (
                    self.duration
                )
        return self.start + self.duration

    @property
    def end(self) -> float:
        """When the order reaches its final status."""
        if self.outcome == "canceled":
            return self.start
        if self.outcome == "partial":
            return self.time_of_share(self.stop_share) + self.stall
        return self.start + self.duration

    def status_at(self, t: float) -> tuple[str, int]:
        """Return the panel's raw status and remains at `t`."""
        if t < self.start:
            return "Pending", self.quantity
        if self.outcome == "canceled":
            return "Canceled", self.quantity
        share = min(self.delivered_share(t), self.stop_share)
        remains = self.quantity - int(self.quantity * share)
        if t >= self.end:
            return (
                ("Completed", 0)
                if self.outcome == "completed"
                else (
                    "Partial",
                    remains,
                )
            )
        return "In progress", remains

    def changes(self) -> list[tuple[float, str]]:
        """Return the status changes on the panel: (time, normalised status)."""
        if self.outcome == "canceled":
            return [(self.start, "canceled")]
        return [(self.start, "in_progress"), (self.end, self.outcome)]


@dataclass
class RefillScript:
    """A refill asked for after an order completed."""

    order: OrderScript
    asked: float
    duration: float
    refill_id: int | None = None


@dataclass
class Workload:
    """The orders and refills of the day."""

    orders: list[OrderScript] = field(default_factory=list)
    refills: list[RefillScript] = field(default_factory=list)


def _shape(rng: random.Random, uneven: bool) -> list[tuple[float, float]]:
    if not uneven:
        return [(0.0, 0.0), (1.0, 1.0)]
    segments = rng.randint(4, 8)
    weights = [rng.uniform(0.2, 3.0) for _ in range(segments)]
    total = sum(weights)
    points, done = [(0.0, 0.0)], 0.0
    for i, weight in enumerate(weights, 1):
        done += weight / total
        points.append((i / segments, min(done, 1.0)))
    points[-1] = (1.0, 1.0)
    return points


def busy_day(seed: int = SEED, orders: int = ORDERS) -> Workload:
    """Return the busy day's workload."""
    rng = random.Random(seed)
    workload = Workload()
    for _ in range(orders):
        outcome = rng.choices(["completed", "partial", "canceled"], [75, 15, 10])[0]
        script = OrderScript(
            placed=rng.uniform(0, DAY - 3600),
            quantity=rng.choice([100, 250, 500, 1000, 2000, 5000]),
            pending=rng.uniform(60, 600),
            duration=600 * 72 ** rng.random(),  # 10 minutes to 12 hours
            shape=_shape(rng, uneven=rng.random() < 0.4),
            outcome=outcome,
            stop_share=rng.uniform(0.4, 0.9) if outcome == "partial" else 1.0,
            stall=rng.uniform(600, 3600) if outcome == "partial" else 0.0,
        )
        workload.orders.append(script)
    workload.orders.sort(key=lambda o: o.placed)
    done = [o for o in workload.orders if o.outcome == "completed"]
    for order in rng.sample(done, min(REFILLS, len(done))):
        asked = order.end + rng.uniform(1800, 7200)
        if asked < DAY - 1800:
            workload.refills.append(
                RefillScript(order, asked, rng.uniform(1200, 3 * 3600))
            )
    return workload


# --- running a day ------------------------------------------------------------


@dataclass
class DayResult:
    """What one run of a day measured."""

    delays: list[float]
    slowest: list[tuple[float, str]]
    unseen: int
    requests: dict[str, int]
    estimate_errors: list[float]  # |error| / time left, at 50 % delivered
    estimates_missing: int


def fixed_poll() -> ExitStack:
    """Patch the integration back to a fixed 5-minute poll reading the balance."""
    stack = ExitStack()

    def plan(*args: Any, **kwargs: Any) -> RefreshPlan:
        return RefreshPlan(timedelta(minutes=5), "fixed")

    coordinator_class = coordinator_module.SmmPanelCoordinator
    stack.enter_context(patch.object(coordinator_class, "_plan", plan))
    for due in ("_orders_due", "_refills_due"):
        stack.enter_context(
            patch.object(
                coordinator_class,
                due,
                lambda self, due=due: bool(
                    self.tracker.active_order_ids()
                    if due == "_orders_due"
                    else self.tracker.active_refill_ids()
                ),
            )
        )
    stack.enter_context(
        patch.object(coordinator_module, "BALANCE_MIN_GAP", timedelta(0))
    )
    stack.enter_context(
        patch.object(coordinator_module, "BALANCE_MAX_AGE", timedelta(0))
    )
    # Before: the catalogue every hour, busy or idle.
    stack.enter_context(
        patch.object(
            coordinator_module,
            "CATALOGUE_IDLE_REFRESH_INTERVAL",
            coordinator_module.CATALOGUE_REFRESH_INTERVAL,
        )
    )
    return stack


async def run_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    panel: PanelSimulator,
    entry: MockConfigEntry,
    workload: Workload,
) -> DayResult:
    """Run the day; return the delays, requests and estimate errors."""
    sim0 = panel.clock.now
    seen: list[tuple[float, str, int, str]] = []  # (time, kind, id, status)

    def now() -> float:
        return panel.clock.now - sim0

    @callback
    def on_order(event: Event) -> None:
        seen.append((now(), "order", event.data["order_id"], event.data["status"]))

    @callback
    def on_refill(event: Event) -> None:
        seen.append((now(), "refill", event.data["refill_id"], event.data["status"]))

    unsubs = [
        hass.bus.async_listen(EVENT_ORDER_UPDATED, on_order),
        hass.bus.async_listen(EVENT_REFILL_UPDATED, on_refill),
    ]
    coordinator = entry.runtime_data
    # Things that happen at a known time: placing, changes, asking for refills.
    agenda: list[tuple[float, Callable[[], Any]]] = []
    halves: dict[int, float] = {}
    estimates: dict[int, datetime | None] = {}
    for number, order in enumerate(workload.orders):
        agenda.append((order.placed, lambda o=order, n=number: place(o, n)))
        for moment, _status in order.changes():
            agenda.append((moment, lambda: None))
        if order.outcome == "completed":
            halves[number] = order.time_of_share(0.5)
            agenda.append((halves[number], lambda n=number: read_estimate(n)))
        agenda.extend(
            (x * order.duration + order.start, lambda: None) for x, _ in order.shape
        )
    for refill in workload.refills:
        agenda.append((refill.asked, lambda r=refill: ask_refill(r)))
        agenda.append((refill.asked + refill.duration, lambda: None))
    agenda.sort(key=lambda item: item[0])

    async def place(order: OrderScript, number: int) -> None:
        response = await hass.services.async_call(
            DOMAIN,
            "add_order",
            {
                "service": 1,
                "link": f"https://instagram.com/p/day{number}",
                "quantity": order.quantity,
            },
            blocking=True,
            return_response=True,
        )
        order.order_id = int(response["order"])
        sync_panel()

    async def ask_refill(refill: RefillScript) -> None:
        response = await hass.services.async_call(
            DOMAIN,
            "refill",
            {"orders": [refill.order.order_id]},
            blocking=True,
            return_response=True,
        )
        refill.refill_id = int(response["refills"][0]["refill"])
        sync_panel()

    def read_estimate(number: int) -> None:
        order = workload.orders[number]
        state = hass.states.get(f"sensor.127_0_0_1_order_{order.order_id}")
        shown = None if state is None else state.attributes["estimated_completion"]
        estimates[number] = None if shown is None else dt_util.parse_datetime(shown)

    def sync_panel() -> None:
        """Put every order and refill where its script says it is now."""
        t = now()
        for order in workload.orders:
            if order.order_id is not None:
                status, remains = order.status_at(t)
                panel.set_order_status(order.order_id, status, remains=remains)
        for refill in workload.refills:
            if refill.refill_id is not None:
                done = t >= refill.asked + refill.duration
                panel.set_refill_status(
                    refill.refill_id, "Completed" if done else "Pending"
                )

    async def move_to(t: float) -> None:
        step = t - now()
        if step > 0:
            freezer.tick(timedelta(seconds=step))
            panel.advance(step)
        sync_panel()

    panel.reset_log()
    index = 0
    day_requests = 0
    while now() < DAY + GRACE:
        planned = coordinator.next_refresh
        next_refresh = (
            (planned - START).total_seconds() + 0.6 if planned is not None else DAY
        )
        next_agenda = agenda[index][0] if index < len(agenda) else DAY + GRACE
        target = max(min(next_refresh, next_agenda, DAY + GRACE), now() + 0.1)
        await move_to(target)
        while index < len(agenda) and agenda[index][0] <= now():
            result = agenda[index][1]()
            if result is not None:
                await result
            index += 1
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        if now() <= DAY:
            day_requests = len(panel.requests)
    for unsub in unsubs:
        unsub()

    # Delays: from each change on the panel to the first event of that order
    # (or refill) at or after it.
    delays, unseen = [], 0
    labelled: list[tuple[float, str]] = []
    changes = [
        ("order", order.order_id, moment, status)
        for order in workload.orders
        for moment, status in order.changes()
        if moment < DAY
    ] + [
        ("refill", refill.refill_id, refill.asked + refill.duration, "completed")
        for refill in workload.refills
        if refill.asked + refill.duration < DAY
    ]
    for kind, item_id, moment, _status in changes:
        times = [t for t, k, i, _ in seen if k == kind and i == item_id and t >= moment]
        if times:
            delays.append(min(times) - moment)
            labelled.append((round(min(times) - moment), f"{kind} {_status}"))
        else:
            unseen += 1
    requests: dict[str, int] = {}
    for request in panel.requests[:day_requests]:
        requests[request.action or "?"] = requests.get(request.action or "?", 0) + 1
    errors, missing = [], 0
    for number, half in halves.items():
        order = workload.orders[number]
        if order.end >= DAY:
            continue
        estimate = estimates.get(number)
        if estimate is None:
            missing += 1
            continue
        actual = START + timedelta(seconds=order.end + sim0)
        errors.append(abs((estimate - actual).total_seconds()) / (order.end - half))
    slowest = sorted(labelled, reverse=True)[:5]
    return DayResult(delays, slowest, unseen, requests, errors, missing)


@pytest.fixture
def bench_panel(panel: PanelSimulator) -> Generator[PanelSimulator]:
    """The simulated panel, with money for a day of orders."""
    panel.set_balance(10**6)
    return panel


async def _day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    panel: PanelSimulator,
    panel_url: str,
    workload: Workload,
    fixed: bool,
) -> DayResult:
    freezer.move_to(START)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        data={CONF_API_URL: panel_url, CONF_API_KEY: API_KEY},
    )
    with fixed_poll() if fixed else ExitStack():
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        return await run_day(hass, freezer, panel, entry, workload)


def _summary(result: DayResult) -> dict[str, Any]:
    delays = sorted(result.delays)

    def pct(p: float) -> float | None:
        if not delays:
            return None
        return delays[min(len(delays) - 1, round(p / 100 * (len(delays) - 1)))]

    polls = sum(result.requests.get(a, 0) for a in POLLING_ACTIONS)
    return {
        "changes": len(delays) + result.unseen,
        "unseen": result.unseen,
        "slowest": result.slowest,
        "delay_median_s": statistics.median(delays) if delays else None,
        "delay_p95_s": pct(95),
        "delay_worst_s": delays[-1] if delays else None,
        "requests": result.requests,
        "polling_requests": polls,
        "catalogue_requests": result.requests.get("services", 0),
        "estimate_error_median": (
            statistics.median(result.estimate_errors)
            if result.estimate_errors
            else None
        ),
        "estimates": len(result.estimate_errors),
        "estimates_missing": result.estimates_missing,
    }


@pytest.mark.parametrize("fixed", [False, True], ids=["adaptive", "fixed"])
@pytest.mark.parametrize("day", ["busy", "idle"])
async def test_a_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    bench_panel: PanelSimulator,
    panel_url: str,
    day: str,
    fixed: bool,
) -> None:
    """Run one day with one polling; write its figures."""
    workload = busy_day() if day == "busy" else Workload()
    result = await _day(hass, freezer, bench_panel, panel_url, workload, fixed)
    figures = {"day": day, "polling": "fixed" if fixed else "adaptive"}
    figures |= _summary(result)
    print(json.dumps(figures))
    if out := os.environ.get("SMM_BENCH_OUT"):
        path = Path(out)
        before = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(before + json.dumps(figures) + "\n", encoding="utf-8")
