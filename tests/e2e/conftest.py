"""End-to-end fixtures: a real ``hass`` process and the simulator process.

Both run once per test module on free loopback ports, with a temporary
configuration folder, and are stopped (process groups ended) whatever happens.
Tests talk to them only over HTTP: Home Assistant's REST and WebSocket APIs and
the simulator's ``/_sim/*`` control endpoints.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_socket  # type: ignore[import-untyped]

from scripts.e2e_support.ha_api import HomeAssistantApi
from scripts.e2e_support.processes import (
    LOOPBACK,
    ManagedProcess,
    ensure_frontend,
    free_port,
    prepare_config_dir,
    start_home_assistant,
    start_simulator,
)

API_KEY = "e2e-key-5f0c1d2e3a4b"
OWNER = {"name": "E2E Owner", "username": "owner", "password": "e2e-password-1"}
# Seconds a single end-to-end test may take at most (the first one includes
# starting Home Assistant): an upper bound for a hung test, far above what a
# busy machine needs.
E2E_TIMEOUT = 300

CONFIGURATION = """\
# Only what the tests use: no default_config, nothing that needs the internet.
homeassistant:
  name: SMM Panel e2e
  time_zone: UTC
  unit_system: metric
  currency: USD
  country: US
  internal_url: http://{host}:{port}
http:
  server_host: {host}
  server_port: {port}
api:
config:
websocket_api:
logger:
  default: warning
  logs:
    # Debug logs of the integration: the test checks the key never shows up.
    custom_components.smm_panel: debug
"""


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``e2e`` marker (select with ``-m e2e``, skip ``-m 'not e2e'``)."""
    config.addinivalue_line(
        "markers", "e2e: end-to-end test running real hass and simulator processes"
    )


@dataclass
class E2EStack:
    """The running processes of one module and what the tests learned so far."""

    root: Path
    hass_port: int
    sim_port: int
    hass: ManagedProcess | None = None
    sim: ManagedProcess | None = None
    token: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def config_dir(self) -> Path:
        """Home Assistant's configuration folder."""
        return self.root / "config"

    @property
    def hass_url(self) -> str:
        """Base URL of Home Assistant."""
        return f"http://{LOOPBACK}:{self.hass_port}"

    @property
    def sim_url(self) -> str:
        """Base URL of the simulator (control endpoints under ``/_sim``)."""
        return f"http://{LOOPBACK}:{self.sim_port}"

    @property
    def api_url(self) -> str:
        """The panel API URL a user enters in the config flow."""
        return f"{self.sim_url}/api/v2"

    @property
    def hass_log(self) -> Path:
        """Home Assistant's console output."""
        return self.root / "hass.log"

    def start_hass(self) -> None:
        """Start Home Assistant on the configuration folder (blocking)."""
        self.hass = start_home_assistant(self.config_dir, self.hass_port, self.hass_log)

    def stop_hass(self) -> int | None:
        """Stop Home Assistant with SIGTERM; return its exit code (blocking)."""
        assert self.hass is not None
        code = self.hass.stop()
        self.hass = None
        return code

    def fact(self, name: str) -> Any:
        """Return what an earlier test recorded, or fail naming what is missing."""
        if name not in self.facts:
            pytest.fail(f"An earlier end-to-end step failed: no {name!r}")
        return self.facts[name]

    def api(self, session: aiohttp.ClientSession) -> HomeAssistantApi:
        """Return a REST client logged in as the owner."""
        return HomeAssistantApi(session, self.hass_url, self.token)

    async def sim_control(
        self, session: aiohttp.ClientSession, method: str, path: str, **json: Any
    ) -> Any:
        """Call a simulator control endpoint, e.g. ``("POST", "advance")``."""
        async with session.request(
            method, f"{self.sim_url}/_sim/{path}", json=json or None
        ) as response:
            response.raise_for_status()
            return await response.json()


async def _onboard(stack: E2EStack) -> str:
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, stack.hass_url)
        token = await api.onboard(**OWNER)
        await api.wait_until_running()
        return token


@pytest.fixture(scope="module")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EStack]:
    """Start the simulator and Home Assistant once for a module; stop both after.

    The owner account is created through onboarding; ``token`` logs in as it.
    """
    # Module fixtures run after the plugin's per-test socket block: lift it
    # (pytest-socket still allows only 127.0.0.1).
    pytest_socket.enable_socket()
    ensure_frontend()
    root = tmp_path_factory.mktemp("e2e")
    stack = E2EStack(root=root, hass_port=free_port(), sim_port=free_port())
    try:
        stack.sim = start_simulator(
            stack.sim_port, root / "simulator.log", key=API_KEY, speed=0
        )
        prepare_config_dir(
            stack.config_dir,
            CONFIGURATION.format(host=LOOPBACK, port=stack.hass_port),
        )
        stack.start_hass()
        stack.token = asyncio.run(_onboard(stack))
        yield stack
    finally:
        if stack.hass is not None:
            stack.hass.stop()
        if stack.sim is not None:
            stack.sim.stop()


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session for one test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the end of Home Assistant's log to a failed end-to-end test."""
    report = yield
    stack = getattr(item, "funcargs", {}).get("e2e_stack")
    if report.failed and isinstance(stack, E2EStack) and stack.hass_log.exists():
        lines = stack.hass_log.read_text("utf-8", errors="replace").splitlines()
        report.sections.append(("Home Assistant log (end)", "\n".join(lines[-80:])))
    return report
