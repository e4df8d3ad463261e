"""Entities are functions of one immutable snapshot: `coordinator.data`."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from decimal import Decimal
from types import MappingProxyType

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smm_panel.api import Balance, OrderState
from custom_components.smm_panel.tracking import TrackedOrder
from simulator import PanelSimulator

from .conftest import call_action, setup_integration

PREFIX = "127_0_0_1"


async def test_every_entity_shows_the_snapshot(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A new snapshot, and nothing else, changes what every entity shows."""
    await setup_integration(hass, mock_config_entry)
    coordinator = mock_config_entry.runtime_data
    order = TrackedOrder(
        777,
        service_name="Followers",
        quantity=100,
        remains=40,
        state=OrderState.IN_PROGRESS,
        raw_status="In progress",
    )

    coordinator.async_set_updated_data(
        replace(
            coordinator.data,
            balance=Balance(Decimal("3.21"), "EUR"),
            orders=MappingProxyType({777: order}),
            low_balance_threshold=Decimal("5"),
        )
    )
    await hass.async_block_till_done()

    balance = hass.states.get(f"sensor.{PREFIX}_balance")
    assert (float(balance.state), balance.attributes["unit_of_measurement"]) == (
        3.21,
        "EUR",
    )
    assert hass.states.get(f"binary_sensor.{PREFIX}_low_balance").state == "on"
    assert hass.states.get(f"sensor.{PREFIX}_active_orders").state == "1"
    order_state = hass.states.get(f"sensor.{PREFIX}_order_777")
    assert order_state.state == "in_progress"
    assert order_state.attributes["progress"] == 60.0


async def test_snapshot_is_immutable_and_tracking_makes_a_new_one(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, panel: PanelSimulator
) -> None:
    """Actions do not edit the snapshot entities read: they publish a new one."""
    await setup_integration(hass, mock_config_entry)
    coordinator = mock_config_entry.runtime_data
    before = coordinator.data
    with pytest.raises(FrozenInstanceError):
        before.balance = Balance(Decimal(0), "USD")  # type: ignore[misc]
    with pytest.raises(TypeError):
        before.orders[1] = TrackedOrder(1)  # type: ignore[index]

    placed = panel.create_order(1, 1000)
    await call_action(hass, "track_orders", orders=[placed.order_id])

    assert coordinator.data is not before
    assert placed.order_id not in before.orders
    assert placed.order_id in coordinator.data.orders
    assert coordinator.data.order_changes == ()
