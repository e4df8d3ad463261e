"""Rate limits: the panel's refusals, the client's own budget, `max_wait`.

Issue 9, items 24 and 27. Some panels allow a key about 120 requests a minute
(fixed window) and refuse more with HTTP 429 or with HTTP 200
`{"error": "Rate limit exceeded"}`. The client keeps every call of one account
under a budget (100 a minute by default), and a call can be told how long it
may wait at most (`max_wait`), so an action fails fast with "retry in N s".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import inspect
from typing import Any

import aiohttp
import pytest

from custom_components.smm_panel.api import (
    OrderRequest,
    SmmPanelClient,
    SmmPanelConnectionError,
    SmmPanelRateLimitError,
)
from custom_components.smm_panel.api.client import (
    DEFAULT_MAX_REQUESTS_PER_MINUTE,
    DEFAULT_RATE_WINDOW,
)
from simulator import Fault, PanelSimulator, RateLimit

from .conftest import ClientFactory, FixedPanel

ADD = OrderRequest(service=1, link="https://instagram.com/p/abc", quantity=100)
BALANCE = {"balance": "1.00", "currency": "USD"}

type Call = Callable[..., Awaitable[Any]]

CALLS: dict[str, Call] = {
    "balance": lambda c, **kw: c.async_get_balance(**kw),
    "services": lambda c, **kw: c.async_get_catalogue(**kw),
    "status": lambda c, **kw: c.async_get_order_status(1, **kw),
    "status_bulk": lambda c, **kw: c.async_get_orders_status([1, 2], **kw),
    "refill_status": lambda c, **kw: c.async_get_refill_status(1, **kw),
    "refill_status_bulk": lambda c, **kw: c.async_get_refills_status([1], **kw),
    "refill": lambda c, **kw: c.async_refill(1, **kw),
    "refill_bulk": lambda c, **kw: c.async_refill_orders([1, 2], **kw),
    "cancel": lambda c, **kw: c.async_cancel_orders([1, 2], **kw),
    "add": lambda c, **kw: c.async_add_order(ADD, **kw),
}
READS = ["balance", "services", "status", "status_bulk", "refill_status"]
WRITES = ["refill", "refill_bulk", "cancel", "add"]


def test_defaults() -> None:
    """24: 100 requests per 60 s by default, a margin under the common 120."""
    assert DEFAULT_MAX_REQUESTS_PER_MINUTE == 100
    assert DEFAULT_RATE_WINDOW == 60.0


def test_every_public_method_takes_max_wait() -> None:
    """27: reads and writes alike accept `max_wait`, keyword only, default None."""
    methods = [
        name
        for name, member in inspect.getmembers(SmmPanelClient)
        if name.startswith("async_") and inspect.iscoroutinefunction(member)
    ]
    assert len(methods) == 10
    for name in methods:
        parameter = inspect.signature(getattr(SmmPanelClient, name)).parameters[
            "max_wait"
        ]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is None


# --- (1) a rate limit said in words ------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "Rate limit exceeded",
        "rate limit exceeded, slow down",
        "RATE LIMIT",
        "Too Many Requests",
        "Error: too many requests in the last minute",
    ],
)
@pytest.mark.parametrize("call", list(CALLS))
async def test_rate_limit_text_is_a_rate_limit(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, message: str, call: str
) -> None:
    """24: HTTP 200 with a rate-limit text is SmmPanelRateLimitError, not a refusal.

    Without Retry-After, `retry_after` is the end of the panel's (fixed, one
    minute) window at the latest: a full window after the first refusal.
    """
    fixed_panel.reply({"error": message})
    with pytest.raises(SmmPanelRateLimitError) as exc_info:
        await CALLS[call](fixed_client)
    err = exc_info.value
    assert err.from_panel
    assert err.retry_after is not None
    assert 59.0 < err.retry_after <= 60.0
    assert message in str(err)
    assert len(fixed_panel.forms) == 1


async def test_rate_limit_text_estimate_counts_from_the_first_refusal(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """24: the client holds back until the window surely ended, counting down.

    Nothing is sent meanwhile: the next call says how long is left.
    """
    fixed_panel.reply({"error": "Rate limit exceeded"})
    with pytest.raises(SmmPanelRateLimitError) as first:
        await fixed_client.async_get_balance()
    await asyncio.sleep(0.05)
    with pytest.raises(SmmPanelRateLimitError) as second:
        await fixed_client.async_get_balance(max_wait=0)
    assert first.value.retry_after is not None
    assert second.value.retry_after is not None
    assert second.value.retry_after < first.value.retry_after
    assert not second.value.from_panel
    assert len(fixed_panel.forms) == 1


async def test_rate_limit_text_with_retry_after(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """24: a Retry-After sent with the text is used as it is."""
    fixed_panel.reply({"error": "Rate limit exceeded"}, headers={"Retry-After": "7"})
    with pytest.raises(SmmPanelRateLimitError) as exc_info:
        await fixed_client.async_get_balance()
    assert exc_info.value.retry_after == 7.0


@pytest.mark.parametrize("call", READS)
async def test_rate_limit_text_read_retried_after_the_window(
    make_client: ClientFactory, fixed_panel: FixedPanel, call: str
) -> None:
    """24: a read waits for the window to end, then succeeds (as for 429)."""
    window = 0.3
    client = make_client(fixed_panel.url, rate_window=window)
    fixed_panel.queue({"error": "Rate limit exceeded"})
    fixed_panel.reply(
        BALANCE if call == "balance" else [] if call == "services" else {"status": "x"}
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    await CALLS[call](client)
    assert loop.time() - started >= window * 0.8  # waited (never less)
    assert len(fixed_panel.forms) == 2


@pytest.mark.parametrize("call", WRITES)
async def test_rate_limit_text_write_not_retried(
    make_client: ClientFactory, fixed_panel: FixedPanel, call: str
) -> None:
    """24: writes are never resent, not even after a rate limit."""
    client = make_client(fixed_panel.url, rate_window=0.05, retries=3)
    fixed_panel.reply({"error": "Rate limit exceeded"})
    with pytest.raises(SmmPanelRateLimitError):
        await CALLS[call](client)
    assert len(fixed_panel.forms) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("nan", None),
        ("inf", None),
        ("-inf", None),
        ("1e9", None),
        ("0x10", None),
        ("99999999", 3600.0),
        ("3601", 3600.0),
        ("3599.5", 3599.5),
        (" 12 ", 12.0),
    ],
)
async def test_hostile_retry_after(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    header: str,
    expected: float | None,
) -> None:
    """24: Retry-After is read only as plain seconds, at most an hour."""
    fixed_panel.reply(raw="", status=429, headers={"Retry-After": header})
    with pytest.raises(SmmPanelRateLimitError) as exc_info:
        await fixed_client.async_get_balance()
    assert exc_info.value.retry_after == expected


# --- (2) the request budget --------------------------------------------------------


async def test_budget_keeps_the_panel_under_its_limit(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """24: 150 concurrent polls never meet the panel's rate limit.

    The panel allows 18 requests per fixed window (as 120 a minute), the client
    budget is 15 per window (as 100 a minute): a request holds its slot until a
    window after its reply, so whatever the delays the panel counts at most 15.
    """
    window = 0.4
    order = panel.create_order(1, 100)
    panel.rate_limit = RateLimit(limit=18, window=window, as_text=True)
    client = make_client(max_requests_per_minute=15, rate_window=window, retries=0)
    results = await asyncio.gather(
        *(client.async_get_order_status(order.order_id) for _ in range(150)),
        return_exceptions=True,
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert panel.rate_limit.refused == 0
    assert panel.count("status") == 150
    assert panel.rate_limit.max_per_window() <= 15


async def test_without_budget_the_panel_refuses(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """24: the same burst with no budget meets the panel's limit (control)."""
    order = panel.create_order(1, 100)
    panel.rate_limit = RateLimit(limit=18, window=60.0, as_text=True)
    client = make_client(max_requests_per_minute=None, retries=0)
    results = await asyncio.gather(
        *(client.async_get_order_status(order.order_id) for _ in range(40)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, SmmPanelRateLimitError)]
    assert len(refused) == 22
    assert all(r.from_panel and r.retry_after for r in refused)


async def test_budget_shared_by_reads_and_writes(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """24, 27: polls and actions of one client share one budget; waiting for it
    is safe even for `add`, as nothing was sent."""
    client = make_client(max_requests_per_minute=3)
    await client.async_get_balance()
    await client.async_get_catalogue()
    order = await client.async_add_order(ADD)
    with pytest.raises(SmmPanelRateLimitError) as exc_info:
        await client.async_add_order(ADD, max_wait=0)
    err = exc_info.value
    assert not err.from_panel
    assert err.retry_after is not None
    assert 50.0 < err.retry_after <= 60.0  # a window after the first reply
    assert "retry after" in str(err)
    with pytest.raises(SmmPanelRateLimitError):
        await client.async_get_order_status(order, max_wait=10)
    with pytest.raises(SmmPanelRateLimitError):
        await client.async_cancel_orders([order], max_wait=1)
    assert panel.count("add") == 1
    assert len(panel.requests) == 3
    # Another client (another account) has a budget of its own.
    await make_client(max_requests_per_minute=3).async_get_balance(max_wait=0)


async def test_budget_wait_then_send(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """24: with room to wait, a call waits for a slot and goes through."""
    window = 0.3
    client = make_client(max_requests_per_minute=1, rate_window=window)
    await client.async_get_balance()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.async_add_order(ADD, max_wait=30)
    assert loop.time() - started >= window * 0.8
    assert panel.count("add") == 1


async def test_budget_of_a_panel_with_429(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """24: a panel answering 429 with Retry-After: reads wait it out and succeed."""
    panel.rate_limit = RateLimit(limit=5, window=0.5, as_text=False, retry_after=True)
    client = make_client(max_requests_per_minute=None, retries=3)
    results = await asyncio.gather(
        *(client.async_get_balance() for _ in range(8)), return_exceptions=True
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert panel.rate_limit.refused > 0


# --- (3) max_wait ------------------------------------------------------------------


@pytest.mark.parametrize("call", list(CALLS))
async def test_429_retry_after_60_fails_fast(
    make_client: ClientFactory, fixed_panel: FixedPanel, call: str
) -> None:
    """27: with max_wait=10, a 429 asking for 60 s fails at once: "retry in 60 s"."""
    fixed_panel.reply(raw="", status=429, headers={"Retry-After": "60"})
    client = make_client(fixed_panel.url, retries=2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(SmmPanelRateLimitError) as exc_info:
        await CALLS[call](client, max_wait=10)
    assert loop.time() - started < 10  # no waiting at all, however slow the machine
    assert exc_info.value.retry_after == 60.0
    assert len(fixed_panel.forms) == 1
    # The client now holds back every call until then (nothing is sent).
    with pytest.raises(SmmPanelRateLimitError) as paused:
        await client.async_get_balance(max_wait=10)
    assert not paused.value.from_panel
    assert paused.value.retry_after is not None
    assert 50 < paused.value.retry_after <= 60
    assert len(fixed_panel.forms) == 1


async def test_rate_limit_text_fails_fast(
    make_client: ClientFactory, fixed_panel: FixedPanel
) -> None:
    """27: the text refusal (no Retry-After) also fails fast, saying when."""
    fixed_panel.reply({"error": "Rate limit exceeded"})
    client = make_client(fixed_panel.url, retries=2)
    with pytest.raises(SmmPanelRateLimitError) as exc_info:
        await client.async_get_orders_status([1, 2], max_wait=10)
    assert exc_info.value.retry_after is not None
    assert exc_info.value.retry_after > 10
    assert len(fixed_panel.forms) == 1


async def test_max_wait_bounds_the_backoff(
    make_client: ClientFactory, fixed_panel: FixedPanel
) -> None:
    """27: a retry whose backoff would pass max_wait is not made."""
    fixed_panel.reply(raw="down", status=500)
    client = make_client(fixed_panel.url, retries=2, backoff=5.0)
    with pytest.raises(SmmPanelConnectionError, match="HTTP 500") as exc_info:
        await client.async_get_balance(max_wait=1)
    assert not isinstance(exc_info.value, SmmPanelRateLimitError)
    assert len(fixed_panel.forms) == 1
    fixed_panel.reply(raw="", status=429)  # no Retry-After: the backoff is the wait
    with pytest.raises(SmmPanelRateLimitError) as limited:
        await client.async_get_balance(max_wait=1)
    assert limited.value.retry_after == 5.0
    assert len(fixed_panel.forms) == 2


async def test_max_wait_counts_every_wait(
    make_client: ClientFactory, fixed_panel: FixedPanel
) -> None:
    """27: waits add up; a short backoff within max_wait is still made."""
    fixed_panel.reply(raw="down", status=500)
    client = make_client(fixed_panel.url, retries=5, backoff=0.2)
    with pytest.raises(SmmPanelConnectionError):
        # Backoffs of 0.2, 0.4, 0.8 s: the third would pass 1 s in total.
        await client.async_get_balance(max_wait=1)
    assert len(fixed_panel.forms) == 3


async def test_pause_after_a_refusal_is_waited_by_other_calls(
    make_client: ClientFactory, fixed_panel: FixedPanel
) -> None:
    """24: after a 429 with Retry-After, other calls of the client wait first."""
    client = make_client(fixed_panel.url, retries=0)
    fixed_panel.queue(raw="", status=429, headers={"Retry-After": "0.3"})
    fixed_panel.reply(BALANCE)
    with pytest.raises(SmmPanelRateLimitError):
        await client.async_get_balance()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.async_get_balance()
    assert loop.time() - started >= 0.2
    assert fixed_panel.count("balance") == 2


async def test_max_wait_zero_sends_when_there_is_room(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """27: max_wait=0 never waits but still sends when nothing holds it back."""
    client = make_client()
    assert (await client.async_get_balance(max_wait=0)).currency == "USD"
    panel.faults.add(Fault("http500", action="balance"))
    with pytest.raises(SmmPanelConnectionError):
        await client.async_get_balance(max_wait=0)
    assert panel.count("balance") == 2


def test_budget_must_allow_a_request(make_client: ClientFactory) -> None:
    """A budget of 0 would block every call for ever: refused at once."""
    with pytest.raises(ValueError, match="at least 1"):
        make_client(max_requests_per_minute=0)


async def test_budget_wait_for_a_slot_in_flight(
    make_client: ClientFactory, fixed_panel: FixedPanel
) -> None:
    """27: when every slot is in flight, max_wait bounds the wait for a reply."""
    client = make_client(fixed_panel.url, max_requests_per_minute=1, rate_window=0.05)
    fixed_panel.queue(BALANCE, delay=2.0)
    fixed_panel.reply(BALANCE)
    slow = asyncio.ensure_future(client.async_get_balance())
    await asyncio.sleep(0)  # it takes the only slot before its first real wait
    with pytest.raises(SmmPanelRateLimitError) as exc_info:
        await client.async_get_balance(max_wait=0.1)
    assert not exc_info.value.from_panel
    assert exc_info.value.retry_after == 0.05
    await slow
    await client.async_get_balance()  # the slot is back after its window
    assert len(fixed_panel.forms) == 2


def test_rate_window_must_be_positive(make_client: ClientFactory) -> None:
    """A window of 0 s would be no budget at all: refused at once."""
    with pytest.raises(ValueError, match="rate_window"):
        make_client(rate_window=0)


async def test_simulator_rate_limit_endpoint(
    make_client: ClientFactory, panel: PanelSimulator, panel_url: str
) -> None:
    """The simulator's rate limit can be set and removed over HTTP too."""
    control = panel_url.removesuffix("/api/v2") + "/_sim/rate_limit"
    client = make_client(max_requests_per_minute=None, retries=0)
    async with aiohttp.ClientSession() as session:
        async with session.post(control, json={"limit": 1, "window": 60}) as reply:
            assert reply.status == 200
        await client.async_get_balance()
        with pytest.raises(SmmPanelRateLimitError, match="Rate limit exceeded"):
            await client.async_get_balance()
        async with session.post(control, json={"limit": "x"}) as reply:
            assert reply.status == 400  # and the limit set before stays
        async with session.post(control, json={}) as reply:
            assert reply.status == 200
    assert panel.rate_limit is None
    fresh = make_client(max_requests_per_minute=None, retries=0)
    await fresh.async_get_balance()
