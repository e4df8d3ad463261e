"""Money safety, round two: the order desk reserves before it sends (issue 17).

Each test is a regression test for one item of the second hostile review: its
number is in the docstring. They go through Home Assistant's public surface:
scripts, actions, polls, restarts and storage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
import json
import logging
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smm_panel import tracking
from custom_components.smm_panel.const import (
    CONF_DUPLICATE_WINDOW,
    CONF_SPENDING_LIMIT,
    DOMAIN,
)
from simulator import Fault, PanelSimulator
from simulator.catalogue import SimService
from simulator.models import Response

from ...conftest import API_KEY
from .conftest import (
    ORDER_SENSOR,
    SECOND_KEY,
    call_action,
    poll,
    seed_storage,
    setup_integration,
    storage_key,
)
from .test_safety import answer, order_issues, request_seen, stored

LINK = "https://instagram.com/p/desk"
SPENT = "sensor.127_0_0_1_spent_in_the_last_24_hours"


def followers(quantity: int = 1000, **fields: Any) -> dict[str, Any]:
    """Return an order of service 1 (0.90 per 1000)."""
    return {"service": 1, "link": LINK, "quantity": quantity, **fields}


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


def placed_records(
    hass_storage: dict[str, Any], entry: MockConfigEntry
) -> list[dict[str, Any]]:
    """Return the ledger of orders placed, as stored."""
    return hass_storage[storage_key(entry)]["data"]["placed"]


async def run_script_twice(hass: HomeAssistant, panel: PanelSimulator) -> None:
    """Start a restart-mode script that buys, then start it again mid-request."""
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "buy": {
                    "mode": "restart",
                    "sequence": [
                        {
                            "action": f"{DOMAIN}.add_order",
                            "data": followers(allow_duplicate=True),
                        }
                    ],
                }
            }
        },
    )
    seen = request_seen(panel, "add")
    await hass.services.async_call("script", "buy")
    async with asyncio.timeout(30):
        await seen.wait()
    # The dashboard button pressed again: the first run is cancelled.
    await hass.services.async_call("script", "buy")
    await hass.async_block_till_done(wait_background_tasks=True)


# --- 1. a cancelled caller must not open the gate for a second `add` ------------


async def test_restarted_script_cannot_pass_the_spending_limit(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """1: a 1.00 limit, a 0.90 order in flight, the script restarted: one order."""
    entry = with_options(mock_config_entry, **{CONF_SPENDING_LIMIT: 1.0})
    await setup_integration(hass, entry)
    panel.faults.add(Fault("latency", action="add", delay=1.0))

    await run_script_twice(hass, panel)

    assert panel.count("add") == 1
    assert float(hass.states.get(SPENT).state) == pytest.approx(0.9)
    # The second run fails (the limit), as a script does; nothing else errs.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in errors if r.name.startswith("custom_components")]
    assert "never retrieved" not in caplog.text
    assert "Error doing job" not in caplog.text


async def test_restarted_script_waits_for_the_first_order(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """1: without a limit, the second run waits for the answer to the first.

    With allow_duplicate both are sent, one after the other, never at once
    (this panel then refuses the second: one active order per link).
    """
    await setup_integration(hass, mock_config_entry)
    panel.faults.add(Fault("latency", action="add", delay=1.0))
    seen_at: list[float] = []
    log_request = panel.log_request

    def logged(form: Mapping[str, str]) -> Any:
        if form.get("action") == "add":
            seen_at.append(asyncio.get_running_loop().time())
        return log_request(form)

    panel.log_request = logged  # type: ignore[method-assign]
    await run_script_twice(hass, panel)

    assert panel.count("add") == 2
    # The second `add` left only after the first one's 1 s reply.
    assert seen_at[1] - seen_at[0] >= 0.9
    assert len(panel.orders) == 1


async def test_duplicate_guard_holds_against_a_restarted_script(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """1: the same order from a restarted script is refused as a repeat."""
    await setup_integration(hass, mock_config_entry)
    panel.faults.add(Fault("latency", action="add", delay=1.0))
    seen = request_seen(panel, "add")
    first = hass.async_create_task(call_action(hass, "add_order", **followers()))
    async with asyncio.timeout(30):
        await seen.wait()
    first.cancel()

    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", **followers())

    assert err.value.translation_key == "duplicate_order_just_now"
    assert panel.count("add") == 1


async def test_reservation_is_on_disk_before_the_reply(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Also: Home Assistant stopping while `add` is in flight keeps the record."""
    await setup_integration(hass, mock_config_entry)
    panel.faults.add(Fault("latency", action="add", delay=0.5))
    seen = request_seen(panel, "add")
    call = hass.async_create_task(call_action(hass, "add_order", **followers()))
    async with asyncio.timeout(30):
        await seen.wait()

    (record,) = placed_records(hass_storage, mock_config_entry)
    assert record["status"] == "sending"
    assert Decimal(record["estimate"]) == Decimal("0.9")
    await call
    await hass.async_block_till_done(wait_background_tasks=True)
    (record,) = placed_records(hass_storage, mock_config_entry)
    assert record["status"] == "placed"
    assert record["order_id"] == next(iter(panel.orders))


async def test_order_sent_when_home_assistant_stopped_is_reported_and_counted(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Also: a reservation left "sending" by a stop: repair issue, still counted."""
    freezer.move_to("2026-12-04T13:00:00+00:00")  # an hour after it was sent
    entry = with_options(mock_config_entry, **{CONF_SPENDING_LIMIT: 1.0})
    seed_storage(
        hass_storage,
        entry,
        {
            "orders": [],
            "placed": [
                {
                    "placed_at": "2026-12-04T12:00:00+00:00",
                    "estimate": "0.9",
                    "fingerprint": "x",
                    "order_id": None,
                    "status": "sending",
                    "service_id": 1,
                    "service_name": "Followers",
                }
            ],
        },
    )
    await setup_integration(hass, entry)

    (issue,) = order_issues(hass)
    assert issue.translation_placeholders["service"] == "1"
    assert issue.translation_placeholders["link"] == "-"
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", **followers(500))
    assert err.value.translation_key == "spending_limit"
    assert panel.count("add") == 0
    # Reported once: a reload does not raise it again.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(order_issues(hass)) == 1


# --- 2. an `add` reply with `"error": null` is a placed order ----------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("error", ["null", '""', "false", "0"])
async def test_add_reply_with_an_empty_error_is_tracked(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    error: str,
) -> None:
    """2: `{"order": 23501, "error": null}` was charged: track it, say placed."""
    answer(
        monkeypatch,
        panel,
        lambda form: Response(200, f'{{"order": 23501, "error": {error}}}')
        if form.get("action") == "add"
        else None,
    )

    response = await call_action(hass, "add_order", **followers())

    assert response["order"] == 23501
    assert hass.states.get(ORDER_SENSOR.format(23501)) is not None
    assert not order_issues(hass)


# --- 6. a stored time without a zone ---------------------------------------------


@pytest.mark.parametrize("moment", ["2026-12-04T13:00:00", "2026-12-04"])
async def test_stored_time_without_a_zone_is_read_as_utc(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    moment: str,
) -> None:
    """6: the entry loads (no setup retried forever) and the record counts."""
    freezer.move_to("2026-12-04T14:00:00+00:00")
    seed_storage(
        hass_storage,
        mock_config_entry,
        {
            "orders": [stored(23501, finished_at=moment, state="completed")],
            "placed": [{"placed_at": moment, "estimate": "0.9", "fingerprint": "x"}],
        },
    )
    await setup_integration(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert float(hass.states.get(SPENT).state) == pytest.approx(0.9)
    assert hass.states.get(ORDER_SENSOR.format(23501)) is not None


# --- 7. the same link written differently ----------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "link",
    [
        "https://instagram.com/p/desk/",
        "HTTPS://Instagram.COM/p/desk",
        "https://www.instagram.com/p/desk",
        "http://instagram.com/p/desk",
        "https://instagram.com/p/desk?igshid=abc123&utm_source=ig_web",
        "https://instagram.com/p/desk\u200b",
        "https://\uff49\uff4e\uff53\uff54\uff41\uff47\uff52\uff41\uff4d.com/p/desk",
        "instagram.com./p/desk",
    ],
)
async def test_the_same_link_written_differently_is_a_repeat(
    hass: HomeAssistant, panel: PanelSimulator, link: str
) -> None:
    """7: case, www., scheme, slash, tracking, invisible and wide letters."""
    await call_action(hass, "add_order", **followers())

    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", **followers(link=link))

    assert err.value.translation_key == "duplicate_order_just_now"
    assert panel.count("add") == 1


@pytest.mark.usefixtures("loaded_entry")
async def test_the_link_is_sent_as_written(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """7: normalising is for the guard only; another post is another order."""
    written = "https://www.Instagram.com/p/desk/?igshid=abc"
    await call_action(hass, "add_order", **followers(link=written))
    await call_action(hass, "add_order", **followers(link=f"{LINK}-two"))

    assert [order.link for order in panel.orders.values()] == [written, f"{LINK}-two"]


# --- 8. a jump of the wall clock ---------------------------------------------------


async def test_wall_clock_jump_keeps_the_spending_record(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """8: the wall clock jumps 25 h ahead for one poll; the 0.90 still counts."""
    entry = with_options(mock_config_entry, **{CONF_SPENDING_LIMIT: 1.0})
    await setup_integration(hass, entry)
    await call_action(hass, "add_order", **followers())
    still = time.monotonic()
    monkeypatch.setattr(tracking, "_monotonic", lambda: still + 60, raising=False)

    freezer.tick(timedelta(hours=25))
    await poll(hass)

    assert float(hass.states.get(SPENT).state) == pytest.approx(0.9)
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", **followers(500, link=f"{LINK}-2"))
    assert err.value.translation_key == "spending_limit"
    assert panel.count("add") == 1


# --- 9. an inexact estimate and a spending limit ---------------------------------


def _panel_with_unknown_type() -> PanelSimulator:
    panel = PanelSimulator(api_key=API_KEY)
    panel.services[950] = SimService(
        950,
        "Story views (own type)",
        "Story Views Plus",
        "Instagram",
        Decimal("0.05"),
        10,
        100000,
        refill=False,
        cancel=False,
        dripfeed=False,
    )
    return panel


@pytest.fixture
def panel() -> PanelSimulator:
    """The default simulated panel, plus a service of a type with no known rules."""
    return _panel_with_unknown_type()


async def test_inexact_estimate_needs_consent_under_a_limit(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """9: a type without billing rules is refused under a limit unless allowed."""
    entry = with_options(mock_config_entry, **{CONF_SPENDING_LIMIT: 20.0})
    await setup_integration(hass, entry)
    order = {"service": 950, "link": LINK, "quantity": 1000}

    dry = await call_action(hass, "add_order", **order, dry_run=True)
    assert dry["estimate_exact"] is False
    assert dry["within_spending_limit"] is False
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", **order)
    assert err.value.translation_key == "spending_limit_inexact_estimate"
    assert err.value.translation_placeholders["service"] == "950"
    assert panel.count("add") == 0

    response = await call_action(
        hass, "add_order", **order, allow_inexact_estimate=True
    )
    assert response["order"] is not None
    assert panel.count("add") == 1


async def test_inexact_estimate_without_a_limit_is_placed(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """9: no limit set, nothing to protect: the order goes through as before."""
    await setup_integration(hass, mock_config_entry)

    await call_action(hass, "add_order", service=950, link=LINK, quantity=1000)

    assert panel.count("add") == 1


# --- 10. refunds, and charges reported as 0 ----------------------------------------


async def test_canceled_order_counts_nothing(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """10: a PHP panel keeps showing the charge of a refunded cancel: it costs 0."""
    entry = with_options(mock_config_entry, **{CONF_SPENDING_LIMIT: 1.0})
    await setup_integration(hass, entry)
    response = await call_action(hass, "add_order", **followers())
    panel.set_order_status(response["order"], "Canceled")  # charge kept
    await poll(hass)

    assert float(hass.states.get(SPENT).state) == 0
    await call_action(hass, "add_order", **followers(link=f"{LINK}-2"))
    assert panel.count("add") == 2


async def test_charge_of_zero_before_start_keeps_the_estimate(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Also: a panel reporting `charge: 0` until an order starts."""
    entry = with_options(mock_config_entry, **{CONF_SPENDING_LIMIT: 1.0})
    await setup_integration(hass, entry)
    response = await call_action(hass, "add_order", **followers())
    order_id = response["order"]
    answer(
        monkeypatch,
        panel,
        lambda form: Response(
            200,
            f'{{"{order_id}": {{"status": "Pending", "charge": "0", '
            '"remains": "1000", "start_count": "0", "currency": "USD"}}',
        )
        if form.get("action") == "status"
        else None,
    )
    await poll(hass)

    assert float(hass.states.get(SPENT).state) == pytest.approx(0.9)
    with pytest.raises(ServiceValidationError):
        await call_action(hass, "add_order", **followers(500, link=f"{LINK}-2"))


# --- 13. rates in different currencies --------------------------------------------


async def test_list_services_never_compares_currencies(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """13: each service carries its currency; by rate, sorted within a currency."""
    panel.add_account(SECOND_KEY, Decimal(50), "EUR")
    await setup_integration(hass, mock_config_entry)
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Reseller two",
        unique_id="second",
        data={**mock_config_entry.data, "api_key": SECOND_KEY},
        options={CONF_DUPLICATE_WINDOW: 0},
    )
    await setup_integration(hass, second)

    response = await call_action(hass, "list_services", sort="rate")

    services = response["services"]
    assert response["sorted_within_currency"] == ["EUR", "USD"]
    currencies = [item["currency"] for item in services]
    assert currencies == sorted(currencies)
    for currency in ("EUR", "USD"):
        rates = [i["rate"] for i in services if i["currency"] == currency]
        assert rates == sorted(rates)


# --- also: the store's worker thread never reads what the loop is changing --------


@pytest.mark.usefixtures("loaded_entry")
async def test_data_to_save_is_built_on_the_event_loop(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Also: a delayed save hands the store data built when it was scheduled.

    The store calls its data function in a worker thread, later; built then,
    it would iterate records the event loop is changing meanwhile.
    """
    handed: list[Callable[[], Any]] = []
    delay_save = Store.async_delay_save

    def capture(
        store: Store[Any], data_func: Callable[[], Any], delay: float = 0
    ) -> None:
        if store.key == storage_key(mock_config_entry):
            handed.append(data_func)
        delay_save(store, data_func, delay)

    monkeypatch.setattr(Store, "async_delay_save", capture)
    await call_action(hass, "add_order", **followers())
    await hass.async_block_till_done(wait_background_tasks=True)
    assert handed
    built = [json.dumps(data_func(), sort_keys=True) for data_func in handed]

    # The loop goes on: another order is placed and tracked.
    await call_action(hass, "add_order", **followers(link=f"{LINK}-2"))
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [json.dumps(f(), sort_keys=True) for f in handed[: len(built)]] == built
