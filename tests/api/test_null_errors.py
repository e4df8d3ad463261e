"""An `error` key that holds no text is no error (issue 17, item 2, client side).

Panels send `"error": null` (or "", false, 0) next to a good result. Treating
that as a refusal lost a paid order and left a finished order polled forever.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from custom_components.smm_panel.api import (
    ItemError,
    OrderRequest,
    OrderState,
    OrderStatus,
    RefillStatus,
    SmmPanelClient,
    SmmPanelRequestError,
)
from tests.loopback import API_KEY

from .conftest import FixedPanel

ADD = OrderRequest(service=1, link="https://instagram.com/p/abc", quantity=100)
NO_ERRORS: list[Any] = [None, "", "  ", False, 0]


@pytest.mark.parametrize("error", NO_ERRORS)
async def test_add_with_an_empty_error_is_placed(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, error: Any
) -> None:
    """`{"order": 23501, "error": null}` is a placed order, not a refusal."""
    fixed_panel.reply({"order": 23501, "error": error})
    assert await fixed_client.async_add_order(ADD) == 23501


async def test_add_with_an_id_and_an_error_text_is_placed(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A usable order id wins over an error text, which is logged (redacted)."""
    fixed_panel.reply({"order": 23501, "error": f"Slow down, key={API_KEY}"})
    with caplog.at_level(logging.DEBUG):
        assert await fixed_client.async_add_order(ADD) == 23501
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings
    assert "23501" in caplog.text
    assert API_KEY not in caplog.text
    assert API_KEY[:-1] not in caplog.text


async def test_add_refusal_with_an_error_text_is_still_a_refusal(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Without an order id, an error text stays a refusal."""
    fixed_panel.reply({"error": "Incorrect link"})
    with pytest.raises(SmmPanelRequestError, match="Incorrect link"):
        await fixed_client.async_add_order(ADD)


@pytest.mark.parametrize("error", NO_ERRORS)
async def test_status_with_an_empty_error(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, error: Any
) -> None:
    """A single status reply with `"error": null` is a status."""
    fixed_panel.reply(
        {
            "charge": "0.27",
            "start_count": "3",
            "status": "Completed",
            "remains": "0",
            "currency": "USD",
            "error": error,
        }
    )
    status = await fixed_client.async_get_order_status(7)
    assert status.state is OrderState.COMPLETED


@pytest.mark.parametrize("error", NO_ERRORS)
async def test_bulk_status_item_with_an_empty_error(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, error: Any
) -> None:
    """A bulk status item with `"error": null` is a status, not an ItemError."""
    fixed_panel.reply(
        {
            "1": {
                "charge": "0.27",
                "status": "Completed",
                "remains": "0",
                "error": error,
            },
            "2": {"error": "Incorrect order ID"},
        }
    )
    result = await fixed_client.async_get_orders_status([1, 2])
    assert isinstance(result[1], OrderStatus)
    assert result[1].state is OrderState.COMPLETED
    assert result[2] == ItemError("Incorrect order ID")


@pytest.mark.parametrize("error", NO_ERRORS)
async def test_bulk_refill_cancel_items_with_an_empty_error(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, error: Any
) -> None:
    """Refill, refill status and cancel items with `"error": null` succeed."""
    fixed_panel.queue([{"order": 1, "refill": 11, "error": error}])
    assert await fixed_client.async_refill_orders([1]) == {1: 11}
    fixed_panel.queue([{"refill": 11, "status": "Completed", "error": error}])
    refills = await fixed_client.async_get_refills_status([11])
    assert isinstance(refills[11], RefillStatus)
    fixed_panel.queue([{"order": 1, "cancel": 1, "error": error}])
    cancels = await fixed_client.async_cancel_orders([1])
    assert not isinstance(cancels[1], ItemError)
