"""Diagnostics: what a user can attach to a bug report, without the API key."""

from __future__ import annotations

import json

from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.smm_panel.config_flow import account_unique_id
from custom_components.smm_panel.const import CONF_API_URL, DOMAIN
from custom_components.smm_panel.tracking import TrackedOrder
from simulator import PanelSimulator

from ...conftest import API_KEY
from .conftest import setup_integration


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    panel: PanelSimulator,
    panel_url: str,
    mock_config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The entry, balance and tracked orders and refills, with the key redacted."""
    running = panel.create_order(1, 1000, link="https://instagram.com/p/running")
    done = panel.create_order(
        1, 500, link="https://instagram.com/p/done", status="Completed"
    )
    panel.advance(120)  # the first order is now in progress
    await setup_integration(hass, mock_config_entry)
    coordinator = mock_config_entry.runtime_data
    await coordinator.async_track(
        [
            TrackedOrder(
                order_id=order.order_id,
                service_id=1,
                service_name="Followers",
                link=order.link,
                quantity=order.quantity,
            )
            for order in (running, done)
        ]
    )
    refill_id = await coordinator.client.async_refill(done.order_id)
    await coordinator.async_track_refills({refill_id: done.order_id})
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )

    # Times and the panel's URL (a random test port) vary from run to run:
    # checked here, left out of the snapshot.
    assert diagnostics["entry"]["data"][CONF_API_URL] == panel_url
    running_diag, done_diag = diagnostics["tracked_orders"]
    assert running_diag["finished_at"] is None
    assert dt_util.parse_datetime(done_diag["finished_at"]) is not None
    assert dt_util.parse_datetime(diagnostics["next_refresh"]["at"]) is not None
    assert diagnostics == snapshot(
        exclude=props("created_at", "modified_at", "finished_at", "at", CONF_API_URL)
    )
    assert API_KEY not in json.dumps(diagnostics)


async def test_diagnostics_redact_secrets_in_the_url(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    panel: PanelSimulator,
    panel_url: str,
) -> None:
    """A user name, password or query value in the API URL is redacted."""
    secret_url = panel_url.replace("http://", "http://reseller:pa55word@") + (
        "?key=s3cr3t-query&lang=en"
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        unique_id=account_unique_id(secret_url, API_KEY),
        data={CONF_API_URL: secret_url, CONF_API_KEY: API_KEY},
    )
    await setup_integration(hass, entry)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(diagnostics)
    for secret in ("reseller", "pa55word", "s3cr3t-query", API_KEY):
        assert secret not in text
    port = panel_url.split(":")[2].split("/")[0]
    assert diagnostics["entry"]["data"][CONF_API_URL] == (
        f"http://**REDACTED**@127.0.0.1:{port}/api/v2"
        "?key=**REDACTED**&lang=**REDACTED**"
    )
    assert diagnostics["entry"]["title"] == "127.0.0.1"
