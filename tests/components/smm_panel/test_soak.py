"""Soak: many orders, many polls, random faults and a restart in the middle.

The short run is part of the suite. `scripts/soak` runs it longer through the
environment: SMM_SOAK_ORDERS (200), SMM_SOAK_CYCLES (40), SMM_SOAK_SEEDS (6; a
comma separated list runs once per seed), SMM_SOAK_FAULT_RATE (0.2).

Simulated time moves by 30 s per polling cycle; orders are created over the
first half of the run and delivered over 11 minutes, so orders are pending,
running and finishing all along. On every API request a seeded RNG injects one
of the simulator's transient faults with the given probability, actions
included (a revoked key is left out: it ends polling until the user acts, which
the fault matrix covers). At the end, after a few clean cycles, what Home
Assistant shows must equal what the panel holds.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Generator
import logging
import math
import os
import random
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.smm_panel.const import DOMAIN, EVENT_ORDER_UPDATED
from simulator import Fault, FaultInjector, PanelSimulator
from simulator.faults import FaultPlan

from ...conftest import API_KEY, SHORT
from .conftest import poll, setup_integration
from .test_fault_matrix import FAULTS, assert_no_unhandled_errors

ORDERS = int(os.environ.get("SMM_SOAK_ORDERS", "200"))
CYCLES = int(os.environ.get("SMM_SOAK_CYCLES", "40"))
SEEDS = [int(seed) for seed in os.environ.get("SMM_SOAK_SEEDS", "6").split(",")]
FAULT_RATE = float(os.environ.get("SMM_SOAK_FAULT_RATE", "0.2"))
CLEAN_CYCLES = 3
# A "timeout" fault holds its reply this long, then the panel handles the
# request anyway (a late cancel, say), which Home Assistant must catch up with.
# The client (SHORT timeout) always gives up first whatever the machine's
# speed: both wait on the same event loop clock, and the stall starts after
# the request left.
STALL = 2 * SHORT
SECONDS_PER_CYCLE = 30
# Transient faults: everything but a revoked key (it stops polling for good).
KINDS = tuple(kind for kind in FAULTS if kind != "key_revoked")
# The simulator's raw statuses, as the integration must show them.
NORMALISED = {
    "Pending": "pending",
    "In progress": "in_progress",
    "Completed": "completed",
    "Partial": "partial",
    "Canceled": "canceled",
}


class RandomFaults(FaultInjector):
    """Inject a random fault on a share of the requests, from a seeded RNG."""

    def __init__(self, rng: random.Random, rate: float) -> None:
        """Start disabled: the account is set up on a healthy panel."""
        super().__init__()
        self.rng = rng
        self.rate = rate
        self.enabled = False
        self.requests = 0
        self.injected: Counter[str] = Counter()

    def take(self, action: str | None) -> FaultPlan:
        """Return the plan of one request: sometimes a random fault."""
        plan = super().take(action)
        if not self.enabled:
            return plan
        self.requests += 1
        if plan.fault is None and self.rng.random() < self.rate:
            kind = self.rng.choice(KINDS)
            plan.fault = Fault(kind, action=action, delay=STALL)
            self.injected[kind] += 1
        return plan


async def call(hass: HomeAssistant, action: str, **data: Any) -> Any:
    """Run an action; None when it failed with a (translated) panel error."""
    response, _ = await call_with_error(hass, action, **data)
    return response


async def call_with_error(
    hass: HomeAssistant, action: str, **data: Any
) -> tuple[Any, HomeAssistantError | None]:
    """Run an action; return its response or the translated error it raised."""
    error: HomeAssistantError | None = None
    response = None
    try:
        response = await hass.services.async_call(
            DOMAIN, action, data, blocking=True, return_response=True
        )
    except HomeAssistantError as err:
        error = err
    if error is not None:
        assert error.translation_domain == DOMAIN
        assert API_KEY not in str(error)
    return response, error


@pytest.fixture
def quiet_test_harness() -> Generator[None]:
    """Do not log every storage write in full (huge with many orders).

    Only the test harness's logger: Home Assistant and the integration stay
    at DEBUG, where the key must not show either.
    """
    logger = logging.getLogger("pytest_homeassistant_custom_component")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield
    logger.setLevel(level)


@pytest.mark.usefixtures(
    "short_client_timeout", "quiet_test_harness", "balance_every_refresh"
)
@pytest.mark.parametrize("seed", SEEDS)
async def test_soak(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
    seed: int,
) -> None:
    """Random faults, a restart: at the end Home Assistant agrees with the panel."""
    rng = random.Random(seed)
    faults = RandomFaults(rng, FAULT_RATE)
    panel.faults = faults
    panel.set_balance(10**6)
    entry = mock_config_entry
    storage_key = f"{DOMAIN}.{entry.entry_id}"
    await setup_integration(hass, entry)
    bus_events = async_capture_events(hass, EVENT_ORDER_UPDATED)
    faults.enabled = True

    created: list[int] = []
    placed: list[int] = []
    add_calls = 0
    refill_calls = 0
    per_cycle = math.ceil(ORDERS / max(CYCLES // 2, 1))
    for cycle in range(CYCLES):
        # Orders placed on the panel by someone else, then tracked from HA.
        wave = [
            panel.create_order(
                rng.choice((1, 2)),
                rng.randrange(100, 2000),
                link=f"https://instagram.com/p/soak{len(created) + i}",
            ).order_id
            for i in range(min(per_cycle, ORDERS - len(created)))
        ]
        created.extend(wave)
        for _ in range(10 if wave else 0):  # a user retries until it goes through
            if await call(hass, "track_orders", orders=wave) is not None:
                break
        else:
            assert not wave, f"track_orders kept failing in cycle {cycle}"

        if cycle % 7 == 3:
            sent_before = panel.count("add")
            response, error = await call_with_error(
                hass,
                "add_order",
                service=1,
                link=f"https://instagram.com/p/added{cycle}",
                quantity=100,
            )
            sent = panel.count("add") - sent_before
            # Once at most; a reply or an unknown fate means it was sent.
            assert sent <= 1
            if response is not None:
                placed.append(response["order"])
                assert sent == 1
            elif error is not None and error.translation_key == "order_state_unknown":
                assert sent == 1
            add_calls += sent
        if cycle % 5 == 4:
            await _refill_or_cancel(hass, panel, rng, entry)
            refill_calls += 1

        if cycle == CYCLES // 2:
            # A restart of Home Assistant, on a panel still failing at random.
            await hass.config_entries.async_reload(entry.entry_id)
            await hass.async_block_till_done(wait_background_tasks=True)
            for _ in range(20):
                if entry.state is ConfigEntryState.LOADED:
                    break
                await poll(hass)  # the setup retry is due in minutes at most
            assert entry.state is ConfigEntryState.LOADED

        panel.advance(SECONDS_PER_CYCLE)
        await poll(hass)

    faults.enabled = False
    # Requests stalled by a timeout fault are still handled by the panel after
    # the client gave up (a late cancel, say): let them land first. Every stall
    # began before this sleep and ends before it, on the same clock.
    await asyncio.sleep(STALL + 0.1)
    for _ in range(CLEAN_CYCLES):
        panel.advance(SECONDS_PER_CYCLE)
        await poll(hass)
    # The last clean poll saw the panel as it is now: nothing moved since.

    # Every order went through HA: tracked, each exactly once.
    stored_orders = hass_storage[storage_key]["data"]["orders"]
    stored_refills = hass_storage[storage_key]["data"]["refills"]
    stored_ids = [order["order_id"] for order in stored_orders]
    assert len(stored_ids) == len(set(stored_ids))
    assert set(stored_ids) == set(created) | set(placed)
    refill_ids = [refill["refill_id"] for refill in stored_refills]
    assert len(refill_ids) == len(set(refill_ids))
    tracker = entry.runtime_data.tracker
    assert set(tracker.orders) == set(stored_ids)
    assert set(tracker.refills) == set(refill_ids)

    # Home Assistant shows what the panel holds.
    for order in stored_orders:
        sim_order = panel.orders[order["order_id"]]
        expected = NORMALISED[sim_order.status]
        assert (order["state"], order["remains"]) == (expected, sim_order.remains)
        state = hass.states.get(f"sensor.127_0_0_1_order_{order['order_id']}")
        assert state.state == expected
        assert state.attributes["remains"] == sim_order.remains
    for refill in stored_refills:
        sim_status = panel.refills[refill["refill_id"]].status
        assert refill["state"] == NORMALISED[sim_status]
    order_entities = [
        entity
        for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if entity.domain == "sensor"
        and entity.unique_id.startswith(f"{entry.entry_id}_order_")
    ]
    assert len(order_entities) == len(stored_ids)
    active = sum(
        1 for order in stored_orders if order["state"] in {"pending", "in_progress"}
    )
    assert hass.states.get("sensor.127_0_0_1_active_orders").state == str(active)

    # Events: one per change of status, none repeated by the restart.
    chains: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for event in bus_events:
        chains[event.data["order_id"]].append(
            (event.data["previous_status"], event.data["status"])
        )
    for order_id, chain in chains.items():
        assert all(prev != new for prev, new in chain), (order_id, chain)
        assert all(chain[i][1] == chain[i + 1][0] for i in range(len(chain) - 1)), (
            order_id,
            chain,
        )

    # An add is never sent twice: one request per add_order call that sent it.
    assert panel.count("add") == add_calls
    assert add_calls >= len(placed) > 0
    assert len(placed) == len(set(placed))

    # Shown by scripts/soak.
    print(
        f"seed {seed}: {len(stored_ids)} orders and {len(refill_ids)} refills"
        f" tracked, {len(bus_events)} status events, {add_calls} add requests,"
        f" {faults.injected.total()} faults in {faults.requests} requests:"
        f" {dict(sorted(faults.injected.items()))}"
    )
    # Faults really happened, and none escaped as an unhandled exception.
    assert faults.injected.total() >= faults.requests * FAULT_RATE / 2
    assert refill_calls > 0
    assert_no_unhandled_errors(caplog, allowed_errors=None)
    # The key never reached the log, at any level.
    assert caplog.records
    assert min(record.levelno for record in caplog.records) == logging.DEBUG
    assert API_KEY not in caplog.text
    for record in caplog.records:
        assert API_KEY not in record.getMessage()


async def _refill_or_cancel(
    hass: HomeAssistant,
    panel: PanelSimulator,
    rng: random.Random,
    entry: MockConfigEntry,
) -> None:
    """Ask a refill of a finished order and cancel a running one (service 1)."""
    tracker = entry.runtime_data.tracker
    finished = [
        order.order_id
        for order in tracker.orders.values()
        if order.state.value == "completed"
        and panel.orders[order.order_id].service_id == 1
    ]
    running = [
        order.order_id
        for order in tracker.orders.values()
        if not order.state.is_final and panel.orders[order.order_id].service_id == 1
    ]
    if finished:
        await call(hass, "refill", orders=[rng.choice(finished)])
    if running:
        await call(hass, "cancel", orders=[rng.choice(running)])
