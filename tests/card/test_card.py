"""The dashboard card in Chromium, used as a person would.

The steps run in order on one ``hass`` process: the order placed in the first
is refilled in a later one. The simulator's clock moves only when a test
advances it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import re
from typing import Any

import pytest

from tests.e2e.conftest import E2E_TIMEOUT

from .conftest import (
    DASHBOARD,
    CardStack,
    call_service,
    login_url,
    poll_until,
    set_language,
    sim,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(E2E_TIMEOUT)]

FIRST_ORDER = 23501  # the simulator numbers orders from here
FIRST_REFILL = 1001
LINK = "https://www.instagram.com/p/card-test/"
# Long enough for a busy machine; each wait ends as soon as the text is there.
WAIT_MS = 30_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 900}

type OpenCard = Callable[..., Awaitable[Any]]


@pytest.fixture
def open_card(browser: Any, e2e_stack: CardStack) -> OpenCard:
    """Open the card's dashboard in a new browser context, logged in as the owner.

    The contexts close with the browser, after the test.
    """

    async def open_page(
        viewport: dict[str, int] = DESKTOP, color_scheme: str = "light"
    ) -> Any:
        context = await browser.new_context(
            viewport=viewport, color_scheme=color_scheme
        )
        page = await context.new_page()
        page.set_default_timeout(WAIT_MS)
        await page.goto(await login_url(e2e_stack, f"/{DASHBOARD}/card"))
        await card(page).locator(".header").wait_for()
        return page

    return open_page


def card(page: Any) -> Any:
    """The card's root element (Playwright's CSS goes through shadow roots)."""
    return page.locator("smm-panel-card ha-card")


async def expect_text(locator: Any, text: str | re.Pattern[str]) -> None:
    """Wait until the element shows the text."""
    from playwright.async_api import expect

    await expect(locator).to_have_text(text, timeout=WAIT_MS)


async def adds(stack: CardStack) -> int:
    """Return how many `add` requests the panel received."""
    return int((await sim(stack, "GET", "requests")).get("add", 0))


async def choose_service(page: Any, search: str, service: int) -> None:
    """Open the new order tab and pick a service in the catalogue picker."""
    await card(page).locator('button[data-tab="new"]').click()
    await card(page).locator("input.search").fill(search)
    await card(page).locator(f'button.result[data-service="{service}"]').click()


async def test_place_order_through_picker_and_confirmation(
    open_card: OpenCard, e2e_stack: CardStack
) -> None:
    """Search, choose, fill in, see the estimate, confirm: the order is on top."""
    page = await open_card()
    await choose_service(page, "followers first", 1)
    ui = card(page)

    # Only the fields the service's type takes, with the service's limits.
    names = await ui.locator(".new-order [name]").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('name'))"
    )
    assert names == ["link", "quantity", "runs", "interval"]
    assert "50" in await ui.locator(".new-order .hint").first.inner_text()
    await ui.locator('input[name="link"]').fill(LINK)
    await ui.locator('input[name="quantity"]').fill("1000")

    # The dry run: charge, balance after, the spending limit.
    await expect_text(ui.locator("dd.charge"), "0.90 USD")
    await expect_text(ui.locator("dd.balance-after"), "99.10 USD")
    await expect_text(ui.locator("dd.spending"), "0.00 of 50.00 USD")
    assert await adds(e2e_stack) == 0

    await ui.locator("button.place").click()
    text = await ui.locator(".confirm").inner_text()
    assert "1 · Followers" in text
    assert LINK in text
    assert "1,000" in text
    assert "0.90 USD" in text
    assert await adds(e2e_stack) == 0
    await ui.locator(".confirm button.confirm-button").click()

    await expect_text(ui.locator(".message.ok"), f"Order {FIRST_ORDER} placed.")
    first = ui.locator(".order").first
    assert await first.get_attribute("data-order") == str(FIRST_ORDER)
    assert "Followers" in await first.inner_text()
    assert "Pending" in await first.inner_text()
    assert await adds(e2e_stack) == 1


async def test_refusals_shown(open_card: OpenCard, e2e_stack: CardStack) -> None:
    """A refused estimate is explained; the panel's own refusal is shown."""
    page = await open_card()
    await choose_service(page, "followers", 1)
    ui = card(page)
    await ui.locator('input[name="link"]').fill("https://www.instagram.com/p/refused/")
    await ui.locator('input[name="quantity"]').fill("10")

    await expect_text(
        ui.locator(".estimate .message.error"),
        "Quantity 10 is below this service's minimum of 50.",
    )
    assert await ui.locator("button.place").is_disabled()

    await sim(
        e2e_stack,
        "POST",
        "fault",
        kind="error",
        action="add",
        message="Link is private",
    )
    await ui.locator('input[name="quantity"]').fill("100")
    await expect_text(ui.locator("dd.charge"), "0.09 USD")
    await ui.locator("button.place").click()
    await ui.locator(".confirm button.confirm-button").click()

    await expect_text(
        ui.locator(".message.error").first,
        "The panel refused the request: Link is private",
    )


async def test_refill_and_cancel_from_the_list(
    open_card: OpenCard, e2e_stack: CardStack
) -> None:
    """A finished order offers a refill, a running one a cancel; both confirmed."""
    await sim(e2e_stack, "POST", "advance", seconds=700)
    await poll_until(e2e_stack, f"sensor.127_0_0_1_order_{FIRST_ORDER}", "completed")
    placed = await call_service(
        e2e_stack,
        "smm_panel",
        "add_order",
        {"service": 3, "link": "https://www.instagram.com/running/", "quantity": 100},
    )
    running = placed["order"]
    page = await open_card()
    ui = card(page)

    completed_row = ui.locator(f'.order[data-order="{FIRST_ORDER}"]')
    running_row = ui.locator(f'.order[data-order="{running}"]')
    await expect_text(completed_row.locator(".status"), "Completed")
    assert await completed_row.locator("button.cancel").count() == 0
    assert await running_row.locator("button.refill").count() == 0

    await completed_row.locator("button.refill").click()
    assert f"refill order {FIRST_ORDER}" in await ui.locator(".confirm").inner_text()
    await ui.locator(".confirm button.confirm-button").click()
    await expect_text(
        ui.locator(".message.ok"),
        f"Order {FIRST_ORDER}: refill {FIRST_REFILL} requested.",
    )

    await running_row.locator("button.cancel").click()
    await ui.locator(".confirm button.back").click()  # thought better of it
    assert await ui.locator(".confirm").count() == 0
    await running_row.locator("button.cancel").click()
    await ui.locator(".confirm button.confirm-button").click()
    await expect_text(ui.locator(".message.ok"), f"Order {running}: cancel requested.")
    orders = await sim(e2e_stack, "GET", "orders")
    assert next(o for o in orders if o["order"] == running)["status"] == "Canceled"


async def _layout(page: Any) -> dict[str, Any]:
    """Measure the card: its width, the page's, and its rows."""
    return dict(
        await card(page).evaluate(
            """card => {
            const rows = [...card.querySelectorAll('.order .row, .result, .header')];
            const line = parseFloat(getComputedStyle(card).lineHeight) || 20;
            const root = document.documentElement;
            return {
                card: [card.scrollWidth, card.clientWidth],
                page: [root.scrollWidth, root.clientWidth],
                tallest: Math.max(0, ...[...card.querySelectorAll('.order .row')]
                    .map(r => r.getBoundingClientRect().height)),
                line,
                overflowing: rows.filter(r => r.scrollWidth > r.clientWidth + 1).length,
            };
        }"""
        )
    )


def _assert_fits(layout: dict[str, Any]) -> None:
    assert layout["card"][0] <= layout["card"][1], layout
    assert layout["page"][0] <= layout["page"][1], layout
    assert layout["overflowing"] == 0, layout
    # One line of text (a button is a little taller), never two.
    assert layout["tallest"] < 2 * layout["line"] + 4, layout


async def test_phone_width(open_card: OpenCard) -> None:
    """At 390 px: nothing scrolls sideways and no order row wraps."""
    page = await open_card(viewport=PHONE)
    ui = card(page)
    await ui.locator(".order").first.wait_for()
    _assert_fits(await _layout(page))

    await ui.locator('button[data-tab="new"]').click()
    await ui.locator("input.search").fill("instagram")
    await ui.locator("button.result").first.wait_for()
    _assert_fits(await _layout(page))


def _luminance(color: str) -> float:
    red, green, blue = (int(v) for v in re.findall(r"\d+", color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


async def test_dark_theme(open_card: OpenCard) -> None:
    """The card takes Home Assistant's theme: dark when the browser prefers it."""
    page = await open_card(color_scheme="dark")
    ui = card(page)
    await ui.locator(".order").first.wait_for()

    colors = await ui.evaluate(
        """card => ({
            background: getComputedStyle(card).backgroundColor,
            text: getComputedStyle(card).color,
        })"""
    )

    assert _luminance(colors["background"]) < 0.3, colors
    assert _luminance(colors["text"]) > 0.7, colors


async def test_arabic_right_to_left(open_card: OpenCard, e2e_stack: CardStack) -> None:
    """In Arabic the card reads right to left, refusals included, at phone width."""
    await set_language(e2e_stack, "ar")
    try:
        page = await open_card(viewport=PHONE)
        ui = card(page)
        await ui.locator(".order").first.wait_for()

        assert await ui.get_attribute("dir") == "rtl"
        assert await ui.evaluate("card => getComputedStyle(card).direction") == "rtl"
        await expect_text(ui.locator('button[data-tab="new"]'), "طلب جديد")
        await expect_text(
            ui.locator(f'.order[data-order="{FIRST_ORDER}"] .status'), "مكتمل"
        )
        _assert_fits(await _layout(page))
        # An English service name keeps its own direction: a long one is cut
        # at its end ("YouTube Views [Non…"), not its beginning ("…Refill]").
        name = ui.locator(f'.order[data-order="{FIRST_ORDER}"] .name')
        assert await name.evaluate("node => getComputedStyle(node).direction") == "ltr"

        await choose_service(page, "followers", 1)
        await ui.locator('input[name="link"]').fill("https://www.instagram.com/p/ar/")
        await ui.locator('input[name="quantity"]').fill("10")
        # ar.json's words, with the numbers in their places.
        await expect_text(
            ui.locator(".estimate .message.error"),
            "الكمية 10 أقل من الحد الأدنى لهذه الخدمة وهو 50.",
        )
    finally:
        await set_language(e2e_stack, "en")


async def test_card_picker_and_visual_editor(open_card: OpenCard) -> None:
    """The card is offered in the card picker and edited with a form."""
    page = await open_card()

    found = await page.evaluate(
        """async () => {
        const Card = customElements.get('smm-panel-card');
        const editor = Card.getConfigElement();
        editor.hass = document.querySelector('home-assistant').hass;
        editor.setConfig({type: 'custom:smm-panel-card'});
        document.body.append(editor);
        let changed = null;
        editor.addEventListener('config-changed', (e) => {
            changed = e.detail.config;
        });
        const form = editor.querySelector('ha-form');
        form.dispatchEvent(new CustomEvent('value-changed', {
            detail: {value: {title: 'Queen', show_orders: false, max_orders: 5}},
        }));
        return {
            picker: window.customCards.filter((c) => c.type === 'smm-panel-card'),
            stub: Card.getStubConfig(),
            editor: editor.localName,
            fields: form.schema.map((field) => field.name),
            changed,
        };
    }"""
    )

    assert found["picker"] == [
        {
            "type": "smm-panel-card",
            "name": "SMM Panel",
            "description": "Orders of an SMM panel account: place, refill and cancel.",
            "preview": False,
            "documentationURL": "https://github.com/smm-panel-ha/smm_panel#dashboard-card",
        }
    ]
    assert found["stub"] == {}
    assert found["editor"] == "smm-panel-card-editor"
    assert found["fields"] == [
        "config_entry_id",
        "title",
        "show_orders",
        "show_new_order",
        "max_orders",
    ]
    assert found["changed"] == {
        "type": "custom:smm-panel-card",
        "title": "Queen",
        "show_orders": False,
        "max_orders": 5,
    }


async def test_money_with_the_panels_precision(
    open_card: OpenCard, e2e_stack: CardStack
) -> None:
    """A charge of 0.0369 beside one of 0.90: both with the panel's 4 decimals."""
    placed = await call_service(
        e2e_stack,
        "smm_panel",
        "add_order",
        {"service": 2, "link": "https://www.instagram.com/p/precise/", "quantity": 246},
    )
    page = await open_card()
    ui = card(page)

    precise = ui.locator(f'.order[data-order="{placed["order"]}"]')
    await expect_text(precise.locator(".meta"), re.compile(r"0\.0369 USD"))
    first = ui.locator(f'.order[data-order="{FIRST_ORDER}"]')
    await expect_text(first.locator(".meta"), re.compile(r"0\.9000 USD"))
