"""Money and data safety: every way found to lose an order, a record or the loop.

Each test is a regression test for one case of the hostile review (issue 9):
its number is in the test's docstring. They go through Home Assistant's public
surface: actions, entry reloads, a restart (unload and set up again), storage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
import logging
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, Platform
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
import voluptuous as vol

from custom_components.smm_panel.const import DOMAIN, EVENT_ORDER_UPDATED
from simulator import Fault, PanelSimulator
from simulator.catalogue import SimService
from simulator.models import Response

from ...conftest import API_KEY
from .conftest import (
    EVENTS,
    ORDER_SENSOR,
    call_action,
    poll,
    seed_storage,
    setup_integration,
    storage_key,
)

LINK = "https://instagram.com/p/private-account"
FOLLOWERS = {"service": 1, "link": LINK, "quantity": 100}


def stored_order_ids(hass_storage: dict[str, Any], entry: MockConfigEntry) -> list[int]:
    """Return the ids of the tracked orders in storage."""
    return [o["order_id"] for o in hass_storage[storage_key(entry)]["data"]["orders"]]


def stored(order_id: int, **fields: Any) -> dict[str, Any]:
    """Return a stored tracked order of the Followers service."""
    return {
        "order_id": order_id,
        "service_id": 1,
        "service_name": "Followers",
        "link": LINK,
        "quantity": 1000,
        "state": "pending",
        **fields,
    }


def order_issues(hass: HomeAssistant) -> list[ir.IssueEntry]:
    """Return the repair issues about orders whose fate is unknown."""
    return [
        issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == "order_state_unknown"
    ]


def answer(
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    reply: Callable[[Mapping[str, str]], Response | None],
) -> None:
    """Let `reply` answer requests in place of the panel when it returns a reply."""
    handle = panel.handle

    def patched(form: Mapping[str, str], *, log: bool = True) -> Response:
        return reply(form) or handle(form, log=log)

    monkeypatch.setattr(panel, "handle", patched)


def reply_to(action: str, body: str, status: int = 200) -> Callable[..., Any]:
    """Return a replacement reply for one action."""

    def reply(form: Mapping[str, str]) -> Response | None:
        return Response(status, body) if form.get("action") == action else None

    return reply


def request_seen(panel: PanelSimulator, action: str) -> asyncio.Event:
    """Return an event set once the panel receives a request of `action`."""
    seen = asyncio.Event()
    log_request = panel.log_request

    def logged(form: Mapping[str, str]) -> Any:
        if form.get("action") == action:
            seen.set()
        return log_request(form)

    panel.log_request = logged  # type: ignore[method-assign]
    return seen


# --- 1. a reload while an action waits for the panel ---------------------------


@pytest.mark.parametrize(
    ("action", "slow_action"),
    [("add_order", "add"), ("track_orders", "status")],
)
async def test_order_placed_during_a_reload_is_tracked_by_the_live_entry(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
    action: str,
    slow_action: str,
) -> None:
    """1: the order reaches the reloaded entry: entity, polling and storage."""
    data: dict[str, Any] = dict(FOLLOWERS)
    if action == "track_orders":
        placed = panel.create_order(1, 1000)
        data = {"orders": [placed.order_id]}
    panel.faults.add(Fault("latency", action=slow_action, delay=0.5))
    seen = request_seen(panel, slow_action)
    call = hass.async_create_task(call_action(hass, action, **data))
    async with asyncio.timeout(30):
        await seen.wait()

    await hass.config_entries.async_reload(loaded_entry.entry_id)
    response = await call
    await hass.async_block_till_done()

    order_id = response["order"] if action == "add_order" else response["tracked"][0]
    assert hass.states.get(ORDER_SENSOR.format(order_id)) is not None
    await poll(hass)  # the live coordinator polls it and saves
    assert order_id in stored_order_ids(hass_storage, loaded_entry)

    # A restart keeps it.
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(ORDER_SENSOR.format(order_id)).state == "pending"


async def test_refill_during_a_reload_is_tracked_by_the_live_entry(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """1: a refill asked for while the entry reloads is kept by the new entry."""
    order = panel.create_order(1, 1000, status="Completed")
    panel.faults.add(Fault("latency", action="refill", delay=0.5))
    seen = request_seen(panel, "refill")
    call = hass.async_create_task(call_action(hass, "refill", orders=[order.order_id]))
    async with asyncio.timeout(30):
        await seen.wait()

    await hass.config_entries.async_reload(loaded_entry.entry_id)
    response = await call
    await hass.async_block_till_done()
    refill_id = response["refills"][0]["refill"]

    # The live entry polls the refill, and its next save keeps it.
    panel.reset_log()
    await poll(hass)
    assert any(str(refill_id) in str(r.params) for r in panel.requests), (
        "the refill is not polled"
    )
    other = panel.create_order(1, 1000)
    await call_action(hass, "track_orders", orders=[other.order_id])
    refills = hass_storage[storage_key(loaded_entry)]["data"]["refills"]
    assert [r["refill_id"] for r in refills] == [refill_id]


# --- 2. the caller cancelled while `add` is in flight --------------------------


@pytest.mark.usefixtures("loaded_entry")
async def test_cancelled_caller_still_tracks_the_order(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """2: a script restarted while `add` waits: the order is still tracked."""
    panel.faults.add(Fault("latency", action="add", delay=0.5))
    seen = request_seen(panel, "add")
    call = hass.async_create_task(call_action(hass, "add_order", **FOLLOWERS))
    async with asyncio.timeout(30):
        await seen.wait()

    call.cancel()
    await hass.async_block_till_done(wait_background_tasks=True)

    (order_id,) = panel.orders
    assert hass.states.get(ORDER_SENSOR.format(order_id)).state == "pending"
    assert stored_order_ids(hass_storage, mock_config_entry) == [order_id]
    assert not order_issues(hass)


@pytest.mark.usefixtures("loaded_entry")
async def test_cancelled_caller_and_lost_reply_raise_the_repair_issue(
    hass: HomeAssistant, panel: PanelSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """2, 15: no reply after the caller left: repair issue and warning, no link."""
    panel.faults.add(Fault("latency", action="add", delay=0.5))
    panel.faults.add(Fault("html", action="add"))
    seen = request_seen(panel, "add")
    call = hass.async_create_task(call_action(hass, "add_order", **FOLLOWERS))
    async with asyncio.timeout(30):
        await seen.wait()

    call.cancel()
    await hass.async_block_till_done(wait_background_tasks=True)

    assert len(order_issues(hass)) == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("check the panel before retrying" in r.getMessage() for r in warnings)
    assert LINK not in caplog.text


# --- 3, 5, 6, 12. replies that must not hurt saving, the loop, or the user -------


@pytest.mark.parametrize(
    "body",
    [
        '{"order": 18446744073709551616}',
        '{"order": "1e5000"}',
        '{"order": 0}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["2**64", "1e5000", "zero", "deeply-nested"],
)
async def test_unusable_add_reply_is_state_unknown(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
    body: str,
) -> None:
    """3, 6: an add reply without a usable id is "state unknown", and saving goes on."""
    answer(monkeypatch, panel, reply_to("add", body))
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, "add_order", **FOLLOWERS)
    assert err.value.translation_key == "order_state_unknown"
    assert len(order_issues(hass)) == 1

    monkeypatch.undo()
    # The same order again: the duplicate guard asks for allow_duplicate.
    response = await call_action(hass, "add_order", **FOLLOWERS, allow_duplicate=True)
    await hass.async_block_till_done()
    assert response["order"] in stored_order_ids(hass_storage, loaded_entry)


async def test_gateway_error_on_add_is_state_unknown(
    hass: HomeAssistant, panel: PanelSimulator, loaded_entry: MockConfigEntry
) -> None:
    """12: a 5xx after sending, even with a JSON error, is not a refusal."""
    panel.faults.add(
        Fault("error", action="add", status=504, message="Gateway Timeout")
    )
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, "add_order", **FOLLOWERS)
    assert err.value.translation_key == "order_state_unknown"
    assert len(order_issues(hass)) == 1


@pytest.mark.parametrize("remains", [2**64, "1e20", "1e300000"])
async def test_huge_numbers_from_the_panel_never_stop_saving(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
    remains: Any,
) -> None:
    """3, 5: one order's absurd `remains` is its own error; later orders are saved."""
    hostile = panel.create_order(1, 1000)
    good = panel.create_order(1, 1000)
    await call_action(hass, "track_orders", orders=[hostile.order_id, good.order_id])
    panel.set_order_status(good.order_id, "In progress", remains=400)
    remains_json = str(remains) if isinstance(remains, int) else f'"{remains}"'
    body = (
        f'{{"{hostile.order_id}": {{"status": "In progress", "remains": '
        f'{remains_json}, "charge": "0.9"}}, "{good.order_id}": '
        '{"status": "In progress", "remains": "400", "charge": "0.9"}}'
    )

    def reply(form: Mapping[str, str]) -> Response | None:
        if form.get("action") == "status" and "orders" in form:
            return Response(200, body)
        return None

    answer(monkeypatch, panel, reply)
    await poll(hass)
    assert hass.states.get(ORDER_SENSOR.format(good.order_id)).state == "in_progress"
    hostile_state = hass.states.get(ORDER_SENSOR.format(hostile.order_id))
    assert hostile_state.attributes["remains"] == 1000  # the last sane value
    assert hostile_state.attributes["error"]

    response = await call_action(hass, "add_order", **FOLLOWERS)
    await hass.async_block_till_done()
    assert response["order"] in stored_order_ids(hass_storage, loaded_entry)


@pytest.mark.usefixtures("balance_every_refresh")
async def test_deeply_nested_poll_reply_is_one_failed_refresh(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """6: a reply nested 100 000 deep fails the refresh cleanly, with one log line."""
    answer(monkeypatch, panel, reply_to("balance", "[" * 100_000 + "]" * 100_000))
    caplog.clear()
    await poll(hass)

    assert hass.states.get("sensor.127_0_0_1_balance").state == "unavailable"
    errors = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(errors) == 1
    assert errors[0].exc_info is None
    monkeypatch.undo()
    await poll(hass)
    assert float(hass.states.get("sensor.127_0_0_1_balance").state) == 100


# --- 4. a storage file with bad records ------------------------------------------


async def test_bad_stored_records_are_skipped(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """4: unreadable records are skipped with one warning; the rest loads."""
    good = panel.create_order(1, 1000)
    seed_storage(
        hass_storage,
        mock_config_entry,
        {
            "orders": [
                stored(good.order_id),
                stored(good.order_id + 1, state="queued"),
                stored(good.order_id + 2, charge="1,5"),
                {"service_id": 1, "state": "pending"},
                stored(-5),
                "not an order",
            ],
            "refills": {"1001": {"refill_id": 1001}},
        },
    )
    await setup_integration(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(ORDER_SENSOR.format(good.order_id)) is not None
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("custom_components")
    ]
    assert len(warnings) == 1
    assert "Skipped 5 tracked order(s) and 1 refill(s)" in warnings[0]


async def test_stored_orders_as_an_object_load_nothing_but_load(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """4: `orders` stored as an object is skipped; the entry still loads."""
    seed_storage(hass_storage, mock_config_entry, {"orders": {"1": stored(1)}})
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.127_0_0_1_active_orders").state == "0"


# --- 8, 11, 21. numbers and ids a user types ----------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "fields",
    [
        {"service": 1.9},
        {"quantity": 99.99},
        {"quantity": True},
        {"quantity": "1e3"},
        {"runs": 2.7, "interval": 5},
        {"runs": 2, "interval": 1.5},
        {"service": "9" * 5000},
        {"quantity": 2**60},
    ],
    ids=str,
)
async def test_fractional_or_absurd_numbers_are_refused(
    hass: HomeAssistant, panel: PanelSimulator, fields: dict[str, Any]
) -> None:
    """11, 21: 1.9 is not cut down to 1; nothing is sent."""
    with pytest.raises(vol.Invalid):
        await call_action(hass, "add_order", **{**FOLLOWERS, **fields})
    assert panel.count("add") == 0


@pytest.mark.usefixtures("loaded_entry")
async def test_whole_numbers_written_with_a_point_pass(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """11: 100.0 is a whole number."""
    response = await call_action(
        hass, "add_order", **{**FOLLOWERS, "quantity": 100.0, "service": "1"}
    )
    assert panel.orders[response["order"]].quantity == 100


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "value", ["0", "-5", "1e3", "12.0", "9" * 5000, str(2**53), "١٢٣"]
)
async def test_ids_are_positive_whole_numbers_written_as_digits(
    hass: HomeAssistant, panel: PanelSimulator, value: str
) -> None:
    """8, 21: zero, signs, exponents, huge and non-ASCII digits are not ids."""
    for action in ("track_orders", "order_status", "untrack_orders"):
        with pytest.raises(ServiceValidationError) as err:
            await call_action(hass, action, orders=value)
        assert err.value.translation_key == "invalid_id"
    assert panel.count("status") == 0


# --- 13. one batch of a bulk action refused for the key ------------------------------


async def test_auth_error_in_one_batch_keeps_the_other_batches(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """13: 100 refills that exist are returned and tracked; reauth starts."""
    orders = [panel.create_order(1, 1000, status="Completed") for _ in range(150)]
    ids = [order.order_id for order in orders]
    second_batch = set(map(str, ids[100:]))

    def reply(form: Mapping[str, str]) -> Response | None:
        if form.get("action") == "refill" and second_batch & set(
            form.get("orders", "").split(",")
        ):
            return Response(200, '{"error": "Invalid API key"}')
        return None

    answer(monkeypatch, panel, reply)
    response = await call_action(hass, "refill", orders=ids)
    await hass.async_block_till_done()

    items = response["refills"]
    assert [item["order"] for item in items] == ids
    assert all("refill" in item for item in items[:100])
    assert all("error" in item for item in items[100:])
    refills = hass_storage[storage_key(loaded_entry)]["data"]["refills"]
    assert len(refills) == 100
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


# --- 14. a balance written with a symbol --------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"), [("$12.50", "12.5"), ("1,234.50", "1234.5")]
)
async def test_balance_with_a_symbol_or_separators_loads(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    text: str,
    value: str,
) -> None:
    """14: an unambiguous balance text does not keep the entry in setup-retry."""
    answer(
        monkeypatch,
        panel,
        reply_to("balance", f'{{"balance": "{text}", "currency": "USD"}}'),
    )
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert float(hass.states.get("sensor.127_0_0_1_balance").state) == float(value)


# --- 16, 25. entities of orders no longer tracked ------------------------------------


async def test_entities_of_lost_or_purged_orders_are_removed_at_start(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    entity_registry: er.EntityRegistry,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """16, 25: no `unavailable` ghost stays for an order the entry dropped."""
    mock_config_entry.add_to_hass(hass)
    kept = panel.create_order(1, 1000)
    long_done = panel.create_order(1, 1000, status="Completed")
    finished = (dt_util.utcnow() - timedelta(hours=25)).isoformat()
    seed_storage(
        hass_storage,
        mock_config_entry,
        {
            "orders": [
                stored(kept.order_id),
                stored(long_done.order_id, state="completed", finished_at=finished),
            ],
            "refills": [],
        },
    )
    for order_id in (kept.order_id, long_done.order_id, 777):  # 777: storage lost
        entity_registry.async_get_or_create(
            Platform.SENSOR,
            DOMAIN,
            f"{mock_config_entry.entry_id}_order_{order_id}",
            config_entry=mock_config_entry,
            suggested_object_id=f"127_0_0_1_order_{order_id}",
        )

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    order_entities = {
        entity.unique_id
        for entity in er.async_entries_for_config_entry(
            entity_registry, mock_config_entry.entry_id
        )
        if entity.domain == Platform.SENSOR and "_order_" in entity.unique_id
    }
    assert order_entities == {f"{mock_config_entry.entry_id}_order_{kept.order_id}"}
    assert hass.states.get(ORDER_SENSOR.format(777)) is None
    assert hass.states.get(ORDER_SENSOR.format(long_done.order_id)) is None


# --- 17. two orders racing for the same money --------------------------------------


async def test_concurrent_orders_count_against_one_balance(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """17: two 9.00 orders on a 10.00 balance: one is placed, one is refused."""
    panel.set_balance(Decimal("10.00"))
    await setup_integration(hass, mock_config_entry)
    # 0.90 per 1000: 9.00; the same order twice, so past the duplicate guard.
    big = {**FOLLOWERS, "quantity": 10000, "allow_duplicate": True}

    results = await asyncio.gather(
        call_action(hass, "add_order", **big),
        call_action(hass, "add_order", **big),
        return_exceptions=True,
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1
    assert isinstance(errors[0], ServiceValidationError)
    assert errors[0].translation_key == "insufficient_balance"
    assert panel.count("add") == 1


async def test_a_fresh_balance_read_keeps_counting_orders_sent_since_the_poll(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """17: a balance read by an action does not make earlier orders forgotten.

    The last poll saw 10.00; a 4.50 order is sent and the poll after it fails.
    A 6.30 order reads the balance (5.50) and is refused. Another 6.30 order
    must still count the 4.50 against the polled 10.00, not pass and be sent.
    """
    panel.set_balance(Decimal("10.00"))
    await setup_integration(hass, mock_config_entry)
    panel.faults.add(Fault(kind="malformed_json", action="balance", times=None))
    await call_action(hass, "add_order", **{**FOLLOWERS, "quantity": 5000})
    await hass.async_block_till_done(wait_background_tasks=True)
    panel.faults.clear()
    big = {
        **FOLLOWERS,
        "link": "https://instagram.com/p/another-post",
        "quantity": 7000,
        "allow_duplicate": True,
    }

    for _ in range(2):
        with pytest.raises(ServiceValidationError) as exc_info:
            await call_action(hass, "add_order", **big)
        assert exc_info.value.translation_key == "insufficient_balance"

    assert panel.count("add") == 1


# --- 18, 19, 28. service types whose rules cost money -------------------------


def _catalogue_with(*services: SimService) -> PanelSimulator:
    panel = PanelSimulator(api_key=API_KEY)
    for service in services:
        panel.services[service.service_id] = service
    return panel


def _service(service_id: int, type_: str, **fields: Any) -> SimService:
    return SimService(
        **{
            "service_id": service_id,
            "name": f"{type_} service",
            "type": type_,
            "category": "Instagram",
            "rate": Decimal("0.40"),
            "min": 10,
            "max": 1000,
            "refill": False,
            "cancel": False,
            "dripfeed": False,
            **fields,
        }
    )


@pytest.fixture
def panel() -> PanelSimulator:
    """The simulated panel, with types spelled otherwise and a panel's own type."""
    return _catalogue_with(
        _service(901, "Custom_Comments"),
        _service(902, "custom  comments"),
        _service(903, "Likes spread"),
        _service(904, "Story Views Bundle"),
    )


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("service", [901, 902])
async def test_type_spellings_get_their_rules(
    hass: HomeAssistant, service: int
) -> None:
    """19: `Custom_Comments` is Custom Comments: it takes comments, not quantity."""
    response = await call_action(
        hass,
        "add_order",
        service=service,
        link=LINK,
        comments="one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten",
        dry_run=True,
    )
    assert response["estimated_charge"] == pytest.approx(0.004)
    with pytest.raises(ServiceValidationError) as err:
        await call_action(
            hass, "add_order", service=service, link=LINK, quantity=10, dry_run=True
        )
    assert err.value.translation_key == "quantity_not_used"


@pytest.mark.usefixtures("loaded_entry")
async def test_fields_a_type_does_not_take_are_refused(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """19: `comments` on a Default service is refused, not sent."""
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", **FOLLOWERS, comments="nice")
    assert err.value.translation_key == "fields_not_used"
    assert err.value.translation_placeholders["fields"] == "comments"
    assert panel.count("add") == 0


@pytest.mark.usefixtures("loaded_entry")
async def test_likes_spread_is_billed_per_old_post(hass: HomeAssistant) -> None:
    """28: old_posts x max x rate / 1000, with no link and no quantity."""
    response = await call_action(
        hass,
        "add_order",
        service=903,
        username="someone",
        min=50,
        max=100,
        old_posts=1,
        dry_run=True,
    )
    assert response["estimated_charge"] == pytest.approx(0.04)
    assert response["estimate_exact"] is True
    with pytest.raises(ServiceValidationError) as err:
        await call_action(
            hass, "add_order", service=903, username="someone", min=50, max=100,
            old_posts=1, link=LINK, dry_run=True,
        )  # fmt: skip
    assert err.value.translation_key == "link_not_used"


@pytest.mark.usefixtures("loaded_entry")
async def test_subscription_needs_posts(hass: HomeAssistant) -> None:
    """18: without `posts` a subscription's price is open-ended: refused."""
    with pytest.raises(ServiceValidationError) as err:
        await call_action(
            hass, "add_order", service=18, username="someone", min=100, max=200,
            delay=0, dry_run=True,
        )  # fmt: skip
    assert err.value.translation_key == "missing_fields"
    assert "posts" in err.value.translation_placeholders["fields"]


@pytest.mark.usefixtures("loaded_entry")
async def test_dripfeed_needs_two_runs(hass: HomeAssistant) -> None:
    """28: drip-feed with a single run is refused before sending."""
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", **FOLLOWERS, runs=1, interval=10)
    assert err.value.translation_key == "dripfeed_runs"


@pytest.mark.usefixtures("loaded_entry")
async def test_unknown_type_says_the_estimate_may_be_wrong(hass: HomeAssistant) -> None:
    """28: a panel's own type keeps the Default rules, flagged as inexact."""
    response = await call_action(
        hass, "add_order", service=904, link=LINK, quantity=100, dry_run=True
    )
    assert response["estimate_exact"] is False
    known = await call_action(hass, "add_order", **FOLLOWERS, dry_run=True)
    assert known["estimate_exact"] is True


# --- 23. orders the panel does not know -----------------------------------------------


async def test_order_unknown_to_the_panel_is_given_up_after_three_replies(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """23: three "Incorrect order ID" in a row: finished, `unknown`, event, no polls."""
    seed_storage(hass_storage, mock_config_entry, {"orders": [stored(424242)]})
    events = async_capture_events(hass, EVENT_ORDER_UPDATED)
    await setup_integration(hass, mock_config_entry)  # first reply
    await poll(hass)  # second
    assert hass.states.get(ORDER_SENSOR.format(424242)).state == "pending"
    await poll(hass)  # third

    state = hass.states.get(ORDER_SENSOR.format(424242))
    assert state.state == "unknown"
    assert state.attributes["error"] == "Incorrect order ID"
    assert [(e.data["previous_status"], e.data["status"]) for e in events] == [
        ("pending", "unknown")
    ]
    assert hass.states.get("sensor.127_0_0_1_active_orders").state == "0"
    panel.reset_log()
    await poll(hass)
    assert not any("424242" in str(r.params) for r in panel.requests)


# --- 24, 27. rate limiting ----------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("fault", "retry_after"),
    [
        (Fault("http429", action="status", retry_after=60, times=None), "60"),
        (
            Fault("error", action="status", message="Rate limit exceeded", times=None),
            None,
        ),
    ],
    ids=["429-retry-after-60", "error-text"],
)
async def test_rate_limited_action_fails_fast_with_when_to_retry(
    hass: HomeAssistant,
    panel: PanelSimulator,
    fault: Fault,
    retry_after: str | None,
) -> None:
    """24, 27: an action waits at most 10 s, then says when to retry."""
    order = panel.create_order(1, 100)
    panel.faults.add(fault)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, "order_status", orders=[order.order_id])
    # Far below the 60 s the panel asked for; the bound itself is 10 s.
    assert loop.time() - started < 30
    assert err.value.translation_key == "rate_limited"
    seconds = err.value.translation_placeholders["retry_after"]
    assert int(seconds) >= 1
    if retry_after is not None:
        assert seconds == retry_after


# --- 26. changes found while Home Assistant starts ----------------------------


async def test_changes_found_while_starting_reach_automations_once_started(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """26: the first refresh's changes fire after start, on the bus and the entity."""
    order = panel.create_order(1, 1000, status="Completed")
    seed_storage(hass_storage, mock_config_entry, {"orders": [stored(order.order_id)]})
    events = async_capture_events(hass, EVENT_ORDER_UPDATED)
    hass.set_state(CoreState.not_running)

    await setup_integration(hass, mock_config_entry)
    assert events == []
    assert hass.states.get(EVENTS).state == "unknown"

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()

    assert [(e.data["order_id"], e.data["status"]) for e in events] == [
        (order.order_id, "completed")
    ]
    event_state = hass.states.get(EVENTS)
    assert event_state.attributes["event_type"] == "completed"
    assert event_state.attributes["order_id"] == order.order_id
    await poll(hass)
    assert len(events) == 1


async def test_changes_found_by_a_reload_reach_the_event_entity(
    hass: HomeAssistant,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """26: a change found by the refresh of a reload is fired once, on both."""
    order = panel.create_order(1, 1000)
    await call_action(hass, "track_orders", orders=[order.order_id])
    events = async_capture_events(hass, EVENT_ORDER_UPDATED)
    panel.set_order_status(order.order_id, "Completed")

    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert [e.data["status"] for e in events] == ["completed"]
    event_state = hass.states.get(EVENTS)
    assert event_state.attributes["event_type"] == "completed"
    await poll(hass)
    assert len(events) == 1


# --- 20. redirects -------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data"),
    [("add", FOLLOWERS), ("status", {"orders": [23501]})],
    ids=["add_order", "order_status"],
)
async def test_redirect_is_reported_not_followed(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
    action: str,
    data: dict[str, Any],
) -> None:
    """20: a 307 is reported with where it pointed; the key goes nowhere else."""
    elsewhere = "https://elsewhere.example/api/v2?key=hunter2"

    def reply(form: Mapping[str, str]) -> Response | None:
        if form.get("action") != action:
            return None
        return Response(307, "", headers={"Location": elsewhere})

    answer(monkeypatch, panel, reply)
    with pytest.raises(HomeAssistantError) as err:
        await call_action(
            hass, "add_order" if action == "add" else "order_status", **data
        )
    assert err.value.translation_key == "panel_redirected"
    location = err.value.translation_placeholders["location"]
    assert location.startswith("https://elsewhere.example/api/v2")
    assert "hunter2" not in location
    assert not order_issues(hass)  # a 307 was not processed: nothing was placed
