"""Bulk actions: batches of 100, a bounded concurrency, and partial failures."""

from __future__ import annotations

import pytest

from custom_components.smm_panel.api import (
    BATCH_SIZE,
    CancelResult,
    ItemError,
    OrderState,
    OrderStatus,
    RefillStatus,
    SmmPanelAuthenticationError,
    SmmPanelClient,
    SmmPanelConnectionError,
)
from simulator import Fault, PanelSimulator

from .conftest import ClientFactory, FixedPanel

MISSING = ItemError("No reply from the panel for this id")


def _sent_ids(panel: PanelSimulator, action: str, field: str) -> list[list[int]]:
    """The id lists of every logged request of `action`, in arrival order."""
    return [
        [int(part) for part in request.params[field].split(",")]
        for request in panel.requests
        if request.action == action
    ]


async def test_250_ids_make_3_status_requests(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """250 ids go in exactly 3 requests of at most 100, none lost or repeated."""
    orders = [panel.create_order(1, 100, link=f"https://x/{i}") for i in range(250)]
    ids = [order.order_id for order in orders]
    result = await client.async_get_orders_status(ids)
    assert panel.count("status") == 3
    batches = _sent_ids(panel, "status", "orders")
    assert sorted(len(batch) for batch in batches) == [50, 100, 100]
    assert sorted(i for batch in batches for i in batch) == ids
    assert list(result) == ids
    assert all(
        isinstance(status, OrderStatus) and status.state is OrderState.PENDING
        for status in result.values()
    )


async def test_exactly_100_ids_is_one_request(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """The batch size is the panel's limit of 100, not less."""
    assert BATCH_SIZE == 100
    result = await client.async_get_orders_status(range(1, 101))
    assert panel.count("status") == 1
    assert set(result.values()) == {ItemError("Incorrect order ID")}
    await client.async_get_orders_status(range(1, 102))
    assert panel.count("status") == 3


async def test_duplicates_dropped(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """Duplicate ids are sent once; 150 distinct ids in 300 make 2 requests."""
    orders = [panel.create_order(1, 100, link=f"https://x/{i}") for i in range(150)]
    ids = [order.order_id for order in orders]
    result = await client.async_get_orders_status(ids + ids[::-1])
    assert panel.count("status") == 2
    sent = [i for batch in _sent_ids(panel, "status", "orders") for i in batch]
    assert sorted(sent) == ids
    assert list(result) == ids


@pytest.mark.parametrize("cut", [1, 60])
async def test_truncating_panel(
    client: SmmPanelClient, panel: PanelSimulator, cut: int
) -> None:
    """A panel that silently drops ids past `cut` yields errors for them."""
    panel.dialect.truncate_bulk_at = cut
    orders = [panel.create_order(1, 100, link=f"https://x/{i}") for i in range(120)]
    ids = [order.order_id for order in orders]
    result = await client.async_get_orders_status(ids)
    assert panel.count("status") == 2
    answered = [i for i, value in result.items() if isinstance(value, OrderStatus)]
    assert len(answered) == cut + min(cut, 20)
    assert len(result) == 120
    assert all(value == MISSING for i, value in result.items() if i not in answered)


async def test_truncating_panel_every_bulk_action(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """Refill, refill status and cancel survive truncation the same way."""
    panel.dialect.truncate_bulk_at = 1
    done = [
        panel.create_order(1, 100, link=f"https://d/{i}", status="Completed")
        for i in range(2)
    ]
    running = [panel.create_order(1, 100, link=f"https://r/{i}") for i in range(2)]

    refills = await client.async_refill_orders([o.order_id for o in done])
    assert refills == {done[0].order_id: 1001, done[1].order_id: MISSING}
    statuses = await client.async_get_refills_status([1001, 1002])
    assert isinstance(statuses[1001], RefillStatus)
    assert statuses[1002] == MISSING
    cancels = await client.async_cancel_orders([o.order_id for o in running])
    assert cancels == {
        running[0].order_id: CancelResult(running[0].order_id),
        running[1].order_id: MISSING,
    }


async def test_bulk_refill_and_cancel_batches(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """Every bulk action batches: 101 ids make 2 requests of each."""
    ids = list(range(1, 102))
    refills = await client.async_refill_orders(ids)
    statuses = await client.async_get_refills_status(ids)
    cancels = await client.async_cancel_orders(ids)
    assert [panel.count(a) for a in ("refill", "refill_status", "cancel")] == [2, 2, 2]
    assert set(refills.values()) == {ItemError("Incorrect order ID")}
    assert set(statuses.values()) == {ItemError("Refill not found")}
    assert set(cancels.values()) == {ItemError("Incorrect order ID")}
    assert list(refills) == list(statuses) == list(cancels) == ids


@pytest.mark.parametrize("concurrency", [1, 2, 4])
async def test_concurrency_bound(
    make_client: ClientFactory, fixed_panel: FixedPanel, concurrency: int
) -> None:
    """Batches run concurrently, but never more than `concurrency` at once."""
    fixed_panel.reply({}, delay=0.02)
    client = make_client(fixed_panel.url, concurrency=concurrency)
    result = await client.async_get_orders_status(range(1, 601))
    assert fixed_panel.count("status") == 6
    assert fixed_panel.max_in_flight == concurrency
    assert set(result.values()) == {MISSING}


async def test_failed_batch_keeps_the_others(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """When one batch fails, the others' results (already applied) are kept."""
    client = make_client(concurrency=1, retries=0)
    done = [
        panel.create_order(1, 100, link=f"https://d/{i}", status="Completed")
        for i in range(150)
    ]
    ids = [order.order_id for order in done]
    panel.faults.add(Fault("reset", action="refill"))  # the first batch is lost
    result = await client.async_refill_orders(ids)
    assert panel.count("refill") == 2
    lost = [i for i, value in result.items() if isinstance(value, ItemError)]
    assert lost == ids[:100]
    error = result[ids[0]]
    assert isinstance(error, ItemError)
    # The connection error's own text; aiohttp names a reset one of two ways.
    assert error.message.startswith(("ServerDisconnectedError", "ClientOSError"))
    assert {result[i] for i in lost} == {error}
    assert [result[i] for i in ids[100:]] == list(range(1001, 1051))
    assert len(panel.refills) == 50


async def test_every_batch_failing_raises(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """When nothing went through, the error is raised, not hidden in items."""
    client = make_client(retries=0)
    panel.faults.add(Fault("http500", action="status", times=None))
    with pytest.raises(SmmPanelConnectionError, match="HTTP 500"):
        await client.async_get_orders_status(range(1, 251))
    assert panel.count("status") == 3


async def test_refused_key_in_one_batch_raises(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """An invalid key is never turned into item errors: reauth must start."""
    client = make_client(concurrency=1, retries=0)
    panel.faults.add(Fault("error", action="status", message="Invalid API key"))
    with pytest.raises(SmmPanelAuthenticationError):
        await client.async_get_orders_status(range(1, 251))
