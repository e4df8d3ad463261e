"""Fixtures shared by every test: a simulated panel on loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal

import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from simulator import PanelSimulator, SimulatorServer

API_KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshot with Home Assistant's serializer (stable ids and timestamps)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def panel() -> PanelSimulator:
    """Return a simulated panel with one account holding 100 USD."""
    return PanelSimulator(api_key=API_KEY, balance=Decimal("100.00"), currency="USD")


@pytest.fixture
async def panel_url(panel: PanelSimulator, socket_enabled: None) -> AsyncGenerator[str]:
    """Serve the simulated panel on a free loopback port; yield its API URL.

    Sockets are allowed for this (pytest-socket still limits them to 127.0.0.1).
    """
    server = SimulatorServer(panel, host="127.0.0.1", port=0)
    url = await server.start()
    yield url
    await server.stop()
