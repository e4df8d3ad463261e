"""The dashboard card's WebSocket commands, as the card calls them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.smm_panel.config_flow import account_unique_id
from custom_components.smm_panel.const import CONF_API_URL, DOMAIN
from scripts.e2e_support.processes import free_port
from simulator import Fault, PanelSimulator

from ...conftest import API_KEY
from .conftest import SECOND_KEY, setup_integration

UNKNOWN_ID = 99999
INTEGRATION = Path(__file__).parents[3] / "custom_components" / DOMAIN
ORDER = {
    "service": 1,
    "link": "https://instagram.com/p/card",
    "quantity": 1000,
}

type Send = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def panel() -> PanelSimulator:
    """A panel whose catalogue holds 300 generated services besides the base ones."""
    return PanelSimulator(
        api_key=API_KEY,
        balance=Decimal("100.00"),
        currency="USD",
        extra_services=300,
    )


@pytest.fixture
async def send(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, loaded_entry: None
) -> Send:
    """Send one command as the owner (an administrator); return the reply.

    Every reply is checked for the API key: it never reaches the browser.
    """
    client = await hass_ws_client(hass)

    async def send_command(command: str, **data: Any) -> dict[str, Any]:
        await client.send_json_auto_id({"type": f"{DOMAIN}/{command}", **data})
        reply: dict[str, Any] = await client.receive_json()
        assert API_KEY not in json.dumps(reply)
        return reply

    return send_command


# --- reading ---------------------------------------------------------------------


async def test_accounts(send: Send) -> None:
    """The loaded account, with its balance and currency; never its key."""
    reply = await send("accounts")

    assert reply["success"]
    assert reply["result"] == {
        "accounts": [
            {
                "config_entry_id": "01JSMMPANELTESTENTRY000000",
                "title": "127.0.0.1",
                "balance": 100.0,
                "currency": "USD",
                "available": True,
            }
        ]
    }


async def test_no_account_loaded(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """Without an account the card says so; its other commands are refused."""
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_ws_client(hass)

    await client.send_json_auto_id({"type": f"{DOMAIN}/accounts"})
    accounts = await client.receive_json()
    await client.send_json_auto_id({"type": f"{DOMAIN}/orders"})
    orders = await client.receive_json()

    assert accounts["result"] == {"accounts": []}
    assert orders["error"]["translation_key"] == "no_entry_loaded"


async def test_catalogue_by_category(send: Send) -> None:
    """A category filter keeps that category only, in any letter case."""
    reply = await send("catalogue", category="instagram MENTIONS", limit=200)

    services = reply["result"]["services"]
    assert services
    assert {s["category"] for s in services} == {"Instagram Mentions"}
    assert reply["result"]["total"] == len(services)


async def test_orders_newest_first_with_what_may_be_done(
    hass: HomeAssistant, panel: PanelSimulator, send: Send
) -> None:
    """Placed orders come newest first; refill and cancel only where allowed.

    Service 1 allows both, service 2 neither: a refill is for a finished
    order, a cancel for one still running.
    """
    placed = []
    for service, link in ((1, "a"), (1, "b"), (2, "c")):
        reply = await send(
            "place",
            order={
                "service": service,
                "link": f"https://x.com/{link}",
                "quantity": 100,
            },
        )
        placed.append(reply["result"]["order"])
    running, completed, no_refill = placed
    panel.set_order_status(completed, "Completed")
    panel.set_order_status(no_refill, "Completed")
    # The user asks for a refresh (the integration's own plan would look at
    # pending orders 40 s later).
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": "sensor.127_0_0_1_balance"},
        blocking=True,
    )
    # Home Assistant's debouncer may hold the request for its cooldown (10 s).
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await hass.async_block_till_done(wait_background_tasks=True)

    reply = await send("orders")

    orders = reply["result"]["orders"]
    assert [o["order_id"] for o in orders] == [no_refill, completed, running]
    by_id = {o["order_id"]: o for o in orders}
    assert [
        (by_id[i]["status"], by_id[i]["can_refill"], by_id[i]["can_cancel"])
        for i in (running, completed, no_refill)
    ] == [
        ("pending", False, True),
        ("completed", True, False),
        ("completed", False, False),
    ]
    assert by_id[completed]["finished"]
    assert by_id[completed]["progress"] == 100.0
    assert by_id[running]["service_name"] == "Followers"
    assert by_id[running]["quantity"] == 100
    assert by_id[running]["currency"] == "USD"
    assert reply["result"]["account"]["currency"] == "USD"


async def test_catalogue_search_and_paging(send: Send) -> None:
    """Every word is looked for in name and category; pages add up to the total."""
    everything = await send("catalogue", limit=200)
    total = everything["result"]["total"]
    assert total == 321  # 21 services of every type, 300 generated

    first = await send("catalogue", search="instagram LIKES", limit=5)
    second = await send("catalogue", search="instagram LIKES", limit=5, offset=5)

    matches = first["result"]["total"]
    assert matches == second["result"]["total"] > 5
    page = first["result"]["services"] + second["result"]["services"]
    assert len({s["service"] for s in page}) == len(page) == min(10, matches)
    for service in page:
        text = f"{service['name']} {service['category']}".casefold()
        assert "instagram" in text
        assert "likes" in text
    assert first["result"]["offset"] == 0
    assert second["result"]["offset"] == 5


async def test_catalogue_by_id_and_type(send: Send) -> None:
    """A number finds its service; each service says which fields it takes."""
    by_id = await send("catalogue", search="1")
    subscriptions = await send("catalogue", service_type="subscriptions")
    nothing = await send("catalogue", search="no such service")

    assert by_id["result"]["services"][0] | {"fields": None} == {
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
        "fields": None,
    }
    assert by_id["result"]["services"][0]["fields"] == {
        "required": ["link", "quantity"],
        "optional": ["runs", "interval"],
        "billing": "quantity",
        "counted_field": None,
    }
    (subscription,) = subscriptions["result"]["services"]
    assert subscription["fields"]["required"] == [
        "username",
        "min",
        "max",
        "posts",
        "delay",
    ]
    assert "link" not in subscription["fields"]["required"]
    assert nothing["result"] == {"total": 0, "offset": 0, "services": []}


async def test_catalogue_page_bounds(send: Send) -> None:
    """A page is at most 200 services; a bad request is refused before anything."""
    too_big = await send("catalogue", limit=1000)

    assert not too_big["success"]
    assert too_big["error"]["code"] == "invalid_format"


# --- acting ------------------------------------------------------------------------


async def test_estimate_then_place(
    hass: HomeAssistant, panel: PanelSimulator, send: Send
) -> None:
    """The estimate sends nothing; placing sends once and lists the order first."""
    estimate = await send("estimate", order=ORDER)

    assert estimate["success"]
    assert estimate["result"] | {"spent_last_24h": None} == {
        "order": None,
        "service": 1,
        "service_name": "Followers",
        "estimated_charge": 0.9,
        "currency": "USD",
        "dry_run": True,
        "estimate_exact": True,
        "spent_last_24h": None,
        "spending_limit": None,  # no limit set
        "within_spending_limit": None,
        "duplicate_of": None,
        "balance": 100.0,
        "balance_after": 99.1,
    }
    assert panel.count("add") == 0

    placed = await send("place", order=ORDER | {"dry_run": True, "track": False})
    orders = await send("orders")

    assert placed["success"]
    order_id = placed["result"]["order"]
    assert placed["result"]["dry_run"] is False  # the card cannot turn it into one
    assert panel.count("add") == 1
    assert orders["result"]["orders"][0]["order_id"] == order_id
    assert orders["result"]["orders"][0]["link"] == ORDER["link"]

    again = await send("estimate", order=ORDER)
    assert again["result"]["duplicate_of"] == order_id


async def test_refill_and_cancel(panel: PanelSimulator, send: Send) -> None:
    """One order each; the answer is the panel's: a refill id, a cancel, a refusal."""
    completed = panel.create_order(1, 1000, status="Completed")
    running = panel.create_order(1, 1000, link="https://instagram.com/p/other")

    refill = await send("refill", order=completed.order_id)
    cancel = await send("cancel", order=running.order_id)
    refused = await send("cancel", order=UNKNOWN_ID)

    assert refill["result"] == {
        "order": completed.order_id,
        "refill": next(iter(panel.refills)),
    }
    assert cancel["result"] == {"order": running.order_id, "cancel": True}
    assert panel.orders[running.order_id].status == "Canceled"
    assert refused["success"]
    assert refused["result"] == {"order": UNKNOWN_ID, "error": "Incorrect order ID"}


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("command", "data"),
    [
        ("place", {"order": ORDER}),
        ("refill", {"order": 23501}),
        ("cancel", {"order": 23501}),
    ],
)
async def test_spending_is_for_administrators(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    panel: PanelSimulator,
    command: str,
    data: dict[str, Any],
) -> None:
    """A user who is not an administrator can look, but not spend or cancel."""
    panel.create_order(1, 1000, status="Completed")
    client = await hass_ws_client(hass, hass_read_only_access_token)

    await client.send_json_auto_id({"type": f"{DOMAIN}/{command}", **data})
    refused = await client.receive_json()
    await client.send_json_auto_id({"type": f"{DOMAIN}/orders"})
    allowed = await client.receive_json()

    assert refused["error"]["code"] == "unauthorized"
    assert allowed["success"]
    assert panel.requests == []


@pytest.mark.parametrize(
    ("command", "data", "code", "key", "message"),
    [
        (
            "place",
            {"order": ORDER | {"quantity": 10}},
            "service_validation_error",
            "quantity_below_min",
            "Quantity 10 is below this service's minimum of 50",
        ),
        (
            "estimate",
            {"order": ORDER, "config_entry_id": "no-such-entry"},
            "service_validation_error",
            "entry_not_found",
            "No SMM Panel account has the config entry ID no-such-entry",
        ),
        (
            "orders",
            {"config_entry_id": "no-such-entry"},
            "service_validation_error",
            "entry_not_found",
            "No SMM Panel account has the config entry ID no-such-entry",
        ),
    ],
    ids=["below-minimum", "estimate-unknown-entry", "orders-unknown-entry"],
)
async def test_errors_translated(
    panel: PanelSimulator,
    send: Send,
    command: str,
    data: dict[str, Any],
    code: str,
    key: str,
    message: str,
) -> None:
    """A refusal is the action's translated error, with its key for the card."""
    reply = await send(command, **data)

    assert not reply["success"]
    assert reply["error"]["code"] == code
    assert reply["error"]["message"] == message
    assert reply["error"]["translation_key"] == key
    assert reply["error"]["translation_domain"] == DOMAIN
    assert panel.count("add") == 0


async def test_panel_refusal_in_its_own_words(
    panel: PanelSimulator, send: Send
) -> None:
    """The panel refuses an order: its words reach the card, its echo of the key not."""
    panel.faults.add(
        Fault("error", action="add", message=f"Link is private (key {API_KEY})")
    )

    reply = await send("place", order=ORDER)

    assert (
        reply["error"]["code"] == "service_validation_error"
    )  # its refusal: nothing placed
    assert reply["error"]["translation_key"] == "panel_rejected"
    assert reply["error"]["message"].startswith(
        "The panel refused the request: Link is private"
    )
    assert panel.count("add") == 1


async def test_invalid_order_field(panel: PanelSimulator, send: Send) -> None:
    """The action's schema checks the card's fields too."""
    reply = await send("estimate", order=ORDER | {"quantity": "lots"})

    assert reply["error"]["code"] == "invalid_format"
    assert "quantity" in reply["error"]["message"]
    assert panel.requests == []


async def test_several_accounts(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    panel: PanelSimulator,
    panel_url: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Each account is chosen by its entry; without one, the card must choose."""
    panel.add_account(SECOND_KEY, Decimal("7.50"), "EUR")
    await setup_integration(hass, mock_config_entry)
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Second",
        unique_id=account_unique_id(panel_url, SECOND_KEY),
        data={CONF_API_URL: panel_url, "api_key": SECOND_KEY},
    )
    await setup_integration(hass, second)
    client = await hass_ws_client(hass)

    await client.send_json_auto_id({"type": f"{DOMAIN}/accounts"})
    accounts = (await client.receive_json())["result"]["accounts"]
    await client.send_json_auto_id(
        {"type": f"{DOMAIN}/catalogue", "config_entry_id": second.entry_id}
    )
    catalogue = await client.receive_json()
    await client.send_json_auto_id({"type": f"{DOMAIN}/orders"})
    unnamed = await client.receive_json()

    assert [(a["title"], a["currency"]) for a in accounts] == [
        ("127.0.0.1", "USD"),
        ("Second", "EUR"),
    ]
    assert catalogue["result"]["services"][0]["currency"] == "EUR"
    assert unnamed["error"]["translation_key"] == "several_entries_loaded"
    assert SECOND_KEY not in json.dumps([accounts, catalogue, unnamed])


# --- the card itself ----------------------------------------------------------------


async def test_card_served_and_loaded_by_the_frontend(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    hass_client_no_auth: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The integration serves the card, and every frontend page loads it.

    Home Assistant's HTTP server starts with the frontend: on a free loopback
    port here, not on 8123. Onboarding is done, so "/" is the app's page.
    """
    hass_storage["onboarding"] = {
        "version": 4,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": ["user", "core_config", "analytics", "integration"]},
    }
    assert await async_setup_component(
        hass, "http", {"http": {"server_host": "127.0.0.1", "server_port": free_port()}}
    )
    assert await async_setup_component(hass, "frontend", {})
    await setup_integration(hass, mock_config_entry)
    client = await hass_client_no_auth()

    page = await client.get("/")
    html = await page.text()
    version = json.loads((INTEGRATION / "manifest.json").read_text())["version"]
    url = f"/smm_panel/smm-panel-card.js?v={version}"
    card = await client.get(url)
    script = await card.text()

    assert page.status == 200
    assert f'"{url}"' in html
    assert card.status == 200
    assert card.headers["Cache-Control"].startswith("public, max-age=")
    assert "customElements.define(" in script
    assert '"smm-panel-card"' in script
    assert API_KEY not in script
