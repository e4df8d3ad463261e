"""The balance in long-term statistics, through a change of currency (issue 14, 5)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import recorder
from homeassistant.components.recorder import statistics
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from simulator import PanelSimulator

from ...conftest import API_KEY
from .conftest import poll, setup_integration


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: recorder.Recorder, enable_custom_integrations: None
) -> None:
    """Set the recorder up before Home Assistant, then load the integration."""


@pytest.mark.usefixtures("balance_every_refresh")
async def test_balance_statistics_and_a_currency_change(
    hass: HomeAssistant,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """5: the balance has statistics; the panel changing currency logs no warning."""
    start = dt_util.parse_datetime("2026-11-27 10:00:00+00:00")
    assert start is not None
    freezer.move_to(start)
    await setup_integration(hass, mock_config_entry)
    balance = "sensor.127_0_0_1_balance"
    assert hass.states.get(balance).attributes["state_class"] == "total"
    freezer.tick(timedelta(minutes=5, seconds=1))
    await poll(hass)
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=start)
    await async_wait_recording_done(hass)
    metadata = await recorder.get_instance(hass).async_add_executor_job(
        partial(statistics.get_metadata, hass, statistic_ids={balance})
    )
    assert metadata[balance][1]["unit_of_measurement"] == "USD"

    panel.add_account(API_KEY, Decimal("92.5"), "EUR")  # the same key, now in EUR
    freezer.tick(timedelta(minutes=5, seconds=1))
    await poll(hass)  # 10:10: the balance is in EUR from now on
    freezer.tick(timedelta(minutes=5, seconds=1))
    await poll(hass)
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=start + timedelta(minutes=10))
    await async_wait_recording_done(hass)

    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "homeassistant.components.sensor.recorder"
        and r.levelno >= logging.WARNING
    ]
    assert warnings == []
    state = hass.states.get(balance)
    assert state.attributes["unit_of_measurement"] == "EUR"
    assert "state_class" not in state.attributes
