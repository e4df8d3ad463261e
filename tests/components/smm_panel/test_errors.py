"""The one table from the client's exceptions to what Home Assistant shows."""

from __future__ import annotations

import inspect
import json
import logging
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.smm_panel import api
from custom_components.smm_panel.api import (
    SmmPanelConnectionError,
    SmmPanelError,
    SmmPanelInsufficientFundsError,
    SmmPanelRateLimitError,
    SmmPanelRedirectError,
    SmmPanelRequestError,
)
from custom_components.smm_panel.const import DOMAIN
from custom_components.smm_panel.errors import ERROR_TABLE, action_error, error_row
from simulator import PanelSimulator
from simulator.models import Response

from .conftest import call_action
from .test_safety import answer, order_issues

LINK = "https://instagram.com/p/refused"

TRANSLATIONS = Path(__file__).parents[3] / "custom_components/smm_panel/translations"
EXCEPTION_CLASSES = sorted(
    (
        cls
        for _, cls in inspect.getmembers(api, inspect.isclass)
        if issubclass(cls, SmmPanelError)
    ),
    key=lambda cls: cls.__name__,
)


def test_every_client_exception_has_its_own_row() -> None:
    """A new exception class in the client must be given a row."""
    assert len(EXCEPTION_CLASSES) >= 9
    rows = {row.exception for row in ERROR_TABLE}
    assert set(EXCEPTION_CLASSES) <= rows, "client exceptions without a row"


def test_rows_go_from_specific_to_general() -> None:
    """No row is hidden behind a row of one of its base classes."""
    for index, row in enumerate(ERROR_TABLE):
        for earlier in ERROR_TABLE[:index]:
            assert not issubclass(row.exception, earlier.exception), row


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_row_is_translated(language: str) -> None:
    """Each row's action error and form error has a text, with its placeholders."""
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    for row in ERROR_TABLE:
        assert row.key in strings["exceptions"], row
        assert row.form_error in strings["config"]["error"], row


@pytest.mark.parametrize(
    ("err", "key", "placeholders"),
    [
        (SmmPanelRequestError("Incorrect request"), "panel_rejected",
         {"message": "Incorrect request"}),
        (SmmPanelRateLimitError(retry_after=12.2), "rate_limited",
         {"retry_after": "13"}),
        (SmmPanelRateLimitError(), "rate_limited", {"retry_after": "60"}),
        (SmmPanelRedirectError("https://elsewhere.example/", 307),
         "panel_redirected", {"location": "https://elsewhere.example/"}),
    ],
)  # fmt: skip
def test_action_error_carries_key_and_placeholders(
    err: SmmPanelError, key: str, placeholders: dict[str, str]
) -> None:
    """The translated error of an action names the row's key and placeholders."""
    error = action_error(err)
    assert (error.translation_key, error.translation_placeholders) == (
        key,
        placeholders,
    )
    assert error_row(err).key == key


# --- a panel's refusal is the caller's input, not a fault (issue 20 item 2) ----

REFUSALS = [
    pytest.param(400, "Missing required parameters", "panel_rejected", id="400"),
    pytest.param(200, "Incorrect link", "panel_rejected", id="link"),
    pytest.param(200, "Quantity less than minimal 50", "panel_rejected", id="quantity"),
    pytest.param(
        402, "Not enough funds on balance", "panel_insufficient_funds", id="funds"
    ),
    pytest.param(
        200,
        "You have active order with this link. Please wait until order being "
        "completed.",
        "panel_rejected",
        id="active",
    ),
    pytest.param(403, "neworder.error.link_duplicate", "panel_rejected", id="403"),
]


def _refuse_add(
    monkeypatch: pytest.MonkeyPatch, panel: PanelSimulator, status: int, text: str
) -> None:
    answer(
        monkeypatch,
        panel,
        lambda form: Response(status, json.dumps({"error": text}))
        if form.get("action") == "add"
        else None,
    )


async def _call_over_websocket(
    hass_ws_client: WebSocketGenerator, service: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Call an action as the frontend does; return the error it answers."""
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": service,
            "service_data": data,
            "return_response": True,
        }
    )
    reply = await client.receive_json()
    assert reply["success"] is False
    return reply["error"]


def _tracebacks_at_error(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR
        and (record.exc_info or "Unexpected exception" in record.getMessage())
    ]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(("status", "text", "key"), REFUSALS)
async def test_panel_refusal_over_websocket_is_a_validation_error(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    caplog: pytest.LogCaptureFixture,
    status: int,
    text: str,
    key: str,
) -> None:
    """20.2: the panel's words, translated; no "Unexpected exception" traceback."""
    _refuse_add(monkeypatch, panel, status, text)

    error = await _call_over_websocket(
        hass_ws_client, "add_order", {"service": 1, "link": LINK, "quantity": 100}
    )

    assert error["code"] == "service_validation_error"
    assert error["translation_key"] == key
    assert text in error["message"]
    assert not _tracebacks_at_error(caplog)
    assert not order_issues(hass)  # a refusal placed nothing


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(("status", "text", "key"), REFUSALS)
async def test_panel_refusal_raises_service_validation_error(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    status: int,
    text: str,
    key: str,
) -> None:
    """20.2: through a script or automation, the same translated refusal."""
    _refuse_add(monkeypatch, panel, status, text)

    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "add_order", service=1, link=LINK, quantity=100)

    assert err.value.translation_key == key
    assert err.value.translation_placeholders == {"message": text}
    assert text in str(err.value)


@pytest.mark.usefixtures("loaded_entry")
async def test_bulk_refusal_is_a_validation_error(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, panel: PanelSimulator
) -> None:
    """20.2: a refill or cancel the panel refuses as a whole ("Incorrect request")."""
    answer(
        monkeypatch,
        panel,
        lambda form: Response(400, '{"error": "Incorrect request"}')
        if form.get("action") in ("refill", "cancel")
        else None,
    )

    for action in ("refill", "cancel"):
        with pytest.raises(ServiceValidationError) as err:
            await call_action(hass, action, orders="1 2")
        assert err.value.translation_placeholders == {"message": "Incorrect request"}


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("status", "body", "key"),
    [
        (502, '{"error": "Bad gateway"}', "order_state_unknown"),
        (200, "<html>Cloudflare</html>", "order_state_unknown"),
        (401, '{"error": "Invalid API key"}', "invalid_auth"),
    ],
    ids=["5xx", "garbled", "auth"],
)
async def test_panel_faults_stay_home_assistant_errors(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    monkeypatch: pytest.MonkeyPatch,
    panel: PanelSimulator,
    status: int,
    body: str,
    key: str,
) -> None:
    """20.2: unknown states and the panel's own faults are not the caller's input."""
    answer(
        monkeypatch,
        panel,
        lambda form: Response(status, body) if form.get("action") == "add" else None,
    )

    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, "add_order", service=1, link=LINK, quantity=100)

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == key


def test_refusals_are_validation_errors_in_the_table() -> None:
    """20.2: the rows of the panel's refusals, and only those, are the caller's."""
    refusals = {row.exception for row in ERROR_TABLE if row.refusal}
    assert refusals == {SmmPanelRequestError, SmmPanelInsufficientFundsError}
    assert isinstance(
        action_error(SmmPanelRequestError("Incorrect link")), ServiceValidationError
    )
    assert not isinstance(
        action_error(SmmPanelConnectionError("reset")), ServiceValidationError
    )
