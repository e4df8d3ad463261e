"""The add_order action: checks before sending, one send only, tracking."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
import voluptuous as vol

from custom_components.smm_panel.const import DOMAIN
from simulator import Fault, PanelSimulator

from ...conftest import API_KEY, NEVER
from .conftest import ORDER_SENSOR, setup_integration

LINK = "https://www.instagram.com/p/C1a2b3c4d5e/"
FIRST_ORDER = 23501


async def add_order(hass: HomeAssistant, **data: Any) -> ServiceResponse:
    """Run add_order and return its response."""
    return await hass.services.async_call(
        DOMAIN, "add_order", data, blocking=True, return_response=True
    )


def order_issues(hass: HomeAssistant) -> list[ir.IssueEntry]:
    """Return the repair issues about orders whose fate is unknown."""
    return [
        issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == "order_state_unknown"
    ]


# --- placing orders ------------------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
async def test_order_is_placed_and_tracked(
    hass: HomeAssistant, panel: PanelSimulator, snapshot: SnapshotAssertion
) -> None:
    """A checked order is sent once, and its sensor appears at once."""
    response = await add_order(hass, service=1, link=LINK, quantity=500)

    assert response == snapshot
    assert panel.count("add") == 1
    assert panel.orders[FIRST_ORDER].quantity == 500
    await hass.async_block_till_done()
    state = hass.states.get(ORDER_SENSOR.format(FIRST_ORDER))
    assert state is not None
    assert state.state == "pending"
    assert state.attributes["service_name"] == "Followers"
    assert state.attributes["link"] == LINK
    assert state.attributes["quantity"] == 500
    # The balance is read again right away to show the charge.
    balance = hass.states.get("sensor.127_0_0_1_balance")
    assert balance is not None
    assert float(balance.state) == pytest.approx(99.55)


@pytest.mark.usefixtures("loaded_entry")
async def test_untracked_order(hass: HomeAssistant, panel: PanelSimulator) -> None:
    """With track off the order is placed but gets no sensor."""
    response = await add_order(hass, service=2, link=LINK, quantity=100, track=False)
    await hass.async_block_till_done()

    assert response["order"] == FIRST_ORDER
    assert panel.count("add") == 1
    assert hass.states.get(ORDER_SENSOR.format(FIRST_ORDER)) is None


@pytest.mark.usefixtures("loaded_entry")
async def test_dry_run_sends_nothing(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """A dry run checks and estimates, and places nothing."""
    response = await add_order(
        hass, service=3, link=LINK, quantity=1000, runs=4, interval=30, dry_run=True
    )
    await hass.async_block_till_done()

    assert response == {
        "order": None,
        "service": 3,
        "service_name": "Instagram Followers [Real] [Refill 30D]",
        "estimated_charge": 9.6,
        "currency": "USD",
        "dry_run": True,
        "estimate_exact": True,
        "spent_last_24h": 0.0,
        "spending_limit": None,
        "within_spending_limit": None,
        "duplicate_of": None,
        "balance": 100.0,
        "balance_after": 90.4,
    }
    assert panel.count("add") == 0
    assert panel.orders == {}
    assert hass.states.get(ORDER_SENSOR.format(FIRST_ORDER)) is None


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "charge", "sent"),
    [
        (
            {"service": 1, "link": LINK, "quantity": 100, "runs": 3, "interval": 10},
            0.27,
            {"runs": "3", "interval": "10"},
        ),
        ({"service": 6, "link": LINK}, 4.99, {}),
        (
            {"service": 21, "link": LINK, "comments": "Nice\nGreat"},
            9.99,
            {"comments": "Nice\nGreat"},
        ),
        (
            {
                "service": 18,
                "username": "smmqueen",
                "min": 50,
                "max": 100,
                "posts": 2,
                "delay": 0,
                "expiry": "2025-12-31",
            },
            0.08,
            {
                "username": "smmqueen",
                "min": "50",
                "max": "100",
                "posts": "2",
                "delay": "0",
                "expiry": "31/12/2025",
            },
        ),
        (
            {
                "service": 18,
                "username": "smmqueen",
                "min": 50,
                "max": 100,
                "posts": 1,
                "delay": 30,
                "expiry": date(2026, 1, 5),
            },
            0.04,
            {"expiry": "05/01/2026"},
        ),
        (
            {
                "service": 20,
                "link": "https://example.com/",
                "quantity": 1000,
                "country": "US",
                "device": 5,
                "type_of_traffic": 2,
                "referring_url": "https://news.example.org/",
            },
            0.8,
            {"device": "5", "type_of_traffic": "2"},
        ),
        (
            {
                "service": 9,
                "link": LINK,
                "quantity": 100,
                "usernames": ["a", "b"],
                "hashtags": "#x\n#y",
            },
            0.42,
            {"usernames": "a\nb", "hashtags": "#x\n#y"},
        ),
        (
            {"service": 15, "link": LINK, "quantity": 200, "answer_number": 2},
            0.42,
            {"answer_number": "2"},
        ),
    ],
    ids=[
        "drip-feed",
        "package",
        "custom-comments-package",
        "subscription",
        "subscription-date",
        "web-traffic",
        "mentions-with-hashtags",
        "poll",
    ],
)
async def test_service_types(
    hass: HomeAssistant,
    panel: PanelSimulator,
    data: dict[str, Any],
    charge: float,
    sent: dict[str, str],
) -> None:
    """Each service type's fields reach the panel, and the estimate is right."""
    response = await add_order(hass, **data)

    assert response["estimated_charge"] == pytest.approx(charge)
    order = panel.orders[response["order"]]
    assert order.charge == pytest.approx(Decimal(str(charge)))
    assert {name: order.fields[name] for name in sent} == sent


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "package_needs_quantity", [False, True], ids=["perfect-panel", "php-panel"]
)
@pytest.mark.parametrize(
    ("service", "data"),
    [
        (6, {}),
        (6, {"quantity": 1}),
        (21, {"comments": "Nice\nGreat"}),
        (21, {"comments": "Nice\nGreat", "quantity": 1}),
    ],
    ids=[
        "package",
        "package-quantity-1",
        "comments-package",
        "comments-package-quantity-1",
    ],
)
async def test_package_order_on_both_dialects(
    hass: HomeAssistant,
    panel: PanelSimulator,
    package_needs_quantity: bool,
    service: int,
    data: dict[str, Any],
) -> None:
    """A Package order gets through with or without quantity on both panels.

    A PHP reseller panel lists its packages with min = max = 1 and answers HTTP
    400 "Missing required parameters" to an add without quantity; other panels
    ignore it. The catalogue's one allowed quantity is sent, asked or not.
    """
    panel.dialect.package_needs_quantity = package_needs_quantity
    response = await add_order(hass, service=service, link=LINK, **data)

    assert response["order"] == FIRST_ORDER
    [sent] = [request for request in panel.requests if request.action == "add"]
    assert sent.params["quantity"] == "1"
    catalogue_rate = panel.services[service].rate
    assert response["estimated_charge"] == pytest.approx(float(catalogue_rate))
    assert panel.orders[FIRST_ORDER].charge == catalogue_rate


@pytest.mark.parametrize(
    ("limits", "quantity", "message"),
    [
        (
            (1, 1),
            2,
            r"Service 6 \(.*\) of type Package is sold as one package: leave out"
            r" quantity, or give 1, the only quantity its catalogue entry allows",
        ),
        ((2, 2), 1, r"of type Package is sold as one package: .* or give 2, "),
        (
            (1, 10),
            1,
            r"Service 6 \(.*\) of type Package takes no quantity: leave it out",
        ),
    ],
    ids=["not-the-one-allowed", "another-one-allowed", "no-single-quantity"],
)
async def test_package_quantity_the_catalogue_rules_out(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    limits: tuple[int, int],
    quantity: int,
    message: str,
) -> None:
    """A quantity the catalogue rules out for a package is refused, unsent.

    Without min = max the catalogue names no quantity for the package, so none
    is taken (the price is the rate, whatever a quantity would say).
    """
    low, high = limits
    panel.services[6] = replace(panel.services[6], min=low, max=high)
    await setup_integration(hass, mock_config_entry)

    with pytest.raises(ServiceValidationError, match=message):
        await add_order(hass, service=6, link=LINK, quantity=quantity)
    assert panel.count("add") == 0
    if low != high:
        # Left out, the package is ordered without a quantity.
        response = await add_order(hass, service=6, link=LINK)
        [sent] = [request for request in panel.requests if request.action == "add"]
        assert "quantity" not in sent.params
        assert response["estimated_charge"] == pytest.approx(4.99)


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "comments",
    [
        "Great post!\n\n  Love it  \nSo nice\r\nWow\nAmazing\n",
        ["Great post!", " Love it", "", "So nice\nWow", "Amazing"],
    ],
    ids=["multiline-text", "list"],
)
async def test_list_field_is_sent_newline_separated(
    hass: HomeAssistant, panel: PanelSimulator, comments: Any
) -> None:
    """A list field given as text or as a list reaches the panel one per line."""
    response = await add_order(hass, service=7, link=LINK, comments=comments)

    order = panel.orders[response["order"]]
    assert order.fields["comments"] == "Great post!\nLove it\nSo nice\nWow\nAmazing"
    assert order.quantity == 5
    assert response["estimated_charge"] == pytest.approx(0.06)
    await hass.async_block_till_done()
    state = hass.states.get(ORDER_SENSOR.format(response["order"]))
    assert state is not None
    assert state.attributes["quantity"] == 5


# --- checks before sending -------------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"service": 999, "link": LINK, "quantity": 100},
            "Service 999 is not in this panel's services list",
        ),
        (
            {"service": 1, "link": LINK, "quantity": 20},
            "Quantity 20 is below this service's minimum of 50",
        ),
        (
            {"service": 1, "link": LINK, "quantity": 20000},
            "Quantity 20000 is above this service's maximum of 10000",
        ),
        (
            {"service": 1, "link": LINK},
            r"Service 1 \(Followers\) of type Default needs these fields: quantity",
        ),
        (
            {"service": 1, "link": " ", "quantity": 100},
            r"Service 1 \(Followers\) of type Default needs these fields: link",
        ),
        (
            {"service": 7, "link": LINK, "quantity": 5, "comments": "a\nb\nc\nd\ne"},
            r"Service 7 \(.*\) of type Custom Comments takes no quantity",
        ),
        (
            {"service": 7, "link": LINK, "comments": "Nice\n\nGreat\n"},
            "comments has 2 lines, below this service's minimum of 5",
        ),
        (
            {"service": 16, "link": LINK, "username": "x", "comments": "a\n" * 501},
            "comments has 501 lines, above this service's maximum of 500",
        ),
        (
            {"service": 16, "link": LINK},
            "of type Comment Replies needs these fields: username, comments",
        ),
        (
            {
                "service": 18,
                "link": LINK,
                "username": "x",
                "min": 50,
                "max": 60,
                "delay": 0,
            },
            r"Service 18 \(.*\) of type Subscriptions takes no link",
        ),
        (
            {"service": 18},
            "of type Subscriptions needs these fields: username, min, max, posts,"
            " delay",
        ),
        (
            {
                "service": 18,
                "username": "x",
                "min": 200,
                "max": 100,
                "posts": 1,
                "delay": 0,
            },
            r'"Minimum per post" \(200\) and "Maximum per post" \(100\) must be'
            r" within this service's limits \(50 to 10000\), with the minimum not"
            " above the maximum",
        ),
        (
            {
                "service": 18,
                "username": "x",
                "min": 10,
                "max": 100,
                "posts": 1,
                "delay": 0,
            },
            r'"Minimum per post" \(10\) and "Maximum per post" \(100\) must be within',
        ),
        (
            {"service": 2, "link": LINK, "quantity": 100, "runs": 2, "interval": 5},
            r"Service 2 \(Instagram Likes\) has no drip-feed: leave out \"Runs\" and"
            ' "Interval"',
        ),
        (
            {"service": 1, "link": LINK, "quantity": 100, "runs": 2},
            'Drip-feed needs both "Runs" and "Interval"',
        ),
        (
            {
                "service": 20,
                "link": LINK,
                "quantity": 1000,
                "country": "US",
                "device": 1,
                "type_of_traffic": 1,
            },
            "of type Web Traffic needs these fields: google_keyword",
        ),
        (
            {"service": 11, "link": LINK, "quantity": 100, "hashtag": "  "},
            "of type Mentions Hashtag needs these fields: hashtag",
        ),
        (
            {"service": 1, "link": LINK, "quantity": 10000, "runs": 20, "interval": 10},
            "The estimated charge of 180.00 USD is above the balance of 100.00 USD",
        ),
    ],
    ids=[
        "unknown-service",
        "below-minimum",
        "above-maximum",
        "no-quantity",
        "blank-link",
        "quantity-not-used",
        "too-few-lines",
        "too-many-lines",
        "comment-replies-fields",
        "subscription-link",
        "subscription-fields",
        "subscription-min-above-max",
        "subscription-below-service-minimum",
        "no-drip-feed",
        "runs-without-interval",
        "web-traffic-keyword",
        "blank-hashtag",
        "charge-above-balance",
    ],
)
@pytest.mark.parametrize("dry_run", [False, True])
async def test_checks_before_sending(
    hass: HomeAssistant,
    panel: PanelSimulator,
    data: dict[str, Any],
    message: str,
    dry_run: bool,
) -> None:
    """Each mistake is refused in the user's terms; nothing reaches the panel."""
    with pytest.raises(ServiceValidationError, match=message):
        await add_order(hass, **data, dry_run=dry_run)

    assert panel.count("add") == 0


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "data",
    [
        {"service": 0, "link": LINK},
        {"service": 1, "link": LINK, "quantity": -5},
        {"service": 18, "username": "x", "min": 50, "max": 60, "expiry": "soon"},
    ],
    ids=["service-zero", "negative-quantity", "bad-expiry"],
)
async def test_malformed_fields(
    hass: HomeAssistant, panel: PanelSimulator, data: dict[str, Any]
) -> None:
    """Values of the wrong kind are refused by the schema."""
    with pytest.raises(vol.Invalid):
        await add_order(hass, **data)
    assert panel.count("add") == 0


async def test_balance_is_read_again_when_short(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A top-up since the last poll does not block an order."""
    panel.set_balance(Decimal("0.10"))
    await setup_integration(hass, mock_config_entry)
    panel.set_balance(Decimal(50))

    response = await add_order(hass, service=1, link=LINK, quantity=1000)

    assert response["order"] == FIRST_ORDER
    assert panel.count("add") == 1


async def test_short_balance_confirmed_by_panel(
    hass: HomeAssistant, panel: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """When the panel confirms the short balance, nothing is sent."""
    panel.set_balance(Decimal("0.10"))
    await setup_integration(hass, mock_config_entry)
    panel.reset_log()

    with pytest.raises(
        ServiceValidationError,
        match="The estimated charge of 0.90 USD is above the balance of 0.10 USD",
    ):
        await add_order(hass, service=1, link=LINK, quantity=1000)

    assert panel.count("balance") == 1
    assert panel.count("add") == 0


# --- failures while sending --------------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
async def test_panel_rejections_carry_the_panel_message(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """Funds and duplicate-link refusals show the panel's own words."""
    panel.set_balance(Decimal("0.10"))  # behind the polled 100 USD
    with pytest.raises(
        HomeAssistantError,
        match="The panel says the balance is too low: Not enough funds on balance",
    ) as err:
        await add_order(hass, service=1, link=LINK, quantity=1000)
    # The panel refused what was asked: the caller's to correct (issue 20 item 2).
    assert isinstance(err.value, ServiceValidationError)

    panel.set_balance(Decimal(100))
    await add_order(hass, service=1, link=LINK, quantity=1000)
    with pytest.raises(
        HomeAssistantError,
        match="The panel refused the request: You have active order with this link",
    ):
        # Past this integration's duplicate guard, the panel's own one answers.
        await add_order(hass, service=1, link=LINK, quantity=1000, allow_duplicate=True)

    assert panel.count("add") == 3
    assert order_issues(hass) == []


@pytest.mark.usefixtures("short_client_timeout", "loaded_entry")
async def test_timeout_on_add_is_never_retried(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """A lost reply: one add only, a clear error, and a repair issue."""
    panel.faults.add(Fault("timeout", action="add", delay=NEVER))

    with pytest.raises(
        HomeAssistantError,
        match=(
            "The panel 127.0.0.1 did not confirm the order for service 1"
            rf" \({LINK}\): the order's state is unknown — check the panel before"
            " retrying"
        ),
    ) as err:
        await add_order(hass, service=1, link=LINK, quantity=500)

    assert not isinstance(err.value, ServiceValidationError)
    assert API_KEY not in str(err.value)
    assert panel.count("add") == 1
    (issue,) = order_issues(hass)
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "panel": "127.0.0.1",
        "service": "1",
        "service_name": "Followers",
        "link": LINK,
    }
    await hass.async_block_till_done()
    assert hass.states.get(ORDER_SENSOR.format(FIRST_ORDER)) is None


@pytest.mark.usefixtures("loaded_entry")
async def test_each_unknown_order_gets_its_own_issue(
    hass: HomeAssistant, panel: PanelSimulator
) -> None:
    """Two garbled replies are two possible orders: two repair issues."""
    panel.faults.add(Fault("malformed_json", action="add", times=2))

    for link in (LINK, "https://www.instagram.com/p/other/"):
        with pytest.raises(HomeAssistantError, match="the order's state is unknown"):
            await add_order(hass, service=2, link=link, quantity=100)

    assert panel.count("add") == 2
    assert sorted(
        issue.translation_placeholders["link"] for issue in order_issues(hass)
    ) == sorted([LINK, "https://www.instagram.com/p/other/"])


@pytest.mark.usefixtures("loaded_entry")
async def test_services_list_unreachable(
    hass: HomeAssistant, panel: PanelSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Without the services list nothing can be checked, so nothing is sent."""
    freezer.tick(timedelta(hours=1))  # the cached list is now too old
    panel.faults.add(Fault("reset", action="services", times=None))

    with pytest.raises(HomeAssistantError, match="Cannot reach the panel"):
        await add_order(hass, service=1, link=LINK, quantity=500)

    assert panel.count("add") == 0
