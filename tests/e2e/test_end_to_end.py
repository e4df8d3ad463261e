"""The integration in a real Home Assistant, driven as a user's script would.

The steps run in order on one ``hass`` process (and one restart of it): each
records what the next needs in ``e2e_stack.facts``. The simulator's clock
only moves when a test advances it, and polling is triggered on demand with
``homeassistant.update_entity``, so every state change is deterministic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from scripts.e2e_support.ha_api import HomeAssistantApi, HomeAssistantCommandError

from .conftest import API_KEY, E2E_TIMEOUT, E2EStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(E2E_TIMEOUT)]

DOMAIN = "smm_panel"
BALANCE = "sensor.127_0_0_1_balance"
ACTIVE_ORDERS = "sensor.127_0_0_1_active_orders"
LOW_BALANCE = "binary_sensor.127_0_0_1_low_balance"
ORDER_UPDATES = "event.127_0_0_1_order_updates"
FIRST_ORDER = 23501  # the simulator numbers orders from here
FIRST_REFILL = 1001
UNKNOWN_ORDER = 999999
# A refresh asked for within 10 s of the last one waits for the end of that
# cooldown (Home Assistant's debouncer), so waits allow a good deal more, and
# more again for a busy machine: they end as soon as the state is there.
REFRESH_WAIT = 90.0


def order_sensor(order_id: int) -> str:
    return f"sensor.127_0_0_1_order_{order_id}"


def has_state(value: str) -> Callable[[dict[str, Any] | None], bool]:
    return lambda state: state is not None and state["state"] == value


def has_number(value: float) -> Callable[[dict[str, Any] | None], bool]:
    return lambda state: state is not None and float(state["state"]) == value


async def poll_now(api: HomeAssistantApi) -> None:
    """Ask for a refresh the way a user's script would."""
    await api.call_service("homeassistant", "update_entity", {"entity_id": [BALANCE]})


async def poll_until(
    api: HomeAssistantApi,
    entity_id: str,
    predicate: Callable[[dict[str, Any] | None], bool],
) -> dict[str, Any]:
    """Ask for refreshes until the entity's state matches.

    Asked once, a refresh can be lost: Home Assistant's debouncer drops a
    request that comes while a refresh is running, even if that refresh read
    the panel before the change. A script that must see a change asks again.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REFRESH_WAIT
    while True:
        await poll_now(api)
        try:
            state = await api.wait_for_state(
                entity_id, predicate, within=min(3.0, deadline - loop.time())
            )
        except TimeoutError:
            if loop.time() >= deadline:
                raise
        else:
            assert state is not None
            return dict(state)


async def poll_until_event(
    queue: asyncio.Queue[dict[str, Any]], api: HomeAssistantApi
) -> Any:
    """Ask for refreshes until an event arrives (see ``poll_until``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REFRESH_WAIT
    while True:
        await poll_now(api)
        try:
            return await asyncio.wait_for(queue.get(), 3.0)
        except TimeoutError:
            if loop.time() >= deadline:
                raise


async def next_event(queue: asyncio.Queue[dict[str, Any]]) -> dict[str, Any]:
    return await asyncio.wait_for(queue.get(), REFRESH_WAIT)


async def test_config_flow_rejects_wrong_key_then_creates_entry(
    e2e_stack: E2EStack, session: aiohttp.ClientSession
) -> None:
    """The user adds the panel: a wrong key shows an error, the right one works."""
    api = e2e_stack.api(session)

    flow = await api.start_config_flow(DOMAIN)
    assert flow["type"] == "form"
    assert flow["step_id"] == "user"
    assert [field["name"] for field in flow["data_schema"]] == [
        "api_url",
        "api_key",
        "name",
    ]

    result = await api.configure_flow(
        flow["flow_id"], {"api_url": e2e_stack.api_url, "api_key": "wrong-key"}
    )
    assert result["type"] == "form"
    assert result["errors"] == {"base": "invalid_auth"}
    assert not await api.config_entries(DOMAIN)

    result = await api.configure_flow(
        flow["flow_id"], {"api_url": e2e_stack.api_url, "api_key": API_KEY}
    )
    assert result["type"] == "create_entry"
    assert result["title"] == "127.0.0.1"
    entry_id = result["result"]["entry_id"]

    entries = await api.config_entries(DOMAIN)
    assert [(e["entry_id"], e["state"]) for e in entries] == [(entry_id, "loaded")]
    e2e_stack.facts["entry_id"] = entry_id


async def test_account_entities_show_balance_and_no_orders(
    e2e_stack: E2EStack, session: aiohttp.ClientSession
) -> None:
    """The account entities appear with the panel's balance."""
    e2e_stack.fact("entry_id")
    api = e2e_stack.api(session)

    balance = await api.get_state(BALANCE)
    assert balance is not None
    assert float(balance["state"]) == 100.0
    assert balance["attributes"]["unit_of_measurement"] == "USD"
    assert balance["attributes"]["device_class"] == "monetary"
    assert balance["attributes"]["friendly_name"] == "127.0.0.1 Balance"

    active = await api.get_state(ACTIVE_ORDERS)
    assert active is not None
    assert active["state"] == "0"

    low = await api.get_state(LOW_BALANCE)
    assert low is not None
    assert low["state"] == "off"

    events = await api.get_state(ORDER_UPDATES)
    assert events is not None
    assert "completed" in events["attributes"]["event_types"]
    assert "refill_completed" in events["attributes"]["event_types"]


async def test_order_is_placed_tracked_and_completed(
    e2e_stack: E2EStack, session: aiohttp.ClientSession
) -> None:
    """add_order places an order; its sensor and bus events follow it to the end."""
    entry_id = e2e_stack.fact("entry_id")
    api = e2e_stack.api(session)

    async with api.websocket() as ws:
        updates = await ws.subscribe_events("smm_panel_order_updated")

        # Bad input is refused before anything is sent, with a translated error.
        with pytest.raises(HomeAssistantCommandError) as refused:
            await ws.call_service(
                DOMAIN,
                "add_order",
                {"service": 1, "link": "https://instagram.com/p/x", "quantity": 10},
                return_response=True,
            )
        assert refused.value.error["code"] == "service_validation_error"
        assert refused.value.error["translation_domain"] == DOMAIN
        assert refused.value.error["translation_key"] == "quantity_below_min"
        assert (
            "Quantity 10 is below this service's minimum of 50"
            in refused.value.error["message"]
        )

        dry_run = await api.call_service(
            DOMAIN,
            "add_order",
            {
                "service": 1,
                "link": "https://instagram.com/p/e2e",
                "quantity": 1000,
                "dry_run": True,
            },
            return_response=True,
        )
        assert dry_run == {
            "order": None,
            "service": 1,
            "service_name": "Followers",
            "estimated_charge": 0.9,
            "estimate_exact": True,
            "currency": "USD",
            "dry_run": True,
            "spent_last_24h": 0.0,
            "spending_limit": None,
            "within_spending_limit": None,
            "duplicate_of": None,
            "balance": 100.0,
            "balance_after": 99.1,
        }
        assert await e2e_stack.sim_control(session, "GET", "orders") == []

        placed = await api.call_service(
            DOMAIN,
            "add_order",
            {
                "config_entry_id": entry_id,
                "service": 1,
                "link": "https://instagram.com/p/e2e",
                "quantity": 1000,
            },
            return_response=True,
        )
        assert placed == {
            "order": FIRST_ORDER,
            "service": 1,
            "service_name": "Followers",
            "estimated_charge": 0.9,
            "estimate_exact": True,
            "currency": "USD",
            "dry_run": False,
        }
        panel_orders = await e2e_stack.sim_control(session, "GET", "orders")
        assert [(o["order"], o["quantity"]) for o in panel_orders] == [
            (FIRST_ORDER, 1000)
        ]

        # The order sensor appears at once; the refresh after the action
        # brings the new balance.
        sensor = order_sensor(FIRST_ORDER)
        state = await api.wait_for_state(sensor, has_state("pending"))
        assert state is not None
        assert state["attributes"]["friendly_name"] == f"127.0.0.1 Order {FIRST_ORDER}"
        assert state["attributes"]["service_name"] == "Followers"
        assert state["attributes"]["quantity"] == 1000
        await poll_until(api, BALANCE, has_number(99.1))
        await api.wait_for_state(ACTIVE_ORDERS, has_state("1"))

        # Two simulated minutes later the panel is delivering.
        await e2e_stack.sim_control(session, "POST", "advance", seconds=120)
        state = await poll_until(api, sensor, has_state("in_progress"))
        assert 0 < state["attributes"]["progress"] < 100
        assert state["attributes"]["raw_status"] == "In progress"
        event = await next_event(updates)
        assert event["data"]["config_entry_id"] == entry_id
        assert event["data"]["order_id"] == FIRST_ORDER
        assert event["data"]["previous_status"] == "pending"
        assert event["data"]["status"] == "in_progress"

        # After the whole delivery time it is completed.
        await e2e_stack.sim_control(session, "POST", "advance", seconds=700)
        state = await poll_until(api, sensor, has_state("completed"))
        assert state["attributes"]["progress"] == 100
        assert state["attributes"]["remains"] == 0
        assert state["attributes"]["charge"] == 0.9
        event = await next_event(updates)
        assert event["data"] == {
            "config_entry_id": entry_id,
            "order_id": FIRST_ORDER,
            "previous_status": "in_progress",
            "status": "completed",
            "remains": 0,
            "charge": 0.9,
            "currency": "USD",
            "estimated_completion": None,
        }
        assert (await api.get_state(ACTIVE_ORDERS) or {}).get("state") == "0"
        assert updates.empty()
    e2e_stack.facts["completed_order"] = FIRST_ORDER


async def test_refill_cancel_status_and_services(
    e2e_stack: E2EStack, session: aiohttp.ClientSession
) -> None:
    """The other actions answer with the documented response shapes."""
    completed = e2e_stack.fact("completed_order")
    api = e2e_stack.api(session)

    refills = await api.call_service(
        DOMAIN, "refill", {"orders": [completed, UNKNOWN_ORDER]}, return_response=True
    )
    assert refills == {
        "refills": [
            {"order": completed, "refill": FIRST_REFILL},
            {"order": UNKNOWN_ORDER, "error": "Incorrect order ID"},
        ]
    }
    refill_status = await api.call_service(
        DOMAIN, "refill_status", {"refills": [FIRST_REFILL]}, return_response=True
    )
    assert refill_status == {
        "refills": [
            {"refill": FIRST_REFILL, "status": "pending", "raw_status": "Pending"}
        ]
    }

    # A second order, cancelled while the panel has not started it.
    placed = await api.call_service(
        DOMAIN,
        "add_order",
        {"service": 1, "link": "https://instagram.com/p/e2e-2", "quantity": 500},
        return_response=True,
    )
    second = placed["order"]
    assert second == FIRST_ORDER + 1
    await api.wait_for_state(order_sensor(second), has_state("pending"))
    cancelled = await api.call_service(
        DOMAIN, "cancel", {"orders": [second, completed]}, return_response=True
    )
    assert cancelled["orders"][0] == {"order": second, "cancel": True}
    assert cancelled["orders"][1]["order"] == completed
    assert cancelled["orders"][1]["error"]

    statuses = await api.call_service(
        DOMAIN,
        "order_status",
        {"orders": [completed, second, UNKNOWN_ORDER]},
        return_response=True,
    )
    assert statuses == {
        "orders": [
            {
                "order": completed,
                "status": "completed",
                "raw_status": "Completed",
                "charge": 0.9,
                "start_count": statuses["orders"][0]["start_count"],
                "remains": 0,
                "currency": "USD",
                "estimated_completion": None,
            },
            {
                "order": second,
                "status": "canceled",
                "raw_status": "Canceled",
                "charge": 0.0,
                "start_count": statuses["orders"][1]["start_count"],
                "remains": 500,
                "currency": "USD",
                "estimated_completion": None,
            },
            {"order": UNKNOWN_ORDER, "error": "Incorrect order ID"},
        ]
    }

    services = await api.call_service(
        DOMAIN, "list_services", {"search": "FOLLOWERS"}, return_response=True
    )
    names = [service["name"] for service in services["services"]]
    assert "Followers" in names
    assert all("followers" in name.casefold() for name in names)
    assert services["services"][names.index("Followers")] == {
        "service": 1,
        "name": "Followers",
        "type": "Default",
        "category": "First Category",
        "rate": 0.9,
        "min": 50,
        "max": 10000,
        "refill": True,
        "cancel": True,
        "dripfeed": True,
        "currency": "USD",
    }
    refillable = await api.call_service(
        DOMAIN,
        "list_services",
        {"refill": True, "max_rate": 1},
        return_response=True,
    )
    assert refillable["services"]
    assert all(s["refill"] and s["rate"] <= 1 for s in refillable["services"]), (
        refillable
    )

    # The cancelled order's sensor follows on the next poll.
    await poll_until(api, order_sensor(second), has_state("canceled"))
    e2e_stack.facts["canceled_order"] = second


async def test_tracked_orders_survive_a_restart(
    e2e_stack: E2EStack, session: aiohttp.ClientSession
) -> None:
    """After Home Assistant restarts, the tracked orders are still there."""
    completed = e2e_stack.fact("completed_order")
    canceled = e2e_stack.fact("canceled_order")
    entry_id = e2e_stack.fact("entry_id")

    assert await asyncio.to_thread(e2e_stack.stop_hass) == 0
    await asyncio.to_thread(e2e_stack.start_hass)

    api = e2e_stack.api(session)
    await api.wait_until_running()
    entries = await api.config_entries(DOMAIN)
    assert [(e["entry_id"], e["state"]) for e in entries] == [(entry_id, "loaded")]

    state = await api.get_state(order_sensor(completed))
    assert state is not None
    assert state["state"] == "completed"
    assert state["attributes"]["order_id"] == completed
    assert state["attributes"]["link"] == "https://instagram.com/p/e2e"
    state = await api.get_state(order_sensor(canceled))
    assert state is not None
    assert state["state"] == "canceled"
    assert (await api.get_state(ACTIVE_ORDERS) or {}).get("state") == "0"

    # The refill asked for before the restart is still followed.
    await e2e_stack.sim_control(session, "POST", "advance", seconds=400)
    async with api.websocket() as ws:
        refills = await ws.subscribe_events("smm_panel_refill_updated")
        event = await poll_until_event(refills, api)
    assert event["data"]["refill_id"] == FIRST_REFILL
    assert event["data"]["order_id"] == completed
    assert event["data"]["status"] == "completed"


def test_api_key_never_logged(e2e_stack: E2EStack) -> None:
    """The key appears nowhere in Home Assistant's output, debug logs included."""
    e2e_stack.fact("entry_id")
    log = e2e_stack.hass_log.read_text("utf-8", errors="replace")
    assert "custom_components.smm_panel" in log  # debug logging was on
    assert API_KEY not in log
    assert "wrong-key" not in log
