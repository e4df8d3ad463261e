"""The card in a real browser: Debian's Chromium driven by Playwright.

One ``hass`` process and one simulator per module, started like the
end-to-end tests' (tests/e2e), with a YAML dashboard holding the card. The
browser logs in as the owner the way the login page does. No browser is ever
downloaded: Playwright drives /usr/bin/chromium (``scripts/ensure_chromium``
installs it where it can). Without Chromium the tests are skipped, except
under CI, where they fail.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Iterator
import contextlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_socket  # type: ignore[import-untyped]

from scripts.e2e_support.card_screenshot import CHROMIUM_ARGS
from scripts.e2e_support.ha_api import HomeAssistantApi, HomeAssistantCommandError
from scripts.e2e_support.processes import (
    LOOPBACK,
    ensure_frontend,
    ensure_integration_requirements,
    free_port,
    prepare_config_dir,
    start_simulator,
)
from tests.e2e.conftest import (  # the hook attaches hass's log to failures
    API_KEY,
    CONFIGURATION as E2E_CONFIGURATION,
    OWNER,
    E2EStack,
    pytest_runtest_makereport,  # noqa: F401
)

CHROMIUM = Path(os.environ.get("SMM_CHROMIUM", "/usr/bin/chromium"))
# Since 2026.x the frontend's list of actions imports these (through the base
# entity components); Home Assistant runs with --skip-pip here.
FRONTEND_NEEDS = ("camera", "conversation", "ffmpeg", "tts", "assist_pipeline")
DASHBOARD = "smm-card"
CARD_DASHBOARD_FILE = "card_dashboard.yaml"
# Options of the account: a spending limit, so the estimate shows it.
OPTIONS = {"spending_limit": 50, "duplicate_window": 10}

# The end-to-end tests' configuration, and a YAML dashboard with the card.
CONFIGURATION = (
    E2E_CONFIGURATION
    + """\
frontend:
lovelace:
  dashboards:
    {dashboard}:
      mode: yaml
      filename: {dashboard_file}
      title: SMM card
      show_in_sidebar: true
"""
)

CARD_DASHBOARD = """\
title: SMM card
views:
  - title: Card
    path: card
    cards:
      - type: custom:smm-panel-card
"""


def chromium_or_skip() -> Path:
    """Return Chromium's path; skip (fail under CI) when it is not installed."""
    problem = None
    if not CHROMIUM.exists():
        problem = (
            f"Chromium is not installed ({CHROMIUM}): run scripts/ensure_chromium"
            " as root, or apt-get install chromium"
        )
    else:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            problem = "Playwright is not installed (requirements/tools.txt)"
    if problem is None:
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem}; CI must run the card's browser tests")
    pytest.skip(f"{problem}: the card's browser tests are skipped")


class CardStack(E2EStack):
    """The running processes, plus the account the card shows."""

    entry_id: str = ""


async def _set_up(stack: CardStack) -> None:
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, stack.hass_url)
        stack.token = await api.onboard(**OWNER)
        await api.wait_until_running()
        async with api.websocket() as ws:
            # Since 2026.x the YAML http settings start as a trial that the
            # frontend asks to confirm (a dialog over the dashboard), and
            # that is reverted unless confirmed: confirm it, as the owner
            # would. Older releases have no such command.
            with contextlib.suppress(HomeAssistantCommandError):
                await ws.command("http/config/promote")
        flow = await api.start_config_flow("smm_panel")
        result = await api.configure_flow(
            flow["flow_id"], {"api_url": stack.api_url, "api_key": API_KEY}
        )
        assert result["type"] == "create_entry", result
        stack.entry_id = result["result"]["entry_id"]
        await api.set_options(stack.entry_id, OPTIONS)


@pytest.fixture(scope="module")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CardStack]:
    """Start the simulator and Home Assistant with the card's dashboard."""
    chromium_or_skip()
    pytest_socket.enable_socket()
    ensure_frontend()
    ensure_integration_requirements(*FRONTEND_NEEDS)
    root = tmp_path_factory.mktemp("card")
    stack = CardStack(root=root, hass_port=free_port(), sim_port=free_port())
    try:
        stack.sim = start_simulator(
            stack.sim_port, root / "simulator.log", key=API_KEY, speed=0
        )
        prepare_config_dir(
            stack.config_dir,
            CONFIGURATION.format(
                host=LOOPBACK,
                port=stack.hass_port,
                dashboard=DASHBOARD,
                dashboard_file=CARD_DASHBOARD_FILE,
            ),
        )
        (stack.config_dir / CARD_DASHBOARD_FILE).write_text(CARD_DASHBOARD, "utf-8")
        stack.start_hass()
        asyncio.run(_set_up(stack))
        yield stack
    finally:
        if stack.hass is not None:
            stack.hass.stop()
        if stack.sim is not None:
            stack.sim.stop()


@pytest.fixture
async def browser(e2e_stack: CardStack, socket_enabled: None) -> AsyncIterator[Any]:
    """Debian's Chromium, driven by Playwright, for one test.

    Playwright gives each launch a fresh, temporary profile folder (the
    user-data-dir), removed when the browser closes.
    """
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium_or_skip()), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def _auth_code(stack: CardStack) -> str:
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, stack.hass_url)
        return await api.authorize(OWNER["username"], OWNER["password"])


async def login_url(stack: CardStack, path: str) -> str:
    """Return a URL that logs the browser in (the login page's last step)."""
    code = await _auth_code(stack)
    state = base64.b64encode(
        json.dumps(
            {"hassUrl": stack.hass_url, "clientId": f"{stack.hass_url}/"}
        ).encode()
    ).decode()
    return f"{stack.hass_url}{path}?" + urlencode(
        {"auth_callback": "1", "code": code, "state": state}
    )


async def _ws(stack: CardStack, command: str, **data: Any) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        stack.api(session).websocket() as ws,
    ):
        return await ws.command(command, **data)


async def set_language(stack: CardStack, language: str) -> None:
    """Set the owner's language, as the profile page does."""
    await _ws(
        stack,
        "frontend/set_user_data",
        key="language",
        value={
            "language": language,
            "number_format": "comma_decimal",
            "time_format": "language",
            "date_format": "language",
            "time_zone": "local",
            "first_weekday": "language",
        },
    )


async def _sim(stack: CardStack, method: str, path: str, **data: Any) -> Any:
    async with aiohttp.ClientSession() as session:
        return await stack.sim_control(session, method, path, **data)


async def sim(stack: CardStack, method: str, path: str, **data: Any) -> Any:
    """Call a simulator control endpoint."""
    return await _sim(stack, method, path, **data)


async def _call_service(
    stack: CardStack, domain: str, service: str, data: dict[str, Any]
) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        stack.api(session).websocket() as ws,
    ):
        return await ws.call_service(
            domain, service, data, return_response=domain == "smm_panel"
        )


async def call_service(
    stack: CardStack, domain: str, service: str, data: dict[str, Any]
) -> Any:
    """Call an action as the owner."""
    return await _call_service(stack, domain, service, data)


async def _wait_for_state(stack: CardStack, entity_id: str, state: str) -> None:
    async with aiohttp.ClientSession() as session:
        api = stack.api(session)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        while True:
            await api.call_service(
                "homeassistant",
                "update_entity",
                {"entity_id": ["sensor.127_0_0_1_balance"]},
            )
            try:
                await api.wait_for_state(
                    entity_id,
                    lambda s: s is not None and s["state"] == state,
                    within=3.0,
                )
            except TimeoutError:
                if loop.time() >= deadline:
                    raise
            else:
                return


async def poll_until(stack: CardStack, entity_id: str, state: str) -> None:
    """Ask for refreshes until the entity has the state."""
    await _wait_for_state(stack, entity_id, state)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``e2e`` marker when only the card's tests are collected."""
    config.addinivalue_line(
        "markers", "e2e: end-to-end test running real hass and simulator processes"
    )
