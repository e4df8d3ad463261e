"""Screenshot the SMM Panel card on the running demo's dashboard (README).

Run while ``scripts/demo`` is up, with Debian's Chromium (scripts/ensure_chromium)::

    python -m scripts.e2e_support.card_screenshot --out docs/card.png

The demo's dashboard has two cards: the orders, and a new order. This fills
in the new order (picker, link, quantity) so the dry-run estimate shows, then
saves both cards. The page is in the demo user's language: after
``SMM_DEMO_LANGUAGE=ar scripts/demo``, ``--out docs/card-ar.png``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import sys

from playwright.async_api import async_playwright

from .processes import LOOPBACK
from .screenshot import login_url

CHROMIUM = "/usr/bin/chromium"
# Headless, offline, quiet: Chromium talks to Home Assistant only. The card's
# browser tests (tests/card) launch it the same way.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 60_000
MARGIN = 12


async def take(args: argparse.Namespace) -> None:
    """Log in, fill in a new order, save the two cards as one picture."""
    hass_url = f"http://{LOOPBACK}:{args.hass_port}"
    url = await login_url(hass_url, args.path, args.username, args.password)
    width, height = (int(v) for v in args.size.split(","))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=args.chromium, args=[*CHROMIUM_ARGS, "--hide-scrollbars"]
        )
        page = await browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(WAIT_MS)
        await page.goto(url)
        cards = page.locator("smm-panel-card")
        orders = cards.nth(0).locator("ha-card")
        new_order = cards.nth(1).locator("ha-card")
        await orders.locator(".order").first.wait_for()
        await new_order.locator("input.search").fill(args.search)
        await new_order.locator(f'button.result[data-service="{args.service}"]').click()
        await new_order.locator('input[name="link"]').fill(args.link)
        await new_order.locator('input[name="quantity"]').fill(str(args.quantity))
        await new_order.locator("dd.charge").wait_for()
        await page.wait_for_timeout(500)  # the estimate's text is laid out
        boxes = [await orders.bounding_box(), await new_order.bounding_box()]
        left = min(b["x"] for b in boxes if b) - MARGIN
        top = min(b["y"] for b in boxes if b) - MARGIN
        right = max(b["x"] + b["width"] for b in boxes if b) + MARGIN
        bottom = max(b["y"] + b["height"] for b in boxes if b) + MARGIN
        args.out.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(
            path=str(args.out.resolve()),
            clip={"x": left, "y": top, "width": right - left, "height": bottom - top},
        )
        await browser.close()
    print(f"Saved {args.out}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    """Command line of the card's screenshot."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.e2e_support.card_screenshot"
    )
    parser.add_argument("--out", type=Path, default=Path("docs/card.png"))
    parser.add_argument("--hass-port", type=int, default=8123)
    parser.add_argument("--path", default="/smm-panel/panel")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="demo-password")
    parser.add_argument("--size", default="1400,1400")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--search", default="instagram followers")
    parser.add_argument("--service", type=int, default=3)
    parser.add_argument("--link", default="https://www.instagram.com/ha.smm.demo/")
    parser.add_argument("--quantity", type=int, default=500)
    asyncio.run(take(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
