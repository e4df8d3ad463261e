"""Every action of the client, single and bulk, against the simulated panel."""

from __future__ import annotations

from decimal import Decimal

import pytest

from custom_components.smm_panel.api import (
    DEFAULT_API_URL,
    Balance,
    CancelResult,
    CatalogueItem,
    ItemError,
    OrderRequest,
    OrderState,
    OrderStatus,
    RefillState,
    RefillStatus,
    SmmPanelClient,
    SmmPanelInsufficientFundsError,
    SmmPanelRequestError,
)
from simulator import PanelSimulator

FIRST_ORDER = 23501
FIRST_REFILL = 1001


async def test_balance(client: SmmPanelClient, panel: PanelSimulator) -> None:
    """The balance comes back as an exact Decimal with its currency."""
    assert await client.async_get_balance() == Balance(Decimal("100.00"), "USD")
    assert panel.count("balance") == 1
    assert panel.requests[0].params["key"] == "**REDACTED**"


async def test_balance_other_currency(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """The currency is the panel's, not assumed to be USD."""
    panel.add_account("sk-test-0123456789abcdef", Decimal("1234.5"), "EUR")
    balance = await client.async_get_balance()
    assert balance == Balance(Decimal("1234.5"), "EUR")
    assert isinstance(balance.amount, Decimal)


async def test_services(client: SmmPanelClient, panel: PanelSimulator) -> None:
    """The whole catalogue parses, with Decimal rates and boolean flags."""
    services = await client.async_get_catalogue()
    assert len(services) == len(panel.services)
    by_id = {service.service_id: service for service in services}
    assert by_id[1] == CatalogueItem(
        service_id=1,
        name="Followers",
        type="Default",
        category="First Category",
        rate=Decimal("0.90"),
        min=50,
        max=10000,
        refill=True,
        cancel=True,
        dripfeed=True,
    )
    likes = by_id[2]
    assert (likes.refill, likes.cancel, likes.dripfeed) == (False, False, False)
    assert likes.rate == Decimal("0.15")
    assert {s.type for s in services} == {s.type for s in panel.services.values()}
    assert by_id[1].estimate_charge(500) == Decimal("0.45")


async def test_services_numbers_as_numbers(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """A panel sending numbers as JSON numbers gives the same catalogue."""
    expected = await client.async_get_catalogue()
    panel.dialect.numbers_as_numbers = True
    assert await client.async_get_catalogue() == expected


async def test_add_order(client: SmmPanelClient, panel: PanelSimulator) -> None:
    """An order is placed once, charged by the panel, and its id returned."""
    order_id = await client.async_add_order(
        OrderRequest(service=1, link="https://instagram.com/p/abc", quantity=500)
    )
    assert order_id == FIRST_ORDER
    assert panel.count("add") == 1
    order = panel.orders[order_id]
    assert (order.service_id, order.link, order.quantity) == (
        1,
        "https://instagram.com/p/abc",
        500,
    )
    assert order.charge == Decimal("0.45")
    assert panel.balance() == Decimal("99.55")


async def test_add_order_with_type_fields(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """List fields go newline separated; drip-feed fields are sent as given."""
    comments = ["Great!", "Nice", "Wow", "Love it", "So good"]
    order_id = await client.async_add_order(
        OrderRequest(
            service=7, link="https://instagram.com/p/c", extra={"comments": comments}
        )
    )
    order = panel.orders[order_id]
    assert order.fields["comments"] == "\n".join(comments)
    assert order.quantity == 5
    assert order.charge == Decimal("0.06")

    drip = await client.async_add_order(
        OrderRequest(
            service=1,
            link="https://instagram.com/u/x",
            quantity=100,
            extra={"runs": 3, "interval": 30},
        )
    )
    assert panel.orders[drip].runs == 3
    assert panel.orders[drip].fields == {"runs": "3", "interval": "30"}


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            OrderRequest(service=999, link="https://x", quantity=100),
            "Incorrect service ID",
        ),
        (
            OrderRequest(service=1, link="https://x", quantity=10),
            "Quantity less than minimal 50",
        ),
        (
            OrderRequest(service=1, link="https://x", quantity=20000),
            "Quantity more than maximum 10000",
        ),
        (OrderRequest(service=1, quantity=100), "Incorrect request"),
    ],
)
async def test_add_order_rejected(
    client: SmmPanelClient,
    panel: PanelSimulator,
    request_: OrderRequest,
    message: str,
) -> None:
    """A refusal carries the panel's exact message; nothing is charged or resent."""
    with pytest.raises(SmmPanelRequestError) as exc_info:
        await client.async_add_order(request_)
    assert exc_info.value.message == message
    assert str(exc_info.value) == message
    assert panel.count("add") == 1
    assert panel.balance() == Decimal("100.00")


async def test_add_order_duplicate_link(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """The panel's duplicate-link refusal is a request error with its text."""
    request = OrderRequest(service=1, link="https://x", quantity=100)
    await client.async_add_order(request)
    with pytest.raises(SmmPanelRequestError, match="You have active order"):
        await client.async_add_order(request)
    assert panel.count("add") == 2


async def test_add_order_not_enough_funds(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """The panel's funds message maps to the insufficient-funds error."""
    panel.set_balance(Decimal("0.01"))
    with pytest.raises(SmmPanelInsufficientFundsError) as exc_info:
        await client.async_add_order(
            OrderRequest(service=1, link="https://x", quantity=100)
        )
    assert exc_info.value.message == "Not enough funds on balance"
    assert isinstance(exc_info.value, SmmPanelRequestError)
    assert panel.orders == {}


async def test_order_status(client: SmmPanelClient, panel: PanelSimulator) -> None:
    """One order's status follows the panel as it progresses."""
    order = panel.create_order(1, 1000)
    status = await client.async_get_order_status(order.order_id)
    assert status == OrderStatus(
        order_id=order.order_id,
        state=OrderState.PENDING,
        raw_status="Pending",
        charge=Decimal("0.90000"),
        start_count=order.start_count,
        remains=1000,
        currency="USD",
    )
    panel.advance(60 + 300)
    status = await client.async_get_order_status(order.order_id)
    assert (status.state, status.raw_status, status.remains) == (
        OrderState.IN_PROGRESS,
        "In progress",
        500,
    )
    panel.set_order_status(order.order_id, "Partial", remains=157)
    status = await client.async_get_order_status(order.order_id)
    assert (status.state, status.remains) == (OrderState.PARTIAL, 157)
    assert status.state.is_final


async def test_order_status_unknown_id(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """An unknown id is the panel's request error, not retried."""
    with pytest.raises(SmmPanelRequestError, match="^Incorrect order ID$"):
        await client.async_get_order_status(42)
    assert panel.count("status") == 1


@pytest.mark.parametrize(
    ("dialect", "status", "raw", "state"),
    [
        ({}, "Canceled", "Canceled", OrderState.CANCELED),
        (
            {"cancelled_spelling": "Cancelled"},
            "Canceled",
            "Cancelled",
            OrderState.CANCELED,
        ),
        ({"use_refunded": True}, "Canceled", "Refunded", OrderState.REFUNDED),
        ({}, "Fail", "Fail", OrderState.FAILED),
        ({"failed_spelling": "Failed"}, "Fail", "Failed", OrderState.FAILED),
        ({"failed_spelling": "Error"}, "Fail", "Error", OrderState.FAILED),
        (
            {"lowercase_status": True},
            "In progress",
            "in progress",
            OrderState.IN_PROGRESS,
        ),
        ({"lowercase_status": True}, "Completed", "completed", OrderState.COMPLETED),
        ({}, "Processing", "Processing", OrderState.PROCESSING),
        ({}, "On hold", "On hold", OrderState.UNKNOWN),
    ],
)
async def test_order_status_dialects(
    client: SmmPanelClient,
    panel: PanelSimulator,
    dialect: dict[str, object],
    status: str,
    raw: str,
    state: OrderState,
) -> None:
    """Every spelling normalises; the raw text is kept as the panel sent it."""
    for name, value in dialect.items():
        setattr(panel.dialect, name, value)
    order = panel.create_order(1, 100)
    panel.set_order_status(order.order_id, status)
    result = await client.async_get_order_status(order.order_id)
    assert (result.state, result.raw_status) == (state, raw)
    bulk = await client.async_get_orders_status([order.order_id])
    assert bulk == {order.order_id: result}


async def test_order_status_numbers_as_numbers(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """Numbers sent as JSON numbers parse to the same values as strings."""
    order = panel.create_order(1, 1000)
    as_strings = await client.async_get_order_status(order.order_id)
    panel.dialect.numbers_as_numbers = True
    assert await client.async_get_order_status(order.order_id) == as_strings


async def test_orders_status_bulk(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """Bulk status returns a status per order and the panel's error per bad id."""
    first = panel.create_order(1, 1000)
    second = panel.create_order(2, 100, status="Completed")
    result = await client.async_get_orders_status([first.order_id, 10, second.order_id])
    assert list(result) == [first.order_id, 10, second.order_id]
    assert result[10] == ItemError("Incorrect order ID")
    first_status = result[first.order_id]
    assert isinstance(first_status, OrderStatus)
    assert first_status.state is OrderState.PENDING
    second_status = result[second.order_id]
    assert isinstance(second_status, OrderStatus)
    assert (second_status.state, second_status.remains) == (OrderState.COMPLETED, 0)
    assert panel.count("status") == 1
    assert (
        panel.requests[0].params["orders"] == f"{first.order_id},10,{second.order_id}"
    )


async def test_orders_status_empty(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """No ids, no request."""
    assert await client.async_get_orders_status([]) == {}
    assert panel.requests == []


async def test_refill(client: SmmPanelClient, panel: PanelSimulator) -> None:
    """A refill of a completed order returns the refill id (they start at 1001)."""
    order = panel.create_order(1, 1000, status="Completed")
    assert await client.async_refill(order.order_id) == FIRST_REFILL
    assert panel.refills[FIRST_REFILL].order_id == order.order_id
    assert panel.count("refill") == 1


async def test_refill_refused(client: SmmPanelClient, panel: PanelSimulator) -> None:
    """A refill the service does not offer is the panel's request error."""
    order = panel.create_order(2, 100, status="Completed")
    with pytest.raises(
        SmmPanelRequestError, match="Refill is not available for this order"
    ):
        await client.async_refill(order.order_id)


@pytest.mark.parametrize("flat", [False, True], ids=["nested", "flat"])
async def test_refill_bulk(
    client: SmmPanelClient, panel: PanelSimulator, flat: bool
) -> None:
    """Bulk refill maps order to refill id, with per-order errors either shape."""
    panel.dialect.flat_bulk_errors = flat
    done = panel.create_order(1, 1000, status="Completed")
    partial = panel.create_order(3, 1000, status="Partial")
    no_refill = panel.create_order(2, 100, status="Completed")
    result = await client.async_refill_orders(
        [done.order_id, 3, partial.order_id, no_refill.order_id]
    )
    assert result == {
        done.order_id: FIRST_REFILL,
        3: ItemError("Incorrect order ID"),
        partial.order_id: FIRST_REFILL + 1,
        no_refill.order_id: ItemError("Refill is not available for this order"),
    }
    assert panel.count("refill") == 1


async def test_refill_status(client: SmmPanelClient, panel: PanelSimulator) -> None:
    """One refill's status, normalised with the raw text kept."""
    order = panel.create_order(1, 1000, status="Completed")
    refill_id = await client.async_refill(order.order_id)
    assert await client.async_get_refill_status(refill_id) == RefillStatus(
        refill_id, RefillState.PENDING, "Pending"
    )
    panel.advance(120)
    status = await client.async_get_refill_status(refill_id)
    assert (status.state, status.raw_status) == (RefillState.IN_PROGRESS, "In progress")
    assert not status.state.is_final
    panel.advance(600)
    status = await client.async_get_refill_status(refill_id)
    assert status.state is RefillState.COMPLETED
    assert status.state.is_final
    with pytest.raises(SmmPanelRequestError, match="Refill not found"):
        await client.async_get_refill_status(5)


@pytest.mark.parametrize("flat", [False, True], ids=["nested", "flat"])
async def test_refill_status_bulk(
    client: SmmPanelClient, panel: PanelSimulator, flat: bool
) -> None:
    """Bulk refill status returns a status per refill and errors per bad id."""
    panel.dialect.flat_bulk_errors = flat
    panel.dialect.lowercase_status = True
    first = panel.create_order(1, 1000, status="Completed")
    second = panel.create_order(3, 1000, status="Completed")
    refills = await client.async_refill_orders([first.order_id, second.order_id])
    panel.set_refill_status(FIRST_REFILL, "Completed")
    panel.set_refill_status(FIRST_REFILL + 1, "Rejected")
    assert refills == {first.order_id: FIRST_REFILL, second.order_id: FIRST_REFILL + 1}
    result = await client.async_get_refills_status([FIRST_REFILL, 3, FIRST_REFILL + 1])
    assert result == {
        FIRST_REFILL: RefillStatus(FIRST_REFILL, RefillState.COMPLETED, "completed"),
        3: ItemError("Refill not found"),
        FIRST_REFILL + 1: RefillStatus(
            FIRST_REFILL + 1, RefillState.REJECTED, "rejected"
        ),
    }


@pytest.mark.parametrize(
    ("returns_id", "expected"), [(False, None), (True, 501)], ids=["one", "id"]
)
async def test_cancel(
    client: SmmPanelClient,
    panel: PanelSimulator,
    returns_id: bool,
    expected: int | None,
) -> None:
    """Cancel accepts `1` or a cancel-request id; refusals are per-order errors."""
    panel.dialect.cancel_returns_id = returns_id
    running = panel.create_order(1, 1000)
    no_cancel = panel.create_order(2, 100)
    result = await client.async_cancel_orders([9, running.order_id, no_cancel.order_id])
    assert result == {
        9: ItemError("Incorrect order ID"),
        running.order_id: CancelResult(running.order_id, expected),
        no_cancel.order_id: ItemError("Cancel is not available for this order"),
    }
    assert panel.orders[running.order_id].status == "Canceled"
    assert panel.count("cancel") == 1
    status = await client.async_get_order_status(running.order_id)
    assert status.state is OrderState.CANCELED


def test_repr_and_defaults(client: SmmPanelClient, panel_url: str) -> None:
    """The client describes itself by URL; SMM Queen is the default panel."""
    assert repr(client) == f"SmmPanelClient(api_url={panel_url!r})"
    assert DEFAULT_API_URL == "https://smmqueen.com/api/v2"
