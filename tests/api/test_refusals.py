"""Panels that refuse with HTTP 4xx and JSON, spell `Cancelled`, format numbers
as PHP's number_format does ("1,250.50000") (issue 20 item 3).

The samples are in tests/fixtures/protocol/http (a whole HTTP reply: status,
headers and body, byte for byte) and tests/fixtures/protocol/dialects.
"""

from __future__ import annotations

from decimal import Decimal
import json
from typing import Any

import aiohttp
import pytest

from custom_components.smm_panel.api import (
    OrderRequest,
    OrderState,
    SmmPanelClient,
    SmmPanelError,
    SmmPanelInsufficientFundsError,
    SmmPanelOrderStateUnknownError,
    SmmPanelRateLimitError,
    SmmPanelRequestError,
)
from tests.loopback import API_KEY
from tests.protocol_samples import sample, sample_names, sample_text

from .conftest import FixedPanel

EXPECTED: dict[str, type[SmmPanelError]] = {
    "http/missing_parameters_400": SmmPanelRequestError,
    "http/not_enough_funds_402": SmmPanelInsufficientFundsError,
    "http/incorrect_link_403": SmmPanelRequestError,
    "http/incorrect_service_404": SmmPanelRequestError,
    "http/rate_limit_429": SmmPanelRateLimitError,
}


def serve(fixed_panel: FixedPanel, name: str) -> dict[str, Any]:
    """Answer every request with the HTTP reply of a sample; return the sample."""
    reply = sample(name)
    fixed_panel.reply(
        raw=reply["body"], status=reply["status"], headers=reply["headers"]
    )
    return reply


def test_every_http_sample_is_covered() -> None:
    """A new sample in tests/fixtures/protocol/http needs its expected exception."""
    assert sample_names("http") == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_refusal_with_a_4xx_status_is_a_refusal(
    fixed_panel: FixedPanel, session: aiohttp.ClientSession, name: str
) -> None:
    """Each 4xx refusal raises its exception with the panel's words, for reads and
    for `add`; an `add` refused so placed nothing (never "state unknown") and is
    sent once."""
    reply = serve(fixed_panel, name)
    expected = EXPECTED[name]
    words = json.loads(reply["body"])["error"]
    client = SmmPanelClient(session, API_KEY, fixed_panel.url, retries=0)

    with pytest.raises(expected) as read:
        await client.async_get_balance()
    placing = SmmPanelClient(session, API_KEY, fixed_panel.url, retries=0)
    with pytest.raises(expected) as placed:
        await placing.async_add_order(
            OrderRequest(service=1, link="https://x.com/p/1", quantity=100)
        )

    assert not isinstance(placed.value, SmmPanelOrderStateUnknownError)
    assert fixed_panel.count("add") == 1
    if expected is SmmPanelRateLimitError:
        assert isinstance(read.value, SmmPanelRateLimitError)
        assert read.value.retry_after == 30
    else:
        assert words in str(read.value)
        assert words in str(placed.value)


async def test_cancelled_and_php_number_format_in_a_status(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """`Cancelled` is canceled; a charge of "1,250.50000" is 1250.5."""
    fixed_panel.reply(raw=sample_text("dialects/status_php_number_format"))

    status = await fixed_client.async_get_order_status(7)

    assert status.state is OrderState.CANCELED
    assert status.raw_status == "Cancelled"
    assert status.charge == Decimal("1250.50000")
    assert status.remains == 157


async def test_php_number_format_in_a_balance(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """A balance of "1,250.50000" is 1250.5, exactly."""
    fixed_panel.reply(raw=sample_text("dialects/balance_php_number_format"))

    balance = await fixed_client.async_get_balance()

    assert balance.amount == Decimal("1250.50000")
    assert balance.currency == "USD"


@pytest.mark.parametrize("charge", ["1,250", "12,50", "1,25.000", "1.250,50"])
async def test_ambiguous_grouped_charge_is_not_guessed(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, charge: str
) -> None:
    """A comma that may be a decimal comma is never read as thousands."""
    fixed_panel.reply({"status": "Completed", "charge": charge})

    status = await fixed_client.async_get_order_status(7)

    assert status.charge is None
