"""Parsing of panel replies: the API page's examples, other panels' variants, odd ones.

The real replies are the samples of tests/fixtures/protocol (docs/protocol.md,
section 11), shared with the simulator's tests; the odd ones are written here.
They are served over loopback HTTP by `fixed_panel`, byte for byte, so the whole
client path (transport, JSON, parsing) is exercised.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
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
    SmmPanelAuthenticationError,
    SmmPanelClient,
    SmmPanelError,
    SmmPanelInsufficientFundsError,
    SmmPanelInvalidResponseError,
    SmmPanelOrderStateUnknownError,
    SmmPanelRateLimitError,
    SmmPanelRequestError,
    normalize_order_status,
    normalize_refill_status,
)
from custom_components.smm_panel.api.models import parse_bool, parse_decimal, parse_int
from simulator import PanelSimulator
from tests.loopback import API_KEY
from tests.protocol_samples import sample, sample_names, sample_text

from .conftest import FixedPanel

# --- the examples of the SMM Queen API page (docs/protocol.md, section 2) ---------


async def test_example_services(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The API page's services example (no dripfeed field at all) parses exactly."""
    fixed_panel.reply(raw=sample_text("examples/services"))
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


async def test_example_add(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The API page's add example gives the order id; the form holds the fields."""
    fixed_panel.reply(raw=sample_text("examples/add"))
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


async def test_example_status(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The API page's single status example parses exactly."""
    fixed_panel.reply(raw=sample_text("examples/status"))
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


async def test_example_status_bulk(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The API page's bulk status: two statuses and a nested per-id error."""
    fixed_panel.reply(raw=sample_text("examples/status_bulk"))
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


async def test_example_refill(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The API page's refill example sends the id as a string: parsed to an int."""
    fixed_panel.reply(raw=sample_text("examples/refill"))
    assert await fixed_client.async_refill(5) == 1
    assert fixed_panel.forms[0]["order"] == "5"


async def test_example_refill_bulk(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The API page's bulk refill: refill ids and a nested per-order error."""
    fixed_panel.reply(raw=sample_text("examples/refill_bulk"))
    assert await fixed_client.async_refill_orders([1, 2, 3]) == {
        1: 1,
        2: 2,
        3: ItemError("Incorrect order ID"),
    }
    assert fixed_panel.forms[0]["orders"] == "1,2,3"


async def test_example_refill_status(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The API page's single refill status example."""
    fixed_panel.reply(raw=sample_text("examples/refill_status"))
    assert await fixed_client.async_get_refill_status(1) == RefillStatus(
        1, RefillState.COMPLETED, "Completed"
    )
    assert fixed_panel.forms[0]["refill"] == "1"


async def test_example_refill_status_bulk(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The API page's bulk refill status, with a nested per-refill error."""
    fixed_panel.reply(raw=sample_text("examples/refill_status_bulk"))
    assert await fixed_client.async_get_refills_status([1, 2, 3]) == {
        1: RefillStatus(1, RefillState.COMPLETED, "Completed"),
        2: RefillStatus(2, RefillState.REJECTED, "Rejected"),
        3: ItemError("Refill not found"),
    }
    assert fixed_panel.forms[0]["refills"] == "1,2,3"


async def test_example_cancel(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The API page's cancel example: an error for 9, an accepted cancel for 2."""
    fixed_panel.reply(raw=sample_text("examples/cancel"))
    assert await fixed_client.async_cancel_orders([9, 2]) == {
        9: ItemError("Incorrect order ID"),
        2: CancelResult(2),
    }
    assert fixed_panel.forms[0]["orders"] == "9,2"


async def test_example_balance(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The API page's balance keeps all five decimals."""
    fixed_panel.reply(raw=sample_text("examples/balance"))
    balance = await fixed_client.async_get_balance()
    assert balance == Balance(Decimal("100.84292"), "USD")
    assert str(balance.amount) == "100.84292"


# --- variants seen on other panels ----------------------------------------------


async def test_flat_bulk_errors(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Flat per-item errors are read like nested ones (docs/protocol.md, section 5)."""
    fixed_panel.reply(raw=sample_text("dialects/refill_bulk_flat_errors"))
    assert await fixed_client.async_refill_orders([1, 3]) == {
        1: 1001,
        3: ItemError("Incorrect order ID"),
    }
    fixed_panel.reply(raw=sample_text("dialects/refill_status_bulk_flat_errors"))
    assert await fixed_client.async_get_refills_status([1001, 3]) == {
        1001: RefillStatus(1001, RefillState.PENDING, "Pending"),
        3: ItemError("Refill not found"),
    }
    fixed_panel.reply(raw=sample_text("dialects/cancel_flat_errors"))
    assert await fixed_client.async_cancel_orders([9, 2]) == {
        9: ItemError("Incorrect order ID"),
        2: CancelResult(2),
    }


async def test_cancel_request_ids(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """A panel that queues cancellations answers a request id, not a final cancel."""
    fixed_panel.reply(raw=sample_text("dialects/cancel_request_ids"))
    assert await fixed_client.async_cancel_orders([100010, 9]) == {
        100010: CancelResult(100010, 1004),
        9: ItemError("Incorrect order ID"),
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
    fixed_panel.reply(raw=sample_text("dialects/status_numbers"))
    status = await fixed_client.async_get_order_status(1)
    assert (status.charge, status.start_count, status.remains) == (
        Decimal("0.27819"),
        3572,
        157,
    )
    assert str(status.charge) == "0.27819"  # not the float's binary expansion
    # A count may even come as an integral float.
    fixed_panel.reply({**sample("dialects/status_numbers"), "remains": 157.0})
    assert (await fixed_client.async_get_order_status(1)).remains == 157
    fixed_panel.reply(raw=sample_text("dialects/balance_numbers"))
    assert (await fixed_client.async_get_balance()).amount == Decimal("100.84292")
    fixed_panel.reply(raw=sample_text("dialects/services_numbers"))
    (service,) = await fixed_client.async_get_catalogue()
    assert (service.rate, service.min, service.max) == (Decimal("0.9"), 50, 10000)
    assert (service.refill, service.cancel, service.dripfeed) == (True, True, True)


async def test_flags_as_numbers_and_words(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The catalogue's flags may be 1/0, "0" or "true" as well as booleans."""
    (example,) = sample("dialects/services_numbers")
    fixed_panel.reply([{**example, "refill": 1, "cancel": "0", "dripfeed": "true"}])
    (service,) = await fixed_client.async_get_catalogue()
    assert (service.refill, service.cancel, service.dripfeed) == (True, False, True)


# Every error reply of tests/fixtures/protocol/errors and the exception it is
# (docs/protocol.md, section 6); the rest are plain refusals.
ERROR_CLASSES: dict[str, type[SmmPanelError]] = {
    "errors/invalid_key": SmmPanelAuthenticationError,
    "errors/not_enough_funds": SmmPanelInsufficientFundsError,
    "errors/raw_key_not_enough_funds": SmmPanelInsufficientFundsError,
    "errors/rate_limit": SmmPanelRateLimitError,
}


@pytest.mark.parametrize("name", sample_names("errors"))
async def test_error_replies(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    session: aiohttp.ClientSession,
    name: str,
) -> None:
    """Each error reply seen in the wild raises its exception, with the panel's text.

    Sent in reply to `add`, it is a refusal too: nothing was placed, never "state
    unknown".
    """
    reply = sample(name)
    expected = ERROR_CLASSES.get(name, SmmPanelRequestError)
    fixed_panel.reply(raw=sample_text(name))
    with pytest.raises(expected) as caught:
        await fixed_client.async_get_balance()
    assert reply["error"] in str(caught.value)
    # A new client: a rate-limit refusal pauses the first one for a minute.
    placing = SmmPanelClient(session, API_KEY, fixed_panel.url, retries=0)
    with pytest.raises(expected) as caught:
        await placing.async_add_order(
            OrderRequest(service=1, link="https://x", quantity=100)
        )
    assert not isinstance(caught.value, SmmPanelOrderStateUnknownError)
    assert fixed_panel.count("add") == 1


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
    """Every spelling of docs/protocol.md, section 4 maps to its state, in any case."""
    assert normalize_order_status(raw) is state


def test_final_order_states() -> None:
    """Partial, completed, canceled, refunded and failed are final (protocol.md 4)."""
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
