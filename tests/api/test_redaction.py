"""A key echoed by a panel never survives, whole or in part (issue 17, items 3 and 4).

The key is replaced in every text of a reply before any field is read or cut
short, so a cut cannot leave part of it; texts that are shown (errors,
statuses, currencies) also lose a fragment of the key that the panel left
(its own cut). A currency is a short code or the balance is unusable.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from custom_components.smm_panel.api import (
    ItemError,
    OrderStatus,
    RefillStatus,
    SmmPanelClient,
    SmmPanelInvalidResponseError,
    SmmPanelRequestError,
)
from tests.loopback import API_KEY

from .conftest import FixedPanel

REDACTED = "**REDACTED**"
# No run of this many characters of the key may show anywhere.
MIN_FRAGMENT = 6
# Every cut the client makes: error texts (500), other texts (255), reprs (60).
ERROR_CUT = 500
TEXT_CUT = 255


def fragments(text: str, secret: str = API_KEY) -> list[str]:
    """Return the parts of `secret` (MIN_FRAGMENT characters or more) in `text`."""
    return [
        secret[i : i + MIN_FRAGMENT]
        for i in range(len(secret) - MIN_FRAGMENT + 1)
        if secret[i : i + MIN_FRAGMENT] in text
    ]


def straddling(cut: int) -> list[Any]:
    """Texts holding the key at every position around a cut at `cut` characters."""
    return [
        pytest.param("x" * start + API_KEY + "y" * 40, id=f"key at {start}")
        for start in range(cut - len(API_KEY) - 1, cut + 2)
    ]


@pytest.mark.parametrize("message", straddling(ERROR_CUT))
async def test_error_text_straddling_the_cut_keeps_no_part_of_the_key(
    caplog: pytest.LogCaptureFixture,
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    message: str,
) -> None:
    """3: redacted first, then cut: not even `sk-tes` is left at the cut end."""
    caplog.set_level(logging.DEBUG)
    fixed_panel.reply({"error": message})

    with pytest.raises(SmmPanelRequestError) as err:
        await fixed_client.async_get_balance()

    assert not fragments(str(err.value))
    assert not fragments(err.value.message)
    assert not fragments(caplog.text)


@pytest.mark.parametrize("message", straddling(ERROR_CUT))
async def test_item_errors_straddling_the_cut_keep_no_part_of_the_key(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, message: str
) -> None:
    """3: per-order errors of status, refill and cancel replies, nested and flat."""
    fixed_panel.reply({"7": {"error": message}})
    status = await fixed_client.async_get_orders_status([7])
    fixed_panel.reply([{"order": 7, "refill": {"error": message}}])
    refill = await fixed_client.async_refill_orders([7])
    fixed_panel.reply([{"order": 7, "error": message}])
    cancel = await fixed_client.async_cancel_orders([7])
    fixed_panel.reply([{"refill": 7, "status": {"error": message}}])
    refill_status = await fixed_client.async_get_refills_status([7])

    for result in (status, refill, cancel, refill_status):
        error = result[7]
        assert isinstance(error, ItemError)
        assert not fragments(error.message)
        assert error.message.startswith("xxxx")


@pytest.mark.parametrize("start", range(60))
async def test_unexpected_replies_shown_short_keep_no_part_of_the_key(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, start: int
) -> None:
    """3: a reply shown as a short repr (cut in its middle) loses the key first."""
    value = "a" * start + API_KEY + "b" * 60
    fixed_panel.reply([{"order": 7, "cancel": value}, {"order": 8, "refill": value}])

    cancel = await fixed_client.async_cancel_orders([7])
    refill = await fixed_client.async_refill_orders([8])

    for error in (cancel[7], refill[8]):
        assert isinstance(error, ItemError)
        assert not fragments(error.message)


@pytest.mark.parametrize("message", straddling(TEXT_CUT))
async def test_status_text_straddling_the_cut_keeps_no_part_of_the_key(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, message: str
) -> None:
    """3, 4: order and refill status texts are redacted, then cut."""
    fixed_panel.reply({"status": message, "charge": "1", "remains": "0"})
    single = await fixed_client.async_get_order_status(7)
    fixed_panel.reply({"7": {"status": message, "charge": "1", "remains": "0"}})
    bulk = (await fixed_client.async_get_orders_status([7]))[7]
    fixed_panel.reply([{"refill": 7, "status": message}])
    refill = (await fixed_client.async_get_refills_status([7]))[7]
    fixed_panel.reply({"status": message})
    single_refill = await fixed_client.async_get_refill_status(7)

    for status in (single, bulk, refill, single_refill):
        assert isinstance(status, OrderStatus | RefillStatus)
        assert status.raw_status is not None
        assert not fragments(status.raw_status)


@pytest.mark.parametrize("kept", range(MIN_FRAGMENT, len(API_KEY)))
async def test_key_cut_short_by_the_panel_is_redacted(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, kept: int
) -> None:
    """3: a panel that cut its own echo leaves a key prefix: it is hidden too."""
    fixed_panel.reply({"error": f"Incorrect request (key={API_KEY[:kept]}"})

    with pytest.raises(SmmPanelRequestError) as err:
        await fixed_client.async_get_balance()

    assert not fragments(str(err.value))
    assert str(err.value).startswith("Incorrect request (key=")


async def test_status_texts_and_currency_are_redacted(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """4: a status text echoing the key; an order's currency that is not a code."""
    fixed_panel.reply(
        {
            "7": {"status": f"Processing (key={API_KEY})", "currency": API_KEY},
            "8": {"status": "Completed", "currency": "eur"},
        }
    )

    result = await fixed_client.async_get_orders_status([7, 8])

    assert result[7] == OrderStatus(
        7, result[7].state, f"Processing (key={REDACTED})", currency=None
    )
    assert result[8].currency == "eur"


@pytest.mark.parametrize(
    "body",
    [
        # Escaped in the JSON text: the decoded text holds the key.
        '{"status": "Processing (key=\\u0073k-test-0123456789abcdef)"}',
        '{"status": "Processing (key=sk\\u002dtest-0123456789abcdef)"}',
        '{"status": "Processing (key=sk-test-0123456789\\u0061bcdef)"}',
    ],
)
async def test_key_escaped_in_the_json_text_is_redacted(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, body: str
) -> None:
    """4: however the panel's JSON writes it, the decoded key is replaced."""
    assert json.loads(body)["status"] == f"Processing (key={API_KEY})"
    fixed_panel.reply(raw=body)

    status = await fixed_client.async_get_order_status(7)

    assert status.raw_status == f"Processing (key={REDACTED})"


async def test_service_names_are_redacted(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """4: a catalogue echoing the key in a name, type or category."""
    fixed_panel.reply(
        [
            {
                "service": 1,
                "name": f"Followers {API_KEY}",
                "type": "Default",
                "category": f"For {API_KEY}",
                "rate": "0.90",
                "min": "50",
                "max": "10000",
            }
        ]
    )

    (service,) = await fixed_client.async_get_catalogue()

    assert service.name == f"Followers {REDACTED}"
    assert service.category == f"For {REDACTED}"


@pytest.mark.parametrize(
    "currency",
    [API_KEY, f"USD {API_KEY}", "ABCDEFGHI", "12", "U S D", "USD\u200b", "U.", "$5"],
)
async def test_a_currency_that_is_not_a_short_code_makes_the_balance_unusable(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, currency: str
) -> None:
    """4: 1 to 8 letters, else refused like any other unusable balance."""
    fixed_panel.reply({"balance": "12.50", "currency": currency})

    with pytest.raises(SmmPanelInvalidResponseError) as err:
        await fixed_client.async_get_balance()

    assert "currency" in str(err.value)
    assert not fragments(str(err.value))


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("USD", "USD"),
        (" eur ", "eur"),
        ("R", "R"),
        ("USDTTRON", "USDTTRON"),
        ("€", "€"),
        ("US$", "US$"),
        ("ريال", "ريال"),
        ("ر.س", "ر.س"),
        (None, "USD"),
    ],
)
async def test_a_short_currency_code_is_kept(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    currency: Any,
    expected: str,
) -> None:
    """4: a code of 1 to 8 letters is the balance's currency (USD when absent)."""
    fixed_panel.reply({"balance": "12.50", "currency": currency})

    balance = await fixed_client.async_get_balance()

    assert balance.currency == expected
