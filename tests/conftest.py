"""Fixtures shared by every test: a simulated panel on loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Any

import pytest
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.types import SerializableData

from simulator import PanelSimulator, SimulatorServer

# The key and the timeouts (see tests/loopback.py: no test may depend on how
# fast the machine is). Kept there, free of Home Assistant, for tests/api.
from .loopback import API_KEY, NEVER, PATIENT, SHORT, client_timeout

__all__ = ["API_KEY", "NEVER", "PATIENT", "SHORT", "client_timeout"]


# Snapshot content whose form depends on the Home Assistant version. The one
# place that knows of a difference between the test legs in snapshots, so one
# snapshot holds on every leg:
# - object_id_base, suggested_object_id: registry fields added in 2026.x; left
#   out.
# - aliases: a set of the user's aliases up to 2025.x; since 2026.x a list that
#   also holds a placeholder for the entity's computed name. Snapshots keep
#   the user's aliases (strings), as a set.
# - capabilities and state attributes: since 2026.x some keys are enum members
#   (e.g. EntityStateAttribute.FRIENDLY_NAME); snapshots keep their string
#   values, which are what both versions store and send.
VERSION_SPECIFIC_REGISTRY_FIELDS = ("object_id_base", "suggested_object_id")


def _string_keys(mapping: Any) -> Any:
    """Return the mapping (same type) with its keys as plain strings."""
    if not isinstance(mapping, dict):
        return mapping
    return type(mapping)({str(key): value for key, value in mapping.items()})


class SnapshotSerializer(HomeAssistantSnapshotSerializer):
    """Home Assistant's serializer, made version-independent (see above)."""

    @classmethod
    def _serializable_entity_registry_entry(cls, data: Any) -> SerializableData:
        serialized = super()._serializable_entity_registry_entry(data)
        for name in VERSION_SPECIFIC_REGISTRY_FIELDS:
            serialized.pop(name, None)
        serialized["aliases"] = {
            alias for alias in serialized["aliases"] if isinstance(alias, str)
        }
        serialized["capabilities"] = _string_keys(serialized["capabilities"])
        return serialized

    @classmethod
    def _serializable_state(cls, data: Any) -> SerializableData:
        serialized = super()._serializable_state(data)
        serialized["attributes"] = _string_keys(serialized["attributes"])
        return serialized


class SnapshotExtension(HomeAssistantSnapshotExtension):
    """Home Assistant's snapshot files, with SnapshotSerializer."""

    serializer_class = SnapshotSerializer


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshot with Home Assistant's serializer (stable ids and timestamps)."""
    return snapshot.use_extension(SnapshotExtension)


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
