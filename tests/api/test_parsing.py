"""Parsing of literal panel replies: the seed's examples and the odd ones.

The replies are served over loopback HTTP by `fixed_panel`, byte for byte, so the
whole client path (transport, JSON, parsing) is exercised.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from custom_components.smm_panel.api import (
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
    SmmPanelInvalidResponseError,
    SmmPanelOrderStateUnknownError,
    normalize_order_status,
    normalize_refill_status,
)
from custom_components.smm_panel.api.models import parse_bool, parse_decimal, parse_int
from simulator import PanelSimulator

from .conftest import FixedPanel

# The example replies of the SMM Queen API page (SPEC section 2), verbatim.
SEED_SERVICES = """[
{
"service": 1,
"name": "Followers",
"type": "Default",
"category": "First Category",
"rate": "0.90",
"min": "50",
"max": "10000",
"refill": true,
"cancel": true
}
]"""
SEED_ADD = '{ "order": 23501 }'
SEED_STATUS = """{
"charge": "0.27819",
"start_count": "3572",
"status": "Partial",
"remains": "157",
"currency": "USD"
}"""
SEED_STATUS_BULK = """{
"1": { "charge": "0.27819", "start_count": "3572", "status": "Partial", "remains": "157", "currency": "USD" },
"10": { "error": "Incorrect order ID" },
"100": { "charge": "1.44219", "start_count": "234", "status": "In progress", "remains": "10", "currency": "USD" }
}"""  # noqa: E501
SEED_REFILL = '{ "refill": "1" }'
SEED_REFILL_BULK = """[
{ "order": 1, "refill": 1 },
{ "order": 2, "refill": 2 },
{ "order": 3, "refill": { "error": "Incorrect order ID" } }
]"""
SEED_REFILL_STATUS = '{ "status": "Completed" }'
SEED_REFILL_STATUS_BULK = """[
{ "refill": 1, "status": "Completed" },
{ "refill": 2, "status": "Rejected" },
{ "refill": 3, "status": { "error": "Refill not found" } }
]"""
SEED_CANCEL = """[
{ "order": 9, "cancel": { "error": "Incorrect order ID" } },
{ "order": 2, "cancel": 1 }
]"""
SEED_BALANCE = """{
"balance": "100.84292",
"currency": "USD"
}"""


# --- the seed's examples --------------------------------------------------------


async def test_seed_services(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The seed's services example (no dripfeed field at all) parses exactly."""
    fixed_panel.reply(raw=SEED_SERVICES)
    assert await fixed_client.async_get_catalogue() == [
        CatalogueItem(
            1,
            "Followers",
            "Default",
            "First Category",
            Decimal("0.90"),
            50,
            10000,
            refill=True,
            cancel=True,
            dripfeed=False,
        )
    ]
    assert fixed_panel.forms == [
        {"key": "sk-test-0123456789abcdef", "action": "services"}
    ]


async def test_seed_add(fixed_panel: FixedPanel, fixed_client: SmmPanelClient) -> None:
    """The seed's add example gives the order id; the form holds the fields."""
    fixed_panel.reply(raw=SEED_ADD)
    order_id = await fixed_client.async_add_order(
        OrderRequest(
            service=1,
            link="https://instagram.com/p/x",
            quantity=100,
            extra={"usernames": ["alice", "bob"], "runs": 2, "interval": 10},
        )
    )
    assert order_id == 23501
    assert fixed_panel.forms[0] == {
        "key": "sk-test-0123456789abcdef",
        "action": "add",
        "service": "1",
        "link": "https://instagram.com/p/x",
        "quantity": "100",
        "usernames": "alice\nbob",
        "runs": "2",
        "interval": "10",
    }


async def test_seed_status(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The seed's single status example parses exactly."""
    fixed_panel.reply(raw=SEED_STATUS)
    assert await fixed_client.async_get_order_status(7) == OrderStatus(
        order_id=7,
        state=OrderState.PARTIAL,
        raw_status="Partial",
        charge=Decimal("0.27819"),
        start_count=3572,
        remains=157,
        currency="USD",
    )
    assert fixed_panel.forms[0]["order"] == "7"


async def test_seed_status_bulk(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The seed's bulk status: two statuses and a nested per-id error."""
    fixed_panel.reply(raw=SEED_STATUS_BULK)
    assert await fixed_client.async_get_orders_status([1, 10, 100]) == {
        1: OrderStatus(
            1, OrderState.PARTIAL, "Partial", Decimal("0.27819"), 3572, 157, "USD"
        ),
        10: ItemError("Incorrect order ID"),
        100: OrderStatus(
            100,
            OrderState.IN_PROGRESS,
            "In progress",
            Decimal("1.44219"),
            234,
            10,
            "USD",
        ),
    }
    assert fixed_panel.forms[0]["orders"] == "1,10,100"


async def test_seed_refill(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The seed's refill example sends the id as a string: parsed to an int."""
    fixed_panel.reply(raw=SEED_REFILL)
    assert await fixed_client.async_refill(5) == 1
    assert fixed_panel.forms[0]["order"] == "5"


async def test_seed_refill_bulk(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The seed's bulk refill: refill ids and a nested per-order error."""
    fixed_panel.reply(raw=SEED_REFILL_BULK)
    assert await fixed_client.async_refill_orders([1, 2, 3]) == {
        1: 1,
        2: 2,
        3: ItemError("Incorrect order ID"),
    }
    assert fixed_panel.forms[0]["orders"] == "1,2,3"


async def test_seed_refill_status(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The seed's single refill status example."""
    fixed_panel.reply(raw=SEED_REFILL_STATUS)
    assert await fixed_client.async_get_refill_status(1) == RefillStatus(
        1, RefillState.COMPLETED, "Completed"
    )
    assert fixed_panel.forms[0]["refill"] == "1"


async def test_seed_refill_status_bulk(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The seed's bulk refill status, with a nested per-refill error."""
    fixed_panel.reply(raw=SEED_REFILL_STATUS_BULK)
    assert await fixed_client.async_get_refills_status([1, 2, 3]) == {
        1: RefillStatus(1, RefillState.COMPLETED, "Completed"),
        2: RefillStatus(2, RefillState.REJECTED, "Rejected"),
        3: ItemError("Refill not found"),
    }
    assert fixed_panel.forms[0]["refills"] == "1,2,3"


async def test_seed_cancel(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The seed's cancel example: an error for 9, an accepted cancel for 2."""
    fixed_panel.reply(raw=SEED_CANCEL)
    assert await fixed_client.async_cancel_orders([9, 2]) == {
        9: ItemError("Incorrect order ID"),
        2: CancelResult(2),
    }
    assert fixed_panel.forms[0]["orders"] == "9,2"


async def test_seed_balance(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The seed's balance keeps all five decimals."""
    fixed_panel.reply(raw=SEED_BALANCE)
    balance = await fixed_client.async_get_balance()
    assert balance == Balance(Decimal("100.84292"), "USD")
    assert str(balance.amount) == "100.84292"


# --- variants seen on other panels ----------------------------------------------


async def test_flat_bulk_errors(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Flat per-item errors are read like nested ones."""
    fixed_panel.reply(
        [{"order": 1, "refill": 1001}, {"order": 3, "error": "Incorrect order ID"}]
    )
    assert await fixed_client.async_refill_orders([1, 3]) == {
        1: 1001,
        3: ItemError("Incorrect order ID"),
    }
    fixed_panel.reply(
        [
            {"refill": 1001, "status": "Pending"},
            {"refill": 3, "error": "Refill not found"},
        ]
    )
    assert await fixed_client.async_get_refills_status([1001, 3]) == {
        1001: RefillStatus(1001, RefillState.PENDING, "Pending"),
        3: ItemError("Refill not found"),
    }
    fixed_panel.reply(
        [{"order": 9, "error": "Incorrect order ID"}, {"order": 2, "cancel": 1}]
    )
    assert await fixed_client.async_cancel_orders([9, 2]) == {
        9: ItemError("Incorrect order ID"),
        2: CancelResult(2),
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, CancelResult(2)),
        ("1", CancelResult(2)),
        (True, CancelResult(2)),
        (501, CancelResult(2, 501)),
        ("7788", CancelResult(2, 7788)),
        (0, ItemError("Unexpected cancel reply: 0")),
        (False, ItemError("Unexpected cancel reply: False")),
        ("no", ItemError("Unexpected cancel reply: 'no'")),
        (None, ItemError("Unexpected cancel reply: None")),
    ],
)
async def test_cancel_values(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    value: Any,
    expected: CancelResult | ItemError,
) -> None:
    """`1`/true means accepted, other numbers are a cancel-request id, the rest fail."""
    fixed_panel.reply([{"order": 2, "cancel": value}])
    assert await fixed_client.async_cancel_orders([2]) == {2: expected}


async def test_refill_values(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Refill ids as digit strings or integers; floats and garbage are item errors.

    A float is not an id (issue 9, item 21): 1002.0 could be a rounded 1002.4.
    """
    fixed_panel.reply(
        [
            {"order": "1", "refill": "1001"},
            {"order": 2, "refill": 1002.0},
            {"order": 3, "refill": "pending"},
            {"order": 4},
        ]
    )
    assert await fixed_client.async_refill_orders([1, 2, 3, 4]) == {
        1: 1001,
        2: ItemError("Unexpected refill reply: 1002.0"),
        3: ItemError("Unexpected refill reply: 'pending'"),
        4: ItemError("Unexpected refill reply: None"),
    }


async def test_bulk_list_junk_items(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Items that are not objects or carry no usable id are skipped, not fatal."""
    fixed_panel.reply(
        [
            "junk",
            {"refill": "x", "status": "Completed"},
            {"refill": 5, "status": "Completed"},
        ]
    )
    assert await fixed_client.async_get_refills_status([5, 6]) == {
        5: RefillStatus(5, RefillState.COMPLETED, "Completed"),
        6: ItemError("No reply from the panel for this id"),
    }


async def test_bulk_status_junk_entries(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Non-numeric keys and non-object values never crash the bulk status."""
    fixed_panel.reply(
        {"abc": {"status": "Completed"}, "5": "Completed", "6": {"status": "Pending"}}
    )
    result = await fixed_client.async_get_orders_status([5, 6])
    assert result == {
        5: ItemError("No reply from the panel for this id"),
        6: OrderStatus(6, OrderState.PENDING, "Pending"),
    }


async def test_numbers_as_numbers(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Every numeric field may be a JSON number, including floats for money."""
    fixed_panel.reply(
        {
            "charge": 0.27819,
            "start_count": 3572,
            "status": "Partial",
            "remains": 157.0,
            "currency": "USD",
        }
    )
    status = await fixed_client.async_get_order_status(1)
    assert (status.charge, status.start_count, status.remains) == (
        Decimal("0.27819"),
        3572,
        157,
    )
    assert str(status.charge) == "0.27819"  # not the float's binary expansion
    fixed_panel.reply({"balance": 100.84292, "currency": "USD"})
    assert (await fixed_client.async_get_balance()).amount == Decimal("100.84292")
    fixed_panel.reply(
        [
            {
                "service": 1,
                "name": "F",
                "type": "Default",
                "category": "C",
                "rate": 0.9,
                "min": 50,
                "max": 10000,
                "refill": 1,
                "cancel": "0",
                "dripfeed": "true",
            }
        ]
    )
    (service,) = await fixed_client.async_get_catalogue()
    assert (service.rate, service.min, service.max) == (Decimal("0.9"), 50, 10000)
    assert (service.refill, service.cancel, service.dripfeed) == (True, False, True)


@pytest.mark.parametrize(
    ("decimals", "text"),
    [(2, "100.84"), (4, "100.8429"), (5, "100.84292")],
)
@pytest.mark.parametrize("as_numbers", [False, True], ids=["strings", "numbers"])
async def test_money_decimals(
    client: SmmPanelClient,
    panel: PanelSimulator,
    decimals: int,
    text: str,
    as_numbers: bool,
) -> None:
    """Money with 2, 4 or 5 decimals comes back exact, as string or number."""
    panel.dialect.money_decimals = decimals
    panel.dialect.numbers_as_numbers = as_numbers
    # As numbers the simulator sends the balance unrounded: give it the decimals.
    panel.set_balance(Decimal(text))
    balance = await client.async_get_balance()
    assert balance.amount == Decimal(text)
    if not as_numbers:
        assert str(balance.amount) == text  # the exponent too, not just the value
    order = panel.create_order(3, 1234)  # 2.40 per 1000: 2.9616
    status = await client.async_get_order_status(order.order_id)
    assert status.charge == order.charge
    assert isinstance(status.charge, Decimal)


async def test_services_unreadable_entries_skipped(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Entries with an unreadable rate, id or limits are left out, others kept."""
    good = {
        "service": 5,
        "name": "Likes",
        "type": "Default",
        "category": "Likes",
        "rate": "0.1234",
        "min": "10",
        "max": "5000",
    }
    fixed_panel.reply(
        [
            good,
            {**good, "service": 6, "rate": "N/A"},
            {**good, "service": 7, "rate": None},
            {**good, "service": 8, "rate": "NaN"},
            {**good, "service": "x"},
            {**good, "service": 9, "min": ""},
            {**good, "service": 10, "max": "1e3.5"},
            "not a service",
            {**good, "service": 11, "rate": "Infinity"},
        ]
    )
    services = await fixed_client.async_get_catalogue()
    assert [s.service_id for s in services] == [5]
    assert services[0].rate == Decimal("0.1234")
    assert services[0].type == "Default"


async def test_services_defaults(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Missing name/type/category/flags get neutral defaults."""
    fixed_panel.reply([{"service": 5, "rate": "1", "min": 1, "max": 2}])
    assert await fixed_client.async_get_catalogue() == [
        CatalogueItem(5, "", "Default", "", Decimal(1), 1, 2)
    ]


async def test_unknown_fields_ignored(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Extra fields some panels add change nothing."""
    fixed_panel.reply(
        {
            "charge": "1.5",
            "start_count": "0",
            "status": "Completed",
            "remains": "0",
            "currency": "EUR",
            "link": "https://x",
            "service": 1,
            "extra": {"a": [1]},
        }
    )
    assert await fixed_client.async_get_order_status(3) == OrderStatus(
        3, OrderState.COMPLETED, "Completed", Decimal("1.5"), 0, 0, "EUR"
    )
    fixed_panel.reply({"balance": "5", "currency": "EUR", "credit": "0", "name": "me"})
    assert await fixed_client.async_get_balance() == Balance(Decimal(5), "EUR")
    fixed_panel.reply({"balance": "5"})
    assert await fixed_client.async_get_balance() == Balance(Decimal(5), "USD")
    fixed_panel.reply({"status": "Completed", "refill": 4, "order": 9})
    assert await fixed_client.async_get_refill_status(4) == RefillStatus(
        4, RefillState.COMPLETED, "Completed"
    )


async def test_status_missing_fields(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """A status reply with only a status still parses; unreadable numbers are None."""
    fixed_panel.reply({"status": "pending", "charge": "", "remains": "n/a"})
    assert await fixed_client.async_get_order_status(3) == OrderStatus(
        3, OrderState.PENDING, "pending"
    )


@pytest.mark.parametrize(
    "raw",
    ["On hold", "Awaiting", "", "In review", "Refill"],
)
async def test_unknown_status_kept_raw(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, raw: str
) -> None:
    """Unknown statuses are UNKNOWN (not final) with the raw text kept."""
    fixed_panel.reply({"status": raw})
    status = await fixed_client.async_get_order_status(1)
    assert (status.state, status.raw_status) == (OrderState.UNKNOWN, raw)
    assert not status.state.is_final
    fixed_panel.reply({"status": raw})
    refill = await fixed_client.async_get_refill_status(1)
    assert (refill.state, refill.raw_status) == (RefillState.UNKNOWN, raw)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ({"order": "abc"}, "The panel's reply holds no order id"),
        ({"order": None}, "The panel's reply holds no order id"),
        ({"status": "ok"}, "The panel's reply holds no order id"),
        ([23501], "The panel's reply holds no order id"),
    ],
)
async def test_add_reply_without_order_id(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, reply: Any, message: str
) -> None:
    """A reply to add without an order id leaves the order's state unknown."""
    fixed_panel.reply(reply)
    with pytest.raises(SmmPanelOrderStateUnknownError, match=message):
        await fixed_client.async_add_order(
            OrderRequest(service=1, link="x", quantity=1)
        )
    assert fixed_panel.count("add") == 1


@pytest.mark.parametrize(
    ("method", "args", "reply", "message"),
    [
        (
            "async_get_balance",
            (),
            {"currency": "USD"},
            "Balance reply holds no balance",
        ),
        (
            "async_get_balance",
            (),
            {"balance": "lots"},
            "Balance reply holds no balance",
        ),
        ("async_get_balance", (), "100", "Balance reply is not an object"),
        ("async_get_catalogue", (), {"1": {}}, "Services reply is not a list"),
        (
            "async_get_order_status",
            (1,),
            {"remains": "5"},
            "Status reply holds no status",
        ),
        ("async_get_orders_status", ([1],), [], "Bulk status reply is not an object"),
        ("async_refill", (1,), {"refill": None}, "Refill reply holds no refill id"),
        ("async_refill", (1,), [1], "Refill reply holds no refill id"),
        ("async_refill_orders", ([1],), "1", "Bulk reply is not a list"),
        (
            "async_get_refill_status",
            (1,),
            ["Completed"],
            "Refill status reply holds no status",
        ),
        (
            "async_get_refills_status",
            ([1],),
            {"1": "Completed"},
            "Bulk reply is not a list",
        ),
        (
            "async_cancel_orders",
            ([1],),
            {"order": 1, "cancel": 1},
            "Bulk reply is not a list",
        ),
    ],
)
async def test_wrong_shapes(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    method: str,
    args: tuple[Any, ...],
    reply: Any,
    message: str,
) -> None:
    """Valid JSON of the wrong shape is an invalid reply, never a crash."""
    fixed_panel.reply(reply)
    with pytest.raises(SmmPanelInvalidResponseError, match=message):
        await getattr(fixed_client, method)(*args)


# --- the parsers on their own -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.90", Decimal("0.90")),
        (" 12.5 ", Decimal("12.5")),
        (0.1, Decimal("0.1")),
        (3, Decimal(3)),
        ("1e3", Decimal(1000)),
        (None, None),
        (True, None),
        ("", None),
        ("abc", None),
        ("NaN", None),
        ("-Infinity", None),
        (float("inf"), None),
    ],
)
def test_parse_decimal(value: Any, expected: Decimal | None) -> None:
    """Strings and numbers parse exactly; anything else is None."""
    assert parse_decimal(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("157", 157),
        (157, 157),
        ("157.0", 157),
        (157.0, 157),
        ("157.5", None),
        (False, None),
        ("x", None),
        (None, None),
    ],
)
def test_parse_int(value: Any, expected: int | None) -> None:
    """Integers come as strings, ints or integral floats."""
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
        ("true", True),
        ("False", False),
        (" Yes ", True),
        ("on", True),
        ("", False),
        (None, False),
    ],
)
def test_parse_bool(value: Any, expected: bool) -> None:
    """Flags come as booleans, numbers or words."""
    assert parse_bool(value) is expected


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("Pending", OrderState.PENDING),
        ("In progress", OrderState.IN_PROGRESS),
        ("IN_PROGRESS", OrderState.IN_PROGRESS),
        ("in-progress", OrderState.IN_PROGRESS),
        ("Processing", OrderState.PROCESSING),
        ("PARTIAL", OrderState.PARTIAL),
        ("Completed", OrderState.COMPLETED),
        ("Canceled", OrderState.CANCELED),
        ("cancelled", OrderState.CANCELED),
        ("Refunded", OrderState.REFUNDED),
        ("Fail", OrderState.FAILED),
        ("failed", OrderState.FAILED),
        ("Error", OrderState.FAILED),
        ("Whatever", OrderState.UNKNOWN),
        (None, OrderState.UNKNOWN),
    ],
)
def test_normalize_order_status(raw: str | None, state: OrderState) -> None:
    """Every spelling of SPEC section 3 maps to its state, in any case."""
    assert normalize_order_status(raw) is state


def test_final_order_states() -> None:
    """Partial, completed, canceled, refunded and failed are final (SPEC 3)."""
    assert {s for s in OrderState if s.is_final} == {
        OrderState.PARTIAL,
        OrderState.COMPLETED,
        OrderState.CANCELED,
        OrderState.REFUNDED,
        OrderState.FAILED,
    }
    assert [s.value for s in OrderState] == [
        "pending",
        "in_progress",
        "processing",
        "partial",
        "completed",
        "canceled",
        "refunded",
        "failed",
        "unknown",
    ]


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("Pending", RefillState.PENDING),
        ("In progress", RefillState.IN_PROGRESS),
        ("processing", RefillState.PROCESSING),
        ("Completed", RefillState.COMPLETED),
        ("REJECTED", RefillState.REJECTED),
        ("Error", RefillState.ERROR),
        ("Canceled", RefillState.UNKNOWN),
        (None, RefillState.UNKNOWN),
    ],
)
def test_normalize_refill_status(raw: str | None, state: RefillState) -> None:
    """Refill statuses normalise the same way."""
    assert normalize_refill_status(raw) is state
    assert state.is_final is (
        state in {RefillState.COMPLETED, RefillState.REJECTED, RefillState.ERROR}
    )


def test_order_request_form() -> None:
    """Fields are sent as text; lists newline separated; None and absent left out."""
    request = OrderRequest(
        service=18,
        extra={
            "username": "someone",
            "min": 100,
            "max": Decimal(200),
            "posts": 5,
            "comments": ("a", "b"),
            "expiry": None,  # type: ignore[dict-item]
        },
    )
    assert request.to_form() == {
        "service": "18",
        "username": "someone",
        "min": "100",
        "max": "200",
        "posts": "5",
        "comments": "a\nb",
    }
    assert OrderRequest(service=6, link="https://x").to_form() == {
        "service": "6",
        "link": "https://x",
    }
