"""The API key never shows: not in logs (even DEBUG), repr or exception text."""

from __future__ import annotations

from collections.abc import Awaitable
import logging
import traceback
from typing import Any

import pytest

from custom_components.smm_panel.api import (
    ItemError,
    OrderRequest,
    RefillStatus,
    SmmPanelAuthenticationError,
    SmmPanelClient,
    SmmPanelConnectionError,
    SmmPanelError,
    SmmPanelRequestError,
)
from simulator import FAULT_KINDS, Fault, PanelSimulator
from tests.loopback import API_KEY, NEVER, SHORT

from .conftest import ClientFactory, FixedPanel

REDACTED = "**REDACTED**"


def _assert_no_key(text: str) -> None:
    assert API_KEY not in text


def _assert_error_clean(err: BaseException) -> None:
    """Neither the message, the args nor the whole chained traceback hold the key."""
    _assert_no_key(str(err))
    _assert_no_key(repr(err))
    _assert_no_key(repr(err.args))
    _assert_no_key("".join(traceback.format_exception(err)))


async def _call(outcomes: list[Any], call: Awaitable[Any]) -> Any:
    """Await a call; collect its result or the client error it raises."""
    try:
        result = await call
    except SmmPanelError as err:
        outcomes.append(err)
        return None
    outcomes.append(result)
    return result


async def _every_action(
    client: SmmPanelClient, panel: PanelSimulator, outcomes: list[Any]
) -> None:
    """One call of every action and form (single and bulk)."""
    await _call(outcomes, client.async_get_balance())
    await _call(outcomes, client.async_get_catalogue())
    order = await _call(
        outcomes,
        client.async_add_order(
            OrderRequest(service=1, link="https://instagram.com/p/k", quantity=100)
        ),
    )
    if order in panel.orders:
        panel.set_order_status(order, "Completed")  # so that it can be refilled
    await _call(outcomes, client.async_get_order_status(order or 1))
    await _call(outcomes, client.async_get_orders_status([order or 1, 10]))
    refill = await _call(outcomes, client.async_refill(order or 1))
    await _call(outcomes, client.async_refill_orders([order or 1, 3]))
    await _call(outcomes, client.async_get_refill_status(refill or 1001))
    await _call(outcomes, client.async_get_refills_status([refill or 1001, 3]))
    await _call(outcomes, client.async_cancel_orders([order or 1, 9]))


async def test_key_never_logged(
    caplog: pytest.LogCaptureFixture,
    make_client: ClientFactory,
    panel: PanelSimulator,
) -> None:
    """A full round of every action, healthy then under every fault, logs no key."""
    caplog.set_level(logging.DEBUG)
    client = make_client(retries=1)
    outcomes: list[Any] = []

    await _every_action(client, panel, outcomes)  # healthy
    for kind in sorted(FAULT_KINDS - {"key_revoked", "latency", "timeout"}):
        panel.faults.add(Fault(kind, times=None))
        await _every_action(client, panel, outcomes)
        panel.faults.clear()
    # A panel that never answers costs a (short) client timeout each: one read
    # and the add are enough.
    panel.faults.add(Fault("latency", times=None, delay=0.02))
    panel.faults.add(Fault("timeout", action="balance", times=None, delay=NEVER))
    panel.faults.add(Fault("timeout", action="add", delay=NEVER))
    await _every_action(make_client(timeout=SHORT, retries=1), panel, outcomes)
    panel.faults.clear()
    panel.faults.add(Fault("error", message=f"Key {API_KEY} is not allowed"))
    panel.faults.add(Fault("key_revoked"))
    await _every_action(client, panel, outcomes)

    # The round did go through the interesting paths, with debug records.
    errors = [item for item in outcomes if isinstance(item, SmmPanelError)]
    assert any(isinstance(item, RefillStatus) for item in outcomes)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert "retry 1" in caplog.text
    assert {type(err).__name__ for err in errors} >= {
        "SmmPanelTimeoutError",
        "SmmPanelConnectionError",
        "SmmPanelInvalidResponseError",
        "SmmPanelRateLimitError",
        "SmmPanelRequestError",
        "SmmPanelAuthenticationError",
        "SmmPanelOrderStateUnknownError",
    }
    _assert_no_key(caplog.text)
    for record in caplog.records:
        _assert_no_key(record.getMessage())
        _assert_no_key(repr(record.args))
    for err in errors:
        _assert_error_clean(err)
    _assert_no_key(repr(outcomes))
    _assert_no_key(repr(panel.requests))  # the simulator's log is redacted too


def test_key_not_in_repr(client: SmmPanelClient) -> None:
    """The client's repr names the panel, not the key."""
    _assert_no_key(repr(client))
    _assert_no_key(str(client))


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (f"Invalid API key: {API_KEY}", SmmPanelAuthenticationError),
        (f"Incorrect request (key={API_KEY}, action=balance)", SmmPanelRequestError),
    ],
)
async def test_echoed_key_redacted(
    caplog: pytest.LogCaptureFixture,
    client: SmmPanelClient,
    panel: PanelSimulator,
    message: str,
    error: type[SmmPanelError],
) -> None:
    """A panel message that echoes the key is redacted before anyone sees it."""
    caplog.set_level(logging.DEBUG)
    panel.faults.add(Fault("error", message=message))
    with pytest.raises(error) as exc_info:
        await client.async_get_balance()
    assert REDACTED in str(exc_info.value)
    _assert_error_clean(exc_info.value)
    if isinstance(exc_info.value, SmmPanelRequestError):
        _assert_no_key(exc_info.value.message)
    _assert_no_key(caplog.text)


async def test_echoed_key_redacted_on_5xx(
    caplog: pytest.LogCaptureFixture,
    make_client: ClientFactory,
    fixed_panel: FixedPanel,
) -> None:
    """An HTTP 503 whose error text holds the key: redacted.

    A 5xx is the server's trouble, not the panel's refusal (issue 9, item 12): a
    connection error, retried for reads.
    """
    caplog.set_level(logging.DEBUG)
    client = make_client(fixed_panel.url, retries=1)
    fixed_panel.reply({"error": f"Bad key {API_KEY}"}, status=503)
    with pytest.raises(SmmPanelConnectionError) as exc_info:
        await client.async_get_balance()
    assert str(exc_info.value) == f"The panel answered HTTP 503: Bad key {REDACTED}"
    assert fixed_panel.count("balance") == 2
    _assert_error_clean(exc_info.value)
    _assert_no_key(caplog.text)


async def test_echoed_key_redacted_in_item_errors(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Per-item errors of bulk replies are redacted as well."""
    fixed_panel.reply({"1": {"error": f"Order 1 is not yours ({API_KEY})"}})
    result = await fixed_client.async_get_orders_status([1])
    assert result == {1: ItemError(f"Order 1 is not yours ({REDACTED})")}
    fixed_panel.reply([{"order": 2, "cancel": API_KEY}])
    result_cancel = await fixed_client.async_cancel_orders([2])
    assert result_cancel == {2: ItemError(f"Unexpected cancel reply: '{REDACTED}'")}
