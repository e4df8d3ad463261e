"""The Python half of ``scripts/demo``: configuration folder and set-up.

``prepare`` writes a fresh configuration folder from ``demo/``, with
onboarding's steps other than the owner marked done (so onboarding sets up none
of its own integrations, which need the internet). ``setup`` waits for the
simulator and Home Assistant that the shell script started, creates the owner,
adds the panel through the config flow, and places a few orders (moving the
simulator's clock between them so they are at different stages). Everything
goes through public HTTP APIs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import shutil
import socket
from string import Template
import sys
import time
from typing import Any

import aiohttp

from .ha_api import HomeAssistantApi
from .processes import LOOPBACK, PROJECT_ROOT, http_status, prepare_config_dir

DEMO_DIR = PROJECT_ROOT / "demo"
DASHBOARD_FILE = "smm_panel_dashboard.yaml"
# In demo/dashboard.yaml: the account's device, for the logbook card.
DEVICE_PLACEHOLDER = "SMM_PANEL_DEVICE_ID"
# Written into the folder so that ``prepare`` only ever wipes a demo folder.
MARKER = ".smm_panel_demo"
DOMAIN = "smm_panel"
BALANCE = "sensor.127_0_0_1_balance"

# The demo orders, in the order they are placed: (service, link, quantity,
# simulated seconds to move the clock afterwards, cancel it at once). They
# cost 7.59 of the simulator's 25.00 (the last one 0.0369: panels charge to
# 4-5 decimals). The demo's reorder automation (demo/configuration.yaml)
# places three more orders of 1.85 in the first minute (15.41 -> 11.86), and a
# fourth about five minutes in takes the balance below the threshold of 11.
DEMO_ORDERS: tuple[tuple[int, str, int, int, bool], ...] = (
    (3, "https://www.instagram.com/ha.smm.demo/", 2000, 700, False),
    (5, "https://www.tiktok.com/@ha.smm.demo/video/1", 5000, 0, True),
    (4, "https://www.youtube.com/watch?v=smmdemo001", 1000, 400, False),
    (1, "https://www.instagram.com/ha.smm.demo/", 1000, 150, False),
    (2, "https://www.instagram.com/p/SMMdemo02/", 246, 0, False),
)
# No polling interval: the integration polls every 5 minutes, and the demo's
# automation asks for an update every 20 s while orders are active. The
# spending limit (20 a day) stays above what the demo spends (about 15), so the
# "Spent in the last 24 hours" tile has something to show against it.
OPTIONS = {
    "low_balance_threshold": 11,
    "retention_hours": 24,
    "spending_limit": 20,
    "duplicate_window": 10,
}
# Onboarding's steps other than creating the owner. Finishing "core_config"
# through the API would start onboarding's own integrations (radio browser,
# weather, text-to-speech, shopping list), which need the internet and log
# errors; marked done beforehand, they are never set up.
ONBOARDING_DONE = ("core_config", "analytics", "integration")
ONBOARDING_STORE_VERSION = 4


def _fail(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr)
    raise SystemExit(1)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def prepare(config_dir: Path, hass_port: int, sim_port: int, language: str) -> None:
    """Write a fresh configuration folder (the simulator starts empty too)."""
    for port in (hass_port, sim_port):
        if not _port_free(port):
            _fail(
                f"port {port} on {LOOPBACK} is in use; stop what uses it or set"
                " SMM_DEMO_HASS_PORT / SMM_DEMO_SIM_PORT"
            )
    if config_dir.exists():
        if not (config_dir / MARKER).exists():
            _fail(f"{config_dir} exists and is not a demo folder; not touching it")
        shutil.rmtree(config_dir)
    configuration = Template(
        (DEMO_DIR / "configuration.yaml").read_text("utf-8")
    ).substitute(hass_port=hass_port, language=language)
    prepare_config_dir(config_dir, configuration)
    (config_dir / MARKER).write_text("Made by scripts/demo; deleted on its next run.\n")
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / "onboarding").write_text(
        json.dumps(
            {
                "version": ONBOARDING_STORE_VERSION,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": list(ONBOARDING_DONE)},
            },
            indent=2,
        ),
        "utf-8",
    )
    shutil.copyfile(DEMO_DIR / "dashboard.yaml", config_dir / DASHBOARD_FILE)


async def _wait_http(url: str, what: str, within: float) -> None:
    deadline = time.monotonic() + within
    while True:
        status = await asyncio.to_thread(http_status, url)
        if status is not None and status < 500:
            return
        if time.monotonic() > deadline:
            _fail(f"{what} did not start within {within:.0f} s (see its log)")
        await asyncio.sleep(0.5)


async def _sim(
    session: aiohttp.ClientSession, sim_url: str, path: str, **data: Any
) -> Any:
    async with session.post(f"{sim_url}/_sim/{path}", json=data) as response:
        response.raise_for_status()
        return await response.json()


async def _create_owner(
    api: HomeAssistantApi, username: str, password: str, language: str
) -> None:
    """Create the owner (the one onboarding step left) and log in as it.

    The owner's profile gets the demo's language, with Western digits like
    the dashboard's templates (which render on the server).
    """
    await api.request(
        "POST",
        "/api/onboarding/users",
        auth=False,
        json={
            "client_id": api.client_id,
            "name": "Demo",
            "username": username,
            "password": password,
            "language": language,
        },
    )
    await api.login(username, password)
    async with api.websocket() as ws:
        await ws.command(
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


async def _add_entry(api: HomeAssistantApi, api_url: str, key: str) -> str:
    flow = await api.start_config_flow(DOMAIN)
    result = await api.configure_flow(
        flow["flow_id"], {"api_url": api_url, "api_key": key}
    )
    if result.get("type") != "create_entry":
        _fail(f"the config flow did not create the entry: {result}")
    entry_id: str = result["result"]["entry_id"]
    await api.set_options(entry_id, OPTIONS)
    return entry_id


async def _fill_in_device(
    api: HomeAssistantApi, entry_id: str, dashboard: Path
) -> None:
    """Put the account's device id into the dashboard (its logbook card).

    A YAML dashboard is read again when its file changes.
    """
    async with api.websocket() as ws:
        devices = await ws.command("config/device_registry/list")
    device_ids = [d["id"] for d in devices if entry_id in d["config_entries"]]
    if not device_ids:
        _fail(f"no device for the entry {entry_id}")
    text = dashboard.read_text("utf-8")
    dashboard.write_text(text.replace(DEVICE_PLACEHOLDER, device_ids[0]), "utf-8")


async def _place_orders(
    api: HomeAssistantApi, session: aiohttp.ClientSession, sim_url: str
) -> list[dict[str, Any]]:
    placed = []
    for service, link, quantity, advance, cancel in DEMO_ORDERS:
        response = await api.call_service(
            DOMAIN,
            "add_order",
            {"service": service, "link": link, "quantity": quantity},
            return_response=True,
        )
        placed.append(response)
        if cancel:
            await api.call_service(
                DOMAIN, "cancel", {"orders": [response["order"]]}, return_response=True
            )
        if advance:
            await _sim(session, sim_url, "advance", seconds=advance)
    # A refill of the finished order: "Refill completed" shows up a bit later.
    await api.call_service(
        DOMAIN, "refill", {"orders": [placed[0]["order"]]}, return_response=True
    )
    await api.call_service("homeassistant", "update_entity", {"entity_id": [BALANCE]})
    return placed


async def _wait_caught_up(api: HomeAssistantApi, order: int) -> None:
    """Wait until the poll after the orders shows a delivering one."""
    sensor = f"sensor.127_0_0_1_order_{order}"
    try:
        await api.wait_for_state(
            sensor,
            lambda state: state is not None and state["state"] == "in_progress",
            within=30,
        )
    except TimeoutError:
        print("demo: the orders will show up on the next poll", file=sys.stderr)


async def setup(args: argparse.Namespace) -> None:
    """Onboard, add the panel, place the demo orders, print how to log in."""
    sim_url = f"http://{LOOPBACK}:{args.sim_port}"
    hass_url = f"http://{LOOPBACK}:{args.hass_port}"
    await _wait_http(f"{sim_url}/_sim/requests", "The simulator", 30)
    await _wait_http(f"{hass_url}/manifest.json", "Home Assistant", 180)
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, hass_url)
        await _create_owner(api, args.username, args.password, args.language)
        await api.wait_until_running()
        entry_id = await _add_entry(api, f"{sim_url}/api/v2", args.key)
        await _fill_in_device(api, entry_id, args.config_dir / DASHBOARD_FILE)
        placed = await _place_orders(api, session, sim_url)
        await _wait_caught_up(api, placed[2]["order"])
        async with api.websocket() as ws:
            token = await ws.command(
                "auth/long_lived_access_token",
                client_name="scripts/demo",
                lifespan=30,
            )
    token_file = args.config_dir / "demo-token.txt"
    token_file.write_text(token + "\n", "utf-8")
    token_file.chmod(0o600)
    orders = ", ".join(str(order["order"]) for order in placed)
    print(
        f"""
SMM Panel demo is running.

  Home Assistant  {hass_url}/smm-panel   (dashboard "SMM Panel")
  Log in with     user: {args.username}   password: {args.password}
  Panel API       {sim_url}/api/v2   key: {args.key}   (simulator, {args.speed}x time)
  Demo orders     {orders}
  API token       {token_file} (long-lived, for REST calls)
  Logs            {args.config_dir}/home-assistant.log, simulator.log

The integration polls every 5 minutes; while orders are active, the demo's
automation asks for an update every 20 s, and the refresh button on the
dashboard polls at once. Another automation reorders when an order completes
until the balance falls below the low-balance threshold (about five minutes).
Try an action in Developer tools > Actions, e.g. smm_panel.add_order
with service: 1, link: https://example.com, quantity: 100.

Press Ctrl-C to stop.""",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    """Command line of the demo helper."""
    parser = argparse.ArgumentParser(prog="python -m scripts.e2e_support.demo")
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare", help="write a fresh configuration folder")
    run = commands.add_parser("setup", help="onboard, add the panel, place orders")
    for command in (prep, run):
        command.add_argument("--config-dir", type=Path, required=True)
        command.add_argument("--hass-port", type=int, default=8123)
        command.add_argument("--sim-port", type=int, default=8081)
    for command in (prep, run):
        command.add_argument("--language", default="en")
    run.add_argument("--key", required=True)
    run.add_argument("--username", default="demo")
    run.add_argument("--password", default="demo-password")
    run.add_argument("--speed", default="1")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.config_dir.resolve(), args.hass_port, args.sim_port, args.language)
    else:
        args.config_dir = args.config_dir.resolve()
        asyncio.run(setup(args))


if __name__ == "__main__":
    main()
