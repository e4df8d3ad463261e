"""The shipped blueprints load with Home Assistant's schema and do their job."""

from __future__ import annotations

from pathlib import Path
import shutil

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import models
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

BLUEPRINTS = Path(__file__).parents[3] / "blueprints"


@pytest.mark.parametrize("name", ["low_balance.yaml", "order_finished.yaml"])
def test_blueprint_schema(name: str) -> None:
    """Each blueprint is a valid automation blueprint."""
    path = BLUEPRINTS / "automation" / "smm_panel" / name
    blueprint = models.Blueprint(
        load_yaml_dict(str(path)),
        path=str(path),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.domain == "automation"
    assert blueprint.metadata["source_url"].endswith(name)


async def use_blueprint(
    hass: HomeAssistant, tmp_path: Path, name: str, inputs: dict[str, object]
) -> None:
    """Set up one automation from a shipped blueprint."""
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints")
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": f"smm_panel/{name}",
                    "input": inputs,
                }
            }
        },
    )
    await hass.async_block_till_done()


async def test_order_finished_notifies(hass: HomeAssistant, tmp_path: Path) -> None:
    """A final status sends one notification; a progress update sends none."""
    calls = async_mock_service(hass, "notify", "phone")
    await use_blueprint(
        hass,
        tmp_path,
        "order_finished.yaml",
        {"notify_action": "notify.phone", "statuses": ["completed"]},
    )
    event = {
        "config_entry_id": "abc",
        "order_id": 23501,
        "previous_status": "pending",
        "status": "in_progress",
        "remains": 500,
        "charge": 0.9,
        "currency": "USD",
    }
    hass.bus.async_fire("smm_panel_order_updated", event)
    await hass.async_block_till_done()
    assert calls == []

    hass.bus.async_fire(
        "smm_panel_order_updated",
        event | {"previous_status": "in_progress", "status": "completed", "remains": 0},
    )
    await hass.async_block_till_done()
    assert len(calls) == 1
    assert calls[0].data["title"] == "SMM order 23501 completed"
    assert "from in_progress to completed" in calls[0].data["message"]
    assert "0.9 USD" in calls[0].data["message"]


async def test_low_balance_notifies(hass: HomeAssistant, tmp_path: Path) -> None:
    """The low-balance sensor turning on sends the balance and the threshold."""
    calls = async_mock_service(hass, "notify", "phone")
    hass.states.async_set("binary_sensor.panel_low_balance", "off", {"threshold": 5.0})
    hass.states.async_set("sensor.panel_balance", "4.2", {"unit_of_measurement": "USD"})
    await use_blueprint(
        hass,
        tmp_path,
        "low_balance.yaml",
        {
            "low_balance_sensor": "binary_sensor.panel_low_balance",
            "balance_sensor": "sensor.panel_balance",
            "notify_action": "notify.phone",
        },
    )
    hass.states.async_set("binary_sensor.panel_low_balance", "on", {"threshold": 5.0})
    await hass.async_block_till_done()

    assert len(calls) == 1
    assert calls[0].data["title"] == "SMM panel balance is low"
    assert "Balance is 4.2 USD, below 5.0" in calls[0].data["message"]


def test_catalogue_blueprint_schema() -> None:
    """The catalogue blueprint is a valid automation blueprint."""
    test_blueprint_schema("catalogue_changed.yaml")


async def test_catalogue_changed_notifies_for_watched_services(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A change to a watched service notifies; other services' changes do not."""
    calls = async_mock_service(hass, "notify", "phone")
    await use_blueprint(
        hass,
        tmp_path,
        "catalogue_changed.yaml",
        {"notify_action": "notify.phone", "service_ids": [1, 7]},
    )
    unrelated = {
        "config_entry_id": "abc",
        "added": [],
        "removed": [{"service": 3, "name": "Views"}],
        "changed": [{"service": 2, "name": "Likes", "rate": {"old": 1, "new": 2}}],
    }
    hass.bus.async_fire("smm_panel_catalogue_changed", unrelated)
    await hass.async_block_till_done()
    assert calls == []

    hass.bus.async_fire(
        "smm_panel_catalogue_changed",
        unrelated
        | {
            "changed": [
                {"service": 1, "name": "Followers", "rate": {"old": 0.9, "new": 1.1}}
            ],
            "removed": [{"service": 7, "name": "Comments"}],
        },
    )
    await hass.async_block_till_done()
    assert len(calls) == 1
    message = calls[0].data["message"]
    assert "Service 1 (Followers): rate 0.9 → 1.1" in message
    assert "Service 7 (Comments) was removed" in message
    assert "Likes" not in message


async def test_catalogue_changed_tells_of_a_change_too_large_to_list(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A cut list may hide a watched service: the totals are told instead."""
    calls = async_mock_service(hass, "notify", "phone")
    await use_blueprint(
        hass,
        tmp_path,
        "catalogue_changed.yaml",
        {"notify_action": "notify.phone", "service_ids": [150_000]},
    )
    hass.bus.async_fire(
        "smm_panel_catalogue_changed",
        {
            "config_entry_id": "abc",
            "added": [],
            "removed": [],
            "changed": [
                {"service": i, "name": f"S{i}", "rate": {"old": 1, "new": 2}}
                for i in range(1, 101)
            ],
            "totals": {"added": 0, "removed": 0, "changed": 150_000},
            "truncated": True,
        },
    )
    await hass.async_block_till_done()

    assert len(calls) == 1
    message = " ".join(calls[0].data["message"].split())
    assert "The panel changed 150000 services and removed 0 at once" in message
    assert "S1" not in message
