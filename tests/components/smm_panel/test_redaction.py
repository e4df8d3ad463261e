"""No part of the key reaches Home Assistant from a panel's texts (issue 17, item 4).

A panel that echoes the request puts the key in a status text, a currency, a
service name or an error. Whatever it echoes, the key is absent from state
attributes (the recorder), events, diagnostics, `.storage`, the balance
sensor's unit and the log.
"""

from __future__ import annotations

from dataclasses import replace
import json
import logging
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smm_panel.const import DOMAIN, EVENT_ORDER_UPDATED
from simulator import PanelSimulator
from simulator.models import Response

from ...conftest import API_KEY
from .conftest import ORDER_SENSOR, call_action, poll, setup_integration
from .test_safety import answer

BALANCE = "sensor.127_0_0_1_balance"
LINK = "https://instagram.com/p/echo"
MIN_FRAGMENT = 6


def fragments(text: str) -> list[str]:
    """Return the runs of MIN_FRAGMENT characters of the key found in `text`."""
    return [
        API_KEY[i : i + MIN_FRAGMENT]
        for i in range(len(API_KEY) - MIN_FRAGMENT + 1)
        if API_KEY[i : i + MIN_FRAGMENT] in text
    ]


def everything_shown(hass: HomeAssistant, hass_storage: dict[str, Any]) -> str:
    """Return every state, attribute and record of the integration as one text.

    Not core.config_entries: the entry's data holds the key, as it must.
    """
    states = [
        {"entity_id": s.entity_id, "state": s.state, **s.attributes}
        for s in hass.states.async_all()
    ]
    stored = {k: v for k, v in hass_storage.items() if k.startswith(DOMAIN)}
    assert stored
    return json.dumps([states, stored], default=str)


@pytest.fixture
def panel(panel: PanelSimulator) -> PanelSimulator:
    """The simulated panel, its Followers service named with the key in it."""
    followers = panel.services[1]
    panel.services[1] = replace(followers, name=f"Followers (key={API_KEY})")
    return panel


async def test_key_echoed_in_texts_is_nowhere_in_home_assistant(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """4: status text, order currency, service name and a cut error text."""
    caplog.set_level(logging.DEBUG)
    await setup_integration(hass, mock_config_entry)
    events = async_capture_events(hass, EVENT_ORDER_UPDATED)
    placed = (await call_action(hass, "add_order", service=1, link=LINK, quantity=100))[
        "order"
    ]
    echo = f"Processing (key={API_KEY}, action=status)"
    cut_echo = "x" * 490 + API_KEY  # a long error text, the key at its cut
    answer(
        monkeypatch,
        panel,
        lambda form: Response(
            200,
            json.dumps(
                {
                    str(placed): {
                        "status": echo,
                        "charge": "0.09",
                        "remains": "100",
                        "start_count": "10",
                        "currency": API_KEY,
                    },
                    "99": {"error": cut_echo},
                }
            ),
        )
        if form.get("action") == "status"
        else None,
    )
    await poll(hass)
    status = await call_action(hass, "order_status", orders=f"{placed} 99")

    order = hass.states.get(ORDER_SENSOR.format(placed))
    assert (
        order.attributes["raw_status"] == "Processing (key=**REDACTED**, action=status)"
    )
    assert order.attributes["service_name"] == "Followers (key=**REDACTED**)"
    assert order.attributes["currency"] != API_KEY
    assert events  # the status changed: an event was fired, and checked below
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )
    await hass.async_stop(force=True)  # the final save writes .storage
    shown = [
        everything_shown(hass, hass_storage),
        json.dumps([e.data for e in events], default=str),
        json.dumps(diagnostics, default=str),
        json.dumps(status, default=str),
        caplog.text,
    ]
    assert not [fragments(text) for text in shown if fragments(text)]
    assert hass.states.get(BALANCE).attributes["unit_of_measurement"] == "USD"


@pytest.mark.usefixtures("balance_every_refresh")
@pytest.mark.parametrize(
    "currency", [API_KEY, f"USD ({API_KEY})", "DOLLARSUS", "12", "U S D"]
)
async def test_balance_currency_that_is_not_a_code_is_unusable(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    currency: str,
) -> None:
    """4: never the balance sensor's unit: the balance is unusable, as when garbled."""
    await setup_integration(hass, mock_config_entry)
    assert hass.states.get(BALANCE).attributes["unit_of_measurement"] == "USD"
    answer(
        monkeypatch,
        panel,
        lambda form: Response(
            200, json.dumps({"balance": "12.50", "currency": currency})
        )
        if form.get("action") == "balance"
        else None,
    )

    await poll(hass)

    balance = hass.states.get(BALANCE)
    assert balance.state == STATE_UNAVAILABLE
    assert balance.attributes.get("unit_of_measurement") in (None, "USD")
    assert "no usable currency" in caplog.text
    assert not fragments(caplog.text)
    assert not fragments(json.dumps(dict(balance.attributes)))
