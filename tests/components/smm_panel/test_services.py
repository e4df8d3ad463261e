"""Actions: order status, refills, cancel, services list, tracking, account choice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.smm_panel.config_flow import account_unique_id
from custom_components.smm_panel.const import (
    CONF_API_URL,
    DOMAIN,
    EVENT_ORDER_UPDATED,
    EVENT_REFILL_UPDATED,
)
from simulator import Fault, PanelSimulator

from ...conftest import API_KEY
from .conftest import (
    ORDER_SENSOR,
    SECOND_KEY,
    call_action,
    poll,
    setup_integration,
    storage_key,
)

UNKNOWN_ID = 99999
INTEGRATION = Path(__file__).parents[3] / "custom_components" / DOMAIN


# --- order_status ------------------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
async def test_order_status(
    hass: HomeAssistant, panel: PanelSimulator, snapshot: SnapshotAssertion
) -> None:
    """Statuses come back in the order asked, with per-id errors in between."""
    partial = panel.create_order(1, 1000, status="Partial")
    panel.set_order_status(partial.order_id, "Partial", remains=157)
    pending = panel.create_order(2, 100)

    single = await call_action(hass, "order_status", orders=str(partial.order_id))
    bulk = await call_action(
        hass,
        "order_status",
        orders=[pending.order_id, UNKNOWN_ID, partial.order_id],
    )

    assert single == snapshot(name="single")
    assert bulk == snapshot(name="bulk")
    assert [item["order"] for item in bulk["orders"]] == [
        pending.order_id,
        UNKNOWN_ID,
        partial.order_id,
    ]


@pytest.mark.usefixtures("loaded_entry")
async def test_order_status_batches_of_100(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """250 ids are sent as 3 requests; every id gets an answer."""
    order = panel.create_order(1, 500)
    ids = [order.order_id, *range(1, 250)]

    response = await call_action(hass, "order_status", orders=ids)

    assert panel.count("status") == 3
    assert [item["order"] for item in response["orders"]] == ids
    assert response["orders"][0]["status"] == "pending"
    assert response["orders"][1] == {"order": 1, "error": "Incorrect order ID"}


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "orders",
    [
        "23501, 23502\n23503",
        "23501 23502;23503,",
        [23501, "23502", " 23503 "],
        ["23501, 23502", 23503, 23501],
    ],
)
async def test_id_list_forms(
    hass: HomeAssistant, panel: PanelSimulator, orders: Any
) -> None:
    """Ids may be a list or text separated by commas, spaces or new lines."""
    for _ in range(3):
        panel.create_order(1, 500)

    response = await call_action(hass, "order_status", orders=orders)

    assert [item["order"] for item in response["orders"]] == [23501, 23502, 23503]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("orders", "message"),
    [
        ("23501, abc", '"abc" in orders is not an ID'),
        ([0], '"0" in orders is not an ID'),
        ("-5", '"-5" in orders is not an ID'),
        ("12.5", '"12.5" in orders is not an ID'),
        (" , \n", "Give at least one ID in orders"),
        ([], "Give at least one ID in orders"),
    ],
)
async def test_invalid_id_lists(
    hass: HomeAssistant, panel: PanelSimulator, orders: Any, message: str
) -> None:
    """Bad ids are refused with a translated message, before any request."""
    with pytest.raises(ServiceValidationError, match=message):
        await call_action(hass, "order_status", orders=orders)
    assert panel.requests == []


# --- refills ------------------------------------------------------------------


async def test_refill_tracks_new_refills(
    hass: HomeAssistant,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    """Refills are asked in bulk; when one completes, events are fired."""
    refillable = panel.create_order(1, 1000, status="Completed")
    no_refill = panel.create_order(2, 100, status="Completed")
    refill_events = async_capture_events(hass, EVENT_REFILL_UPDATED)

    single = await call_action(hass, "refill", orders=str(refillable.order_id))
    bulk = await call_action(
        hass, "refill", orders=[no_refill.order_id, UNKNOWN_ID, refillable.order_id]
    )

    assert single == snapshot(name="single")
    assert bulk == snapshot(name="bulk")
    refill_ids = [single["refills"][0]["refill"], bulk["refills"][2]["refill"]]

    panel.advance(301)  # the simulated refills complete after 300 s
    freezer.tick(timedelta(minutes=5, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [event.data for event in refill_events] == [
        {
            "config_entry_id": loaded_entry.entry_id,
            "refill_id": refill_id,
            "order_id": refillable.order_id,
            "previous_status": "pending",
            "status": "completed",
        }
        for refill_id in refill_ids
    ]
    state = hass.states.get("event.127_0_0_1_order_updates")
    assert state is not None
    assert state.attributes["event_type"] == "refill_completed"
    assert state.attributes["refill_id"] == refill_ids[-1]


@pytest.mark.usefixtures("loaded_entry")
async def test_refill_status(
    hass: HomeAssistant, panel: PanelSimulator, snapshot: SnapshotAssertion
) -> None:
    """Refill statuses are normalised, with the panel's text next to them."""
    first = panel.create_order(1, 1000, status="Completed")
    second = panel.create_order(3, 1000, status="Partial")
    refills = await call_action(
        hass, "refill", orders=[first.order_id, second.order_id]
    )
    first_refill, second_refill = (item["refill"] for item in refills["refills"])
    panel.set_refill_status(second_refill, "Rejected")

    single = await call_action(hass, "refill_status", refills=str(first_refill))
    bulk = await call_action(
        hass, "refill_status", refills=[second_refill, UNKNOWN_ID, first_refill]
    )

    assert single == snapshot(name="single")
    assert bulk == snapshot(name="bulk")


@pytest.mark.usefixtures("loaded_entry")
async def test_refill_status_flat_errors(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """Panels that report failed items flat give the same response."""
    panel.dialect.flat_bulk_errors = True

    response = await call_action(hass, "refill_status", refills=[UNKNOWN_ID])

    assert response == {
        "refills": [{"refill": UNKNOWN_ID, "error": "Refill not found"}]
    }


# --- cancel -------------------------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("cancel_returns_id", [False, True])
async def test_cancel(
    hass: HomeAssistant,
    panel: PanelSimulator,
    snapshot: SnapshotAssertion,
    cancel_returns_id: bool,
) -> None:
    """Cancels are accepted or refused per order; both reply styles read the same."""
    panel.dialect.cancel_returns_id = cancel_returns_id
    first = panel.create_order(1, 1000)
    second = panel.create_order(1, 500, link="https://instagram.com/p/y")
    no_cancel = panel.create_order(2, 100)

    single = await call_action(hass, "cancel", orders=first.order_id)
    bulk = await call_action(
        hass, "cancel", orders=[no_cancel.order_id, UNKNOWN_ID, second.order_id]
    )
    await hass.async_block_till_done()

    assert single == snapshot(name="single")
    assert bulk == snapshot(name="bulk")
    assert panel.orders[second.order_id].status == "Canceled"


# --- list_services ------------------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "filters",
    [
        {"category": "instagram MENTIONS"},
        {"search": "LIKES"},
        {"type": "package"},
        {"refill": True, "cancel": True},
        {"refill": False, "max_rate": 0.5},
        {"search": "followers", "category": "First Category"},
        {"search": "no such service"},
    ],
    ids=[
        "category",
        "search",
        "type",
        "refill-and-cancel",
        "no-refill-and-max-rate",
        "search-and-category",
        "no-match",
    ],
)
async def test_list_services(
    hass: HomeAssistant,
    panel: PanelSimulator,
    snapshot: SnapshotAssertion,
    filters: dict[str, Any],
) -> None:
    """Every filter given must match; text filters ignore letter case."""
    response = await call_action(hass, "list_services", **filters)

    assert response == snapshot
    assert panel.count("services") == 0  # the hourly cached list is used


@pytest.mark.usefixtures("loaded_entry")
async def test_list_services_unfiltered(hass: HomeAssistant) -> None:
    """Without filters the whole list comes back, numbers as numbers."""
    response = await call_action(hass, "list_services")

    assert len(response["services"]) == 21
    assert response["services"][0] == {
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


# --- track_orders / untrack_orders --------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
async def test_track_and_untrack_orders(
    hass: HomeAssistant, panel: PanelSimulator, entity_registry: er.EntityRegistry
) -> None:
    """Orders placed elsewhere get sensors at once, from their current status."""
    pending = panel.create_order(1, 1000)
    completed = panel.create_order(2, 100, status="Completed")
    order_events = async_capture_events(hass, EVENT_ORDER_UPDATED)

    response = await call_action(
        hass, "track_orders", orders=[pending.order_id, UNKNOWN_ID, completed.order_id]
    )
    await hass.async_block_till_done()

    assert response == {"tracked": [pending.order_id, completed.order_id]}
    state = hass.states.get(ORDER_SENSOR.format(pending.order_id))
    assert state is not None
    assert state.state == "pending"
    state = hass.states.get(ORDER_SENSOR.format(completed.order_id))
    assert state is not None
    assert state.state == "completed"
    assert state.attributes["raw_status"] == "Completed"
    assert order_events == []  # the starting status is not a change

    panel.reset_log()
    again = await call_action(hass, "track_orders", orders=f"{completed.order_id}")
    assert again == {"tracked": [completed.order_id]}
    assert panel.count("status") == 0  # already tracked: nothing to fetch

    untracked = await call_action(
        hass, "untrack_orders", orders=[pending.order_id, UNKNOWN_ID]
    )
    await hass.async_block_till_done()

    assert untracked == {"untracked": [pending.order_id]}
    assert hass.states.get(ORDER_SENSOR.format(pending.order_id)) is None
    assert not entity_registry.async_get(ORDER_SENSOR.format(pending.order_id))
    assert hass.states.get(ORDER_SENSOR.format(completed.order_id)) is not None


@pytest.mark.usefixtures("loaded_entry")
async def test_track_orders_without_response(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """Actions that change something can run without asking for a response."""
    order = panel.create_order(1, 1000)

    await hass.services.async_call(
        DOMAIN, "track_orders", {"orders": order.order_id}, blocking=True
    )
    await hass.async_block_till_done()

    assert hass.states.get(ORDER_SENSOR.format(order.order_id)) is not None


# --- which account ------------------------------------------------------------


async def test_several_accounts_need_config_entry_id(
    hass: HomeAssistant,
    panel: PanelSimulator,
    panel_url: str,
    loaded_entry: MockConfigEntry,
) -> None:
    """With two accounts loaded an action must name one; the named one is used."""
    panel.add_account(SECOND_KEY, Decimal(50), "EUR")
    second_order = panel.create_order(2, 100, api_key=SECOND_KEY)
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Second account",
        unique_id=account_unique_id(panel_url, SECOND_KEY),
        data={CONF_API_URL: panel_url, CONF_API_KEY: SECOND_KEY},
    )
    await setup_integration(hass, second)

    with pytest.raises(
        ServiceValidationError,
        match=(
            r"Several SMM Panel accounts are loaded \(127\.0\.0\.1, Second account\):"
            " choose one in the Panel account field"
        ),
    ):
        await call_action(hass, "order_status", orders=second_order.order_id)

    response = await call_action(
        hass,
        "order_status",
        orders=second_order.order_id,
        config_entry_id=second.entry_id,
    )
    assert response["orders"][0]["currency"] == "EUR"

    response = await call_action(
        hass,
        "order_status",
        orders=second_order.order_id,
        config_entry_id=loaded_entry.entry_id,
    )
    assert response["orders"][0] == {
        "order": second_order.order_id,
        "error": "Incorrect order ID",
    }


async def test_single_account_is_used(
    hass: HomeAssistant, panel: PanelSimulator, loaded_entry: MockConfigEntry
) -> None:
    """With one account loaded, config_entry_id may be left out or given."""
    order = panel.create_order(1, 500)

    implicit = await call_action(hass, "order_status", orders=order.order_id)
    explicit = await call_action(
        hass,
        "order_status",
        orders=order.order_id,
        config_entry_id=loaded_entry.entry_id,
    )

    assert implicit == explicit
    assert implicit["orders"][0]["status"] == "pending"


async def test_config_entry_id_problems(
    hass: HomeAssistant, panel: PanelSimulator, loaded_entry: MockConfigEntry
) -> None:
    """Unknown, foreign and unloaded entries are refused with clear messages."""
    other = MockConfigEntry(domain="other_integration", title="Other")
    other.add_to_hass(hass)

    for entry_id in ("not-an-entry", other.entry_id):
        with pytest.raises(
            ServiceValidationError,
            match=f"No SMM Panel account has the config entry ID {entry_id}",
        ):
            await call_action(
                hass, "order_status", orders="1", config_entry_id=entry_id
            )

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    with pytest.raises(
        ServiceValidationError, match="The SMM Panel account 127.0.0.1 is not loaded"
    ):
        await call_action(
            hass, "order_status", orders="1", config_entry_id=loaded_entry.entry_id
        )
    with pytest.raises(
        ServiceValidationError, match="No SMM Panel account is set up and loaded"
    ):
        await call_action(hass, "list_services")
    assert panel.requests == []


# --- panel and network failures -----------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            Fault("error", message="Incorrect request"),
            "The panel refused the request: Incorrect request",
        ),
        (
            Fault("http429", times=3),
            "The panel is limiting the requests made with this key",
        ),
        (
            Fault("http500", times=3),
            "Cannot reach the panel: The panel answered HTTP 500",
        ),
        (Fault("html"), "The panel's reply could not be read"),
    ],
    ids=lambda value: value.kind if isinstance(value, Fault) else "",
)
async def test_panel_failures(
    hass: HomeAssistant, panel: PanelSimulator, fault: Fault, message: str
) -> None:
    """Failures become translated errors, never showing the API key."""
    panel.faults.add(fault)

    with pytest.raises(HomeAssistantError, match=message) as err:
        await call_action(hass, "refill_status", refills="1001")
    # The panel refusing the request is the caller's to correct (issue 20 item 2);
    # the panel's faults are not.
    refused = fault.kind == "error"
    assert isinstance(err.value, ServiceValidationError) is refused
    assert API_KEY not in str(err.value)


async def test_revoked_key_starts_reauth(
    hass: HomeAssistant, panel: PanelSimulator, loaded_entry: MockConfigEntry
) -> None:
    """An invalid key is reported and the user is asked for a new one."""
    panel.faults.add(Fault("key_revoked"))

    with pytest.raises(HomeAssistantError, match="The panel rejected the API key"):
        await call_action(hass, "cancel", orders="23501")
    await hass.async_block_till_done()

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == loaded_entry.entry_id


# --- descriptions and texts ---------------------------------------------------


def _yaml_fields(service: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Return the fields (sections flattened) and the sections of an action."""
    fields: set[str] = set()
    sections: set[str] = set()
    for key, value in service.get("fields", {}).items():
        if "fields" in value:
            sections.add(key)
            fields.update(value["fields"])
        else:
            fields.add(key)
    return fields, sections


@pytest.mark.parametrize("language", ["en", "ar"])
def test_action_texts_are_complete(language: str) -> None:
    """Every action, field and section of services.yaml has a name and text."""
    actions = {
        name: value
        for name, value in load_yaml_dict(str(INTEGRATION / "services.yaml")).items()
        if not name.startswith(".")
    }
    texts = json.loads(
        (INTEGRATION / "translations" / f"{language}.json").read_text("utf-8")
    )["services"]

    assert set(texts) == set(actions)
    for name, action in actions.items():
        fields, sections = _yaml_fields(action)
        assert texts[name]["name"]
        assert texts[name]["description"]
        assert set(texts[name]["fields"]) == fields, name
        assert set(texts[name].get("sections", {})) == sections, name
        for field in texts[name]["fields"].values():
            assert field["name"]
            assert field["description"]


def test_arabic_messages_keep_placeholders() -> None:
    """Arabic messages use the same placeholders as the English ones."""
    english, arabic = (
        json.loads((INTEGRATION / "translations" / f"{lang}.json").read_text("utf-8"))
        for lang in ("en", "ar")
    )

    def placeholders(text: str) -> set[str]:
        return {part.split("}")[0] for part in text.split("{")[1:]}

    for key, value in english["issues"].items():
        for part in ("title", "description"):
            assert placeholders(arabic["issues"][key][part]) == placeholders(
                value[part]
            )
    for key, value in english["exceptions"].items():
        if key in arabic["exceptions"]:
            assert placeholders(arabic["exceptions"][key]["message"]) == placeholders(
                value["message"]
            ), key


@pytest.mark.usefixtures("loaded_entry")
async def test_action_descriptions(hass: HomeAssistant) -> None:
    """Home Assistant reads the actions' descriptions, sections included.

    Their names and texts come from the translations: Home Assistant up to
    2025.x also merged the English ones into these descriptions, 2026.x leaves
    that to the frontend, so they are read where both versions have them.
    """
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    translations = await async_get_translations(hass, "en", "services", {DOMAIN})

    assert set(descriptions) == {
        "add_order",
        "estimate_order",
        "order_status",
        "refill",
        "refill_status",
        "cancel",
        "list_services",
        "track_orders",
        "untrack_orders",
    }
    add_order = descriptions["add_order"]
    assert translations[f"component.{DOMAIN}.services.add_order.name"] == "Add order"
    for action in descriptions:
        assert translations[f"component.{DOMAIN}.services.{action}.name"]
    assert add_order["fields"]["config_entry_id"]["selector"] == {
        "config_entry": {"integration": DOMAIN}
    }
    assert "runs" in add_order["fields"]["drip_feed"]["fields"]
    assert descriptions["order_status"]["response"] == {"optional": False}
    assert descriptions["add_order"]["response"] == {"optional": True}
    # The dry run as an action of its own: it only answers, never sends.
    assert descriptions["estimate_order"]["response"] == {"optional": False}
    assert "dry_run" not in descriptions["estimate_order"]["fields"]
    assert "allow_inexact_estimate" in add_order["fields"]
    dry_run = translations[
        f"component.{DOMAIN}.services.add_order.fields.dry_run.description"
    ]
    assert "placed and charged" in dry_run


async def test_rejected_refill_fires_refill_rejected(
    hass: HomeAssistant,
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """A refill the panel rejects shows up as a refill_rejected event."""
    order = panel.create_order(1, 1000, status="Completed")
    refills = await call_action(hass, "refill", orders=[order.order_id])
    refill_id = refills["refills"][0]["refill"]
    refill_events = async_capture_events(hass, EVENT_REFILL_UPDATED)

    panel.set_refill_status(refill_id, "Rejected")
    await poll(hass)

    assert [(e.data["refill_id"], e.data["status"]) for e in refill_events] == [
        (refill_id, "rejected")
    ]
    state = hass.states.get("event.127_0_0_1_order_updates")
    assert state is not None
    assert state.attributes["event_type"] == "refill_rejected"
    assert state.attributes["order_id"] == order.order_id


async def test_untracking_drops_the_orders_refills(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    panel: PanelSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """Untracking an order also stops following its refills."""
    order = panel.create_order(1, 1000, status="Completed")
    await call_action(hass, "track_orders", orders=[order.order_id])
    await call_action(hass, "refill", orders=[order.order_id])

    await call_action(hass, "untrack_orders", orders=[order.order_id])

    stored = hass_storage[storage_key(loaded_entry)]["data"]
    assert (stored["orders"], stored["refills"]) == ([], [])
    panel.reset_log()
    await poll(hass)
    assert panel.count("refill_status") == 0
