"""Take a screenshot of the running demo's dashboard with headless Chromium.

Run while ``scripts/demo`` is up (Chromium from the distribution, e.g.
``apt-get install chromium``)::

    python -m scripts.e2e_support.screenshot --out docs/demo-dashboard.png

The page is in the demo user's language, the one the demo was started with:
after ``SMM_DEMO_LANGUAGE=ar scripts/demo``, ``--out docs/demo-dashboard-ar.png``.
The browser logs in the way the login page does: an authorization code from
the login flow, handed to the frontend's ``auth_callback`` URL.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import urlencode

import aiohttp

from .ha_api import HomeAssistantApi
from .processes import LOOPBACK


async def _auth_code(hass_url: str, username: str, password: str) -> str:
    """Return an authorization code for the frontend's client id."""
    async with aiohttp.ClientSession() as session:
        return await HomeAssistantApi(session, hass_url).authorize(username, password)


async def login_url(hass_url: str, path: str, username: str, password: str) -> str:
    """Return a URL of ``path`` that logs the browser in as the user."""
    code = await _auth_code(hass_url, username, password)
    state = base64.b64encode(
        json.dumps({"hassUrl": hass_url, "clientId": f"{hass_url}/"}).encode()
    ).decode()
    return f"{hass_url}{path}?" + urlencode(
        {"auth_callback": "1", "code": code, "state": state}
    )


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise SystemExit("Chromium not found (apt-get install chromium)")


def main(argv: list[str] | None = None) -> None:
    """Log in, open the dashboard, save the screenshot."""
    parser = argparse.ArgumentParser(prog="python -m scripts.e2e_support.screenshot")
    parser.add_argument("--out", type=Path, default=Path("docs/demo-dashboard.png"))
    parser.add_argument("--hass-port", type=int, default=8123)
    parser.add_argument("--path", default="/smm-panel/panel")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="demo-password")
    parser.add_argument("--size", default="1600,1100")
    parser.add_argument("--wait-ms", type=int, default=20000)
    args = parser.parse_args(argv)

    hass_url = f"http://{LOOPBACK}:{args.hass_port}"
    url = asyncio.run(login_url(hass_url, args.path, args.username, args.password))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="smm-shot-") as profile:
        subprocess.run(
            [
                _browser(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={args.size}",
                f"--virtual-time-budget={args.wait_ms}",
                f"--screenshot={args.out.resolve()}",
                url,
            ],
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    print(f"Saved {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
