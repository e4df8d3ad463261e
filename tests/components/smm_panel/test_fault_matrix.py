"""Every fault the simulator can inject, at every place it can hit.

Places: polling (on each request a refresh sends) and each action that talks
to the panel. For every pair: no unhandled exception reaches Home Assistant's
log, no tracked order or refill is lost or duplicated in storage, polling
faults make the entities unavailable until the next good refresh (one log line
each way) or start a reauth flow, action faults raise the translated error of
the README's "Actions" section, and `add` is never sent twice (docs/protocol.md,
section 9).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from decimal import Decimal
import fnmatch
import logging
import re
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.smm_panel.const import DOMAIN
from simulator import Fault, PanelSimulator

from ...conftest import API_KEY, NEVER, SHORT, client_timeout
from .conftest import call_action, poll, seed_storage, setup_integration, storage_key

# A "timeout" fault stalls NEVER seconds (the panel never answers), and only
# the tests of that fault wait for a SHORT client timeout: see fast_client.
CLIENT_TIMEOUT = SHORT
UNKNOWN_ID = 99999
INTEGRATION_LOGGER = "custom_components.smm_panel"

# Faults that make a whole request fail (per-item errors are tested apart).
FAULTS = (
    "timeout",
    "reset",
    "http500",
    "html",
    "malformed_json",
    "wrong_shape",
    "http429",
    "error",
    "key_revoked",
)
# What Home Assistant's log must never show at INFO or above, whatever the
# panel does.
UNHANDLED_MARKERS = (
    "Traceback",
    "Unexpected",
    "Error doing job",
    "Exception in",
    "exception was never retrieved",
)


@pytest.fixture(autouse=True)
def fast_client(request: pytest.FixtureRequest) -> Generator[None]:
    """No backoff; a SHORT timeout in the tests of the "timeout" fault only.

    Every other test keeps a patient timeout: a busy machine cannot make a
    healthy reply look like a timeout.
    """
    params = getattr(request.node, "callspec", None)
    kind = params.params.get("kind") if params is not None else None
    with (
        patch("custom_components.smm_panel.const.CLIENT_TIMEOUT", client_timeout(kind)),
        patch("custom_components.smm_panel.const.CLIENT_BACKOFF", 0),
    ):
        yield


def make_fault(kind: str, action: str | None, times: int | None = None) -> Fault:
    """Return a fault of `kind`; a timeout is a panel that never answers."""
    return Fault(kind, action=action, times=times, delay=NEVER)


@dataclass
class Account:
    """What the account holds when a test starts."""

    entry: MockConfigEntry
    active: int  # tracked, pending
    finished: int  # tracked, completed: can be refilled
    refill: int  # tracked refill of `finished`, pending
    untracked: int  # exists on the panel, not tracked

    @property
    def key(self) -> str:
        """Return the storage key of the tracked orders."""
        return storage_key(self.entry)


SetupAccount = Callable[..., Awaitable[Account]]


@pytest.fixture
def setup_account(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> SetupAccount:
    """Return a function that sets up the account of these tests.

    It tracks an active order, a finished one, an id the panel does not know
    and a refill. Faults given to the function are in place while Home
    Assistant starts.
    """

    async def setup(*faults: Fault) -> Account:
        active = panel.create_order(1, 1000, link="https://instagram.com/p/active")
        finished = panel.create_order(
            1, 1000, link="https://instagram.com/p/done", status="Completed"
        )
        reply = panel.handle(
            {"key": API_KEY, "action": "refill", "order": str(finished.order_id)}
        ).json()
        untracked = panel.create_order(1, 500, link="https://instagram.com/p/other")
        account = Account(
            mock_config_entry,
            active.order_id,
            finished.order_id,
            int(reply["refill"]),
            untracked.order_id,
        )
        seed_storage(
            hass_storage,
            mock_config_entry,
            {
                "orders": [
                    _stored_order(active.order_id, "pending"),
                    _stored_order(finished.order_id, "completed"),
                    _stored_order(UNKNOWN_ID, "pending"),
                ],
                "refills": [
                    {
                        "refill_id": account.refill,
                        "order_id": finished.order_id,
                        "state": "pending",
                    }
                ],
            },
        )
        for fault in faults:
            panel.faults.add(fault)
        await setup_integration(hass, mock_config_entry)
        panel.reset_log()
        caplog.clear()
        return account

    return setup


@pytest.fixture
async def account(setup_account: SetupAccount) -> Account:
    """Set up the account with a healthy panel."""
    return await setup_account()


def _stored_order(order_id: int, state: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "service_id": 1,
        "service_name": "Followers",
        "link": "https://instagram.com/p/x",
        "quantity": 1000,
        "state": state,
    }


def stored_ids(hass_storage: dict[str, Any], account: Account) -> dict[str, list[int]]:
    """Return the ids of the stored orders and refills, as stored (repeats kept)."""
    data = hass_storage[account.key]["data"]
    return {
        "orders": sorted(order["order_id"] for order in data["orders"]),
        "refills": sorted(refill["refill_id"] for refill in data["refills"]),
    }


def assert_storage_matches(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    account: Account,
    expected: dict[str, list[int]],
) -> None:
    """Storage holds each expected id exactly once, like the tracker in memory."""
    assert stored_ids(hass_storage, account) == expected
    tracker = account.entry.runtime_data.tracker
    assert sorted(tracker.orders) == expected["orders"]
    assert sorted(tracker.refills) == expected["refills"]


def is_crash(record: logging.LogRecord) -> bool:
    """Return True for a record that reports an unhandled exception.

    That is a record at INFO or above with a traceback or an "unhandled"
    wording. DEBUG records may carry tracebacks on purpose: since 2026.x the
    coordinator logs each failed refresh's traceback at DEBUG ("Full error:"),
    and asyncio notes at DEBUG the broken pipe of a reply the client stopped
    waiting for.
    """
    if record.levelno < logging.INFO:
        return False
    message = record.getMessage()
    return record.exc_info is not None or any(
        marker in message for marker in UNHANDLED_MARKERS
    )


def assert_no_unhandled_errors(
    caplog: pytest.LogCaptureFixture, allowed_errors: int | None = 0
) -> None:
    """No crash (see is_crash); ERROR lines only from the integration.

    `allowed_errors` is how many ERROR lines the integration may log (None: any
    number); the key must never show, at any level.
    """
    crashes = [record.getMessage() for record in caplog.records if is_crash(record)]
    assert crashes == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert {r.name for r in errors} <= {INTEGRATION_LOGGER}
    if allowed_errors is not None:
        assert len(errors) == allowed_errors
    assert API_KEY not in caplog.text


def integration_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the integration's own log lines at INFO and above."""
    return [
        r
        for r in caplog.records
        if r.name == INTEGRATION_LOGGER and r.levelno >= logging.INFO
    ]


def reauth_flows(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """Return the reauth flows in progress for the entry."""
    return [
        flow["flow_id"]
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
        and flow["context"].get("entry_id") == entry.entry_id
    ]


# What the client says of each fault (the translations put it in context).
CANNOT_CONNECT = "Cannot reach the panel: {}"
INVALID_RESPONSE = "The panel's reply could not be read: {}"
NOT_JSON = "The panel's reply is not JSON (HTTP 200)"
WRONG_SHAPE = {
    "balance": "Balance reply is not an object",
    "status": "Bulk status reply is not an object",
    "refill": "Bulk reply is not a list",
    "refill_status": "Bulk reply is not a list",
    "cancel": "Bulk reply is not a list",
    "services": "Services reply is not a list",
}


def assert_message(actual: str, expected: str) -> None:
    """Compare a message; `*` in `expected` stands for any text.

    Whatever the wildcard covers, the message must not say the same thing
    twice ("Cannot reach the panel: Cannot reach the panel: ...").
    """
    assert fnmatch.fnmatchcase(actual, expected), actual
    prefix = re.split(r"[:*]", expected, maxsplit=1)[0]
    assert actual.count(prefix) == 1, actual


# --- polling -------------------------------------------------------------------


def watched_entities(account: Account) -> list[str]:
    """Return the entities that follow the coordinator's availability.

    Not the finished order's: its state is final and stays shown through an
    outage (checked in test_polling_fault).
    """
    return [
        "sensor.127_0_0_1_balance",
        "sensor.127_0_0_1_active_orders",
        "binary_sensor.127_0_0_1_low_balance",
        f"sensor.127_0_0_1_order_{account.active}",
    ]


def polling_error(kind: str, request_action: str) -> str:
    """Return what the log line says of a fault (`*` matches any text)."""
    return {
        "timeout": f"No reply from the panel within {CLIENT_TIMEOUT:g} s",
        "reset": "*ServerDisconnectedError*",
        "http500": "The panel answered HTTP 500",
        "html": NOT_JSON,
        "malformed_json": NOT_JSON,
        "wrong_shape": WRONG_SHAPE[request_action],
        "http429": "Rate limited by the panel",
        "error": "Incorrect request",
    }[kind]


@pytest.mark.usefixtures("balance_every_refresh")
@pytest.mark.parametrize("request_action", ["balance", "status", "refill_status"])
@pytest.mark.parametrize("kind", FAULTS)
async def test_polling_fault(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    account: Account,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    request_action: str,
) -> None:
    """A refresh that fails on any of its requests: down, then back, nothing lost."""
    before = stored_ids(hass_storage, account)
    panel.faults.add(make_fault(kind, request_action))

    await poll(hass)
    await poll(hass)  # a second failure logs nothing more

    for entity_id in watched_entities(account):
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE, entity_id
    finished = hass.states.get(f"sensor.127_0_0_1_order_{account.finished}")
    assert finished.state == "completed"
    lines = integration_lines(caplog)
    if kind == "key_revoked":
        assert reauth_flows(hass, account.entry)
        assert [(r.levelno, r.getMessage()) for r in lines] == [
            (
                logging.ERROR,
                "Authentication failed while fetching smm_panel data: The panel"
                " rejected the API key. Re-enter it in the integration's settings",
            )
        ]
        # Polling stops until the user gives a new key: nothing else is sent.
        panel.reset_log()
        await poll(hass)
        assert panel.requests == []
    else:
        assert not reauth_flows(hass, account.entry)
        assert [r.levelno for r in lines] == [logging.ERROR]
        assert_message(
            lines[0].getMessage(),
            "Error fetching smm_panel data: Error while updating from the panel: "
            + polling_error(kind, request_action),
        )

        panel.faults.clear()
        panel.advance(120)
        await poll(hass)
        for entity_id in watched_entities(account):
            assert hass.states.get(entity_id).state != STATE_UNAVAILABLE, entity_id
        assert (
            hass.states.get(f"sensor.127_0_0_1_order_{account.active}").state
            == "in_progress"
        )
        lines = integration_lines(caplog)
        assert [r.levelno for r in lines] == [logging.ERROR, logging.INFO]
        assert lines[1].getMessage() == "Fetching smm_panel data recovered"

    assert_no_unhandled_errors(caplog, allowed_errors=1)
    assert_storage_matches(hass, hass_storage, account, before)


@pytest.mark.parametrize("kind", ["timeout", "reset", "http500", "http429"])
async def test_polling_survives_one_transient_fault(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    account: Account,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    """A transient fault on one request is retried: nobody notices."""
    before = stored_ids(hass_storage, account)
    panel.faults.add(make_fault(kind, "status", times=1))
    panel.advance(120)

    await poll(hass)

    assert panel.count("status") == 2
    for entity_id in watched_entities(account):
        assert hass.states.get(entity_id).state != STATE_UNAVAILABLE, entity_id
    assert (
        hass.states.get(f"sensor.127_0_0_1_order_{account.active}").state
        == "in_progress"
    )
    assert integration_lines(caplog) == []
    assert_no_unhandled_errors(caplog)
    assert_storage_matches(hass, hass_storage, account, before)


async def test_polling_per_order_errors(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    account: Account,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An id the panel does not know, among tracked ones: it alone gets an error.

    (A third such reply in a row gives the order up: see test_safety.py.)
    """
    before = stored_ids(hass_storage, account)
    panel.advance(120)

    await poll(hass)

    for entity_id in watched_entities(account):
        assert hass.states.get(entity_id).state != STATE_UNAVAILABLE, entity_id
    assert (
        hass.states.get(f"sensor.127_0_0_1_order_{account.active}").state
        == "in_progress"
    )
    assert hass.states.get(f"sensor.127_0_0_1_order_{UNKNOWN_ID}").state == "pending"
    stored = {
        order["order_id"]: order
        for order in hass_storage[account.key]["data"]["orders"]
    }
    assert stored[UNKNOWN_ID]["error"] == "Incorrect order ID"
    assert stored[account.active]["error"] is None
    assert integration_lines(caplog) == []
    assert_no_unhandled_errors(caplog)
    assert_storage_matches(hass, hass_storage, account, before)


# --- actions -------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """An action, the panel request it sends, and what to call it with."""

    action: str
    request: str
    data: Callable[[Account], dict[str, Any]]
    # The polled balance is short: add_order reads it again before sending.
    short_balance: bool = False


NEW_ORDER_LINK = "https://instagram.com/p/new"
PLACES = {
    "add_order": Place(
        "add_order",
        "add",
        lambda a: {"service": 1, "link": NEW_ORDER_LINK, "quantity": 100},
    ),
    "add_order_balance_check": Place(
        "add_order",
        "balance",
        lambda a: {"service": 1, "link": NEW_ORDER_LINK, "quantity": 100},
        short_balance=True,
    ),
    "order_status": Place(
        "order_status", "status", lambda a: {"orders": [a.active, a.finished]}
    ),
    "refill": Place("refill", "refill", lambda a: {"orders": [a.finished]}),
    "refill_status": Place(
        "refill_status", "refill_status", lambda a: {"refills": [a.refill]}
    ),
    "cancel": Place("cancel", "cancel", lambda a: {"orders": [a.active]}),
    "list_services": Place("list_services", "services", lambda a: {}),
    "track_orders": Place(
        "track_orders", "status", lambda a: {"orders": [a.untracked]}
    ),
}

ORDER_STATE_UNKNOWN = (
    "The panel 127.0.0.1 did not confirm the order for service 1"
    f" ({NEW_ORDER_LINK}): the order's state is unknown — check the panel"
    " before retrying"
)


def expected_error(kind: str, place: Place) -> tuple[str, str]:
    """Return the translation key and the message an action fault must raise."""
    if place.request == "add" and kind in {
        "timeout",
        "reset",
        "http500",
        "html",
        "malformed_json",
        "wrong_shape",
    }:
        # The request left: the order may exist. Never "cannot connect".
        return "order_state_unknown", ORDER_STATE_UNKNOWN
    return {
        "timeout": (
            "cannot_connect",
            CANNOT_CONNECT.format(
                f"No reply from the panel within {CLIENT_TIMEOUT:g} s"
            ),
        ),
        # Only the exception class is given (the words are the client's).
        "reset": ("cannot_connect", CANNOT_CONNECT.format("*ServerDisconnectedError*")),
        "http500": (
            "cannot_connect",
            CANNOT_CONNECT.format("The panel answered HTTP 500"),
        ),
        "html": ("invalid_response", INVALID_RESPONSE.format(NOT_JSON)),
        "malformed_json": ("invalid_response", INVALID_RESPONSE.format(NOT_JSON)),
        "wrong_shape": (
            "invalid_response",
            INVALID_RESPONSE.format(WRONG_SHAPE.get(place.request)),
        ),
        "http429": (
            "rate_limited",
            "The panel is limiting the requests made with this key; retry in * s",
        ),
        "error": ("panel_rejected", "The panel refused the request: Incorrect request"),
        "key_revoked": (
            "invalid_auth",
            "The panel rejected the API key. Re-enter it in the integration's settings",
        ),
    }[kind]


@pytest.mark.parametrize("place_name", list(PLACES))
@pytest.mark.parametrize("kind", FAULTS)
async def test_action_fault(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    setup_account: SetupAccount,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    place_name: str,
) -> None:
    """An action whose request fails raises its translated error; nothing else moves."""
    place = PLACES[place_name]
    fault = make_fault(kind, place.request)
    if place.short_balance:
        panel.set_balance(Decimal("0.05"))
    if place.request == "services":
        # The catalogue is cached for an hour: fail it from the start, quietly.
        account = await setup_account(fault)
    else:
        account = await setup_account()
        panel.faults.add(fault)
    if place.short_balance:
        panel.set_balance(Decimal(100))  # topped up since the last poll
    before = stored_ids(hass_storage, account)
    translation_key, message = expected_error(kind, place)

    with pytest.raises(HomeAssistantError) as exc_info:
        await call_action(hass, place.action, **place.data(account))
    await hass.async_block_till_done(wait_background_tasks=True)

    err = exc_info.value
    assert (err.translation_domain, err.translation_key) == (DOMAIN, translation_key)
    assert_message(str(err), message)
    assert panel.count(place.request) >= 1
    # Sent once when it is the failing request; never when a check before failed.
    assert panel.count("add") == (place.request == "add")
    assert bool(reauth_flows(hass, account.entry)) == (kind == "key_revoked")
    unknown_order_issues = [
        issue
        for issue in issue_registry.issues.values()
        if issue.translation_key == "order_state_unknown"
    ]
    assert len(unknown_order_issues) == (translation_key == "order_state_unknown")
    # A failed action says nothing about polling: the entities stay up.
    for entity_id in watched_entities(account):
        assert hass.states.get(entity_id).state != STATE_UNAVAILABLE, entity_id
    assert_no_unhandled_errors(caplog)
    assert_storage_matches(hass, hass_storage, account, before)


async def test_action_per_item_errors(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    account: Account,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unknown id among good ones: its own error, the others go through."""
    before = stored_ids(hass_storage, account)

    statuses = await call_action(
        hass, "order_status", orders=[account.active, UNKNOWN_ID]
    )
    refills = await call_action(hass, "refill", orders=[account.finished, UNKNOWN_ID])
    refill_statuses = await call_action(
        hass, "refill_status", refills=[account.refill, UNKNOWN_ID]
    )
    tracked = await call_action(
        hass, "track_orders", orders=[account.untracked, 424242]
    )
    canceled = await call_action(hass, "cancel", orders=[account.active, UNKNOWN_ID])
    await hass.async_block_till_done(wait_background_tasks=True)

    assert statuses["orders"][0]["status"] == "pending"
    assert statuses["orders"][1] == {"order": UNKNOWN_ID, "error": "Incorrect order ID"}
    new_refill = refills["refills"][0]["refill"]
    assert refills["refills"] == [
        {"order": account.finished, "refill": new_refill},
        {"order": UNKNOWN_ID, "error": "Incorrect order ID"},
    ]
    assert refill_statuses["refills"] == [
        {"refill": account.refill, "status": "pending", "raw_status": "Pending"},
        {"refill": UNKNOWN_ID, "error": "Refill not found"},
    ]
    assert tracked == {"tracked": [account.untracked]}
    assert canceled["orders"] == [
        {"order": account.active, "cancel": True},
        {"order": UNKNOWN_ID, "error": "Incorrect order ID"},
    ]
    assert panel.count("add") == 0
    assert_no_unhandled_errors(caplog)
    assert_storage_matches(
        hass,
        hass_storage,
        account,
        {
            "orders": sorted([*before["orders"], account.untracked]),
            "refills": sorted([*before["refills"], new_refill]),
        },
    )
    # The refresh after the cancel shows it.
    assert hass.states.get(f"sensor.127_0_0_1_order_{account.active}").state == (
        "canceled"
    )


@pytest.mark.parametrize("place_name", ["order_status", "refill", "cancel"])
async def test_action_one_batch_of_two_fails(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    account: Account,
    caplog: pytest.LogCaptureFixture,
    place_name: str,
) -> None:
    """When one batch of 100 fails, its ids get the error; the rest still count.

    Refills and cancels of the batch that went through have happened: they
    must be reported (and refills tracked), not lost in an exception.
    """
    place = PLACES[place_name]
    second = panel.create_order(
        1, 1000, link="https://instagram.com/p/second", status="Completed"
    )
    if place_name == "cancel":
        second = panel.create_order(1, 1000, link="https://instagram.com/p/third")
    first = account.finished if place_name == "refill" else account.active
    # 100 ids in the first batch, the second order alone in the next one.
    ids = [first, *range(1, 100), second.order_id]
    before = stored_ids(hass_storage, account)
    panel.faults.add(Fault("html", action=place.request, times=1))

    response = await call_action(hass, place.action, orders=ids)
    await hass.async_block_till_done(wait_background_tasks=True)

    items = response["refills" if place_name == "refill" else "orders"]
    assert [item["order"] for item in items] == ids
    ends = {items[0]["order"]: items[0], items[-1]["order"]: items[-1]}
    failed = [item for item in ends.values() if item.get("error") == NOT_JSON]
    succeeded = [item for item in ends.values() if "error" not in item]
    assert len(failed) == 1
    assert len(succeeded) == 1
    new_refills = [item["refill"] for item in succeeded if "refill" in item]
    assert_no_unhandled_errors(caplog)
    assert_storage_matches(
        hass,
        hass_storage,
        account,
        {
            "orders": before["orders"],
            "refills": sorted([*before["refills"], *new_refills]),
        },
    )


async def test_polling_one_batch_of_two_fails(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """150 tracked orders, one status batch fails: the other 100 or 50 update.

    The refresh still succeeds (nothing goes unavailable); the orders of the
    failed batch keep their last status until the next refresh.
    """
    order_ids = [
        panel.create_order(1, 1000, link=f"https://instagram.com/p/{i}").order_id
        for i in range(150)
    ]
    seed_storage(
        hass_storage,
        mock_config_entry,
        {"orders": [_stored_order(i, "pending") for i in order_ids], "refills": []},
    )
    await setup_integration(hass, mock_config_entry)
    caplog.clear()
    panel.faults.add(Fault("html", action="status", times=1))
    panel.advance(120)

    await poll(hass)

    states = Counter(
        hass.states.get(f"sensor.127_0_0_1_order_{i}").state for i in order_ids
    )
    assert states in (
        Counter({"in_progress": 100, "pending": 50}),
        Counter({"in_progress": 50, "pending": 100}),
    )
    assert hass.states.get("sensor.127_0_0_1_balance").state != STATE_UNAVAILABLE
    stored = hass_storage[storage_key(mock_config_entry)]["data"]["orders"]
    assert sorted(order["order_id"] for order in stored) == order_ids
    assert {order["error"] for order in stored if order["state"] == "pending"} == {
        NOT_JSON
    }

    await poll(hass)

    assert {
        hass.states.get(f"sensor.127_0_0_1_order_{i}").state for i in order_ids
    } == {"in_progress"}
    stored = hass_storage[storage_key(mock_config_entry)]["data"]["orders"]
    assert sorted(order["order_id"] for order in stored) == order_ids
    assert {order["error"] for order in stored} == {None}
    assert integration_lines(caplog) == []
    assert_no_unhandled_errors(caplog)
