"""A bulk action whose batches fail differently (issue 9, item 13).

Refills and cancels of the batches that went through already happened on the
panel: their results must come back even when another batch was refused for
the key. The failed batch's ids become ItemErrors carrying the batch's
exception (`cause`), so the caller can start reauthentication.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from custom_components.smm_panel.api import (
    CancelResult,
    ItemError,
    OrderState,
    OrderStatus,
    SmmPanelAuthenticationError,
    SmmPanelClient,
    SmmPanelConnectionError,
    SmmPanelRateLimitError,
)

from .conftest import ClientFactory, FixedPanel

IDS = list(range(1, 151))  # two batches: 1..100 and 101..150
AUTH = {"error": "Invalid API key"}

type Send = Callable[[SmmPanelClient, list[int]], Awaitable[dict[int, Any]]]


def _refills(ids: list[int]) -> list[dict[str, int]]:
    return [{"order": i, "refill": 1000 + i} for i in ids]


def _cancels(ids: list[int]) -> list[dict[str, int]]:
    return [{"order": i, "cancel": 1} for i in ids]


def _statuses(ids: list[int]) -> dict[str, dict[str, str]]:
    return {str(i): {"status": "Completed", "remains": "0"} for i in ids}


BULK: dict[str, tuple[Send, Callable[[list[int]], Any], Callable[[int], Any]]] = {
    "refill": (
        lambda c, ids: c.async_refill_orders(ids),
        _refills,
        lambda i: 1000 + i,
    ),
    "cancel": (
        lambda c, ids: c.async_cancel_orders(ids),
        _cancels,
        CancelResult,
    ),
    "status": (
        lambda c, ids: c.async_get_orders_status(ids),
        _statuses,
        lambda i: OrderStatus(i, OrderState.COMPLETED, "Completed", remains=0),
    ),
}


@pytest.fixture
def one_at_a_time(
    make_client: ClientFactory, fixed_panel: FixedPanel
) -> SmmPanelClient:
    """A client sending one batch at a time, so the fixed panel's queue is ordered."""
    return make_client(fixed_panel.url, concurrency=1, retries=0)


@pytest.mark.parametrize("action", list(BULK))
async def test_auth_error_in_one_batch_keeps_the_others(
    fixed_panel: FixedPanel, one_at_a_time: SmmPanelClient, action: str
) -> None:
    """13: batch 1 went through, batch 2 was refused for the key: both reported."""
    send, reply, expected = BULK[action]
    fixed_panel.queue(reply(IDS[:100]))
    fixed_panel.queue(AUTH)
    result = await send(one_at_a_time, IDS)
    assert len(fixed_panel.forms) == 2
    assert list(result) == IDS
    assert [result[i] for i in IDS[:100]] == [expected(i) for i in IDS[:100]]
    for i in IDS[100:]:
        error = result[i]
        assert isinstance(error, ItemError)
        assert error.message == "Invalid API key"
        assert isinstance(error.cause, SmmPanelAuthenticationError)
    assert result[101].cause is result[150].cause  # one batch, one exception


@pytest.mark.parametrize("action", list(BULK))
async def test_auth_error_in_every_batch_raises(
    fixed_panel: FixedPanel, one_at_a_time: SmmPanelClient, action: str
) -> None:
    """13: when nothing went through, the refusal is raised (reauth must start)."""
    send = BULK[action][0]
    fixed_panel.reply(AUTH)
    with pytest.raises(SmmPanelAuthenticationError):
        await send(one_at_a_time, IDS)


async def test_auth_error_and_only_item_errors_raises(
    fixed_panel: FixedPanel, one_at_a_time: SmmPanelClient
) -> None:
    """13: the other batches only said "no such order": nothing to lose, raise."""
    fixed_panel.queue(
        [{"order": i, "refill": {"error": "Incorrect order ID"}} for i in IDS[:100]]
    )
    fixed_panel.queue(AUTH)
    with pytest.raises(SmmPanelAuthenticationError):
        await one_at_a_time.async_refill_orders(IDS)


@pytest.mark.parametrize(
    ("status", "body", "cause"),
    [
        (500, "down", SmmPanelConnectionError),
        (429, "", SmmPanelRateLimitError),
        (200, '{"error": "Rate limit exceeded"}', SmmPanelRateLimitError),
    ],
)
async def test_failed_batch_cause(
    fixed_panel: FixedPanel,
    one_at_a_time: SmmPanelClient,
    status: int,
    body: str,
    cause: type[Exception],
) -> None:
    """13: every failed batch's ids carry the batch's exception as `cause`."""
    fixed_panel.queue(_cancels(IDS[:100]))
    fixed_panel.queue(raw=body, status=status)
    result = await one_at_a_time.async_cancel_orders(IDS)
    assert result[1] == CancelResult(1)
    error = result[101]
    assert isinstance(error, ItemError)
    assert type(error.cause) is cause
    assert error.message == str(error.cause)


async def test_item_error_cause_takes_no_part_in_equality() -> None:
    """The old equality (by message) holds, and the hash: `cause` is not compared."""
    cause = SmmPanelAuthenticationError("Invalid API key")
    assert ItemError("Invalid API key", cause) == ItemError("Invalid API key")
    assert hash(ItemError("x", cause)) == hash(ItemError("x"))
    assert ItemError("text") == ItemError("text")
    assert ItemError("text").cause is None
    assert "cause" not in repr(ItemError("x", cause))


async def test_panel_item_errors_have_no_cause(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """A "no such order" from the panel, or a missing id, has no `cause`."""
    fixed_panel.reply({"1": {"error": "Incorrect order ID"}})
    result = await fixed_client.async_get_orders_status([1, 2])
    assert result == {
        1: ItemError("Incorrect order ID"),
        2: ItemError("No reply from the panel for this id"),
    }
    assert all(isinstance(v, ItemError) and v.cause is None for v in result.values())


async def test_every_batch_failed_and_one_for_the_key(
    fixed_panel: FixedPanel, one_at_a_time: SmmPanelClient
) -> None:
    """13: when every batch failed, a refused key is what is raised."""
    fixed_panel.queue(raw="down", status=500)
    fixed_panel.queue(AUTH)
    with pytest.raises(SmmPanelAuthenticationError):
        await one_at_a_time.async_get_orders_status(IDS)
