"""Hostile numbers from the panel (issue 9, items 3, 5, 8, 14, 21, 22).

Every integer the panel sends has a range (ids 1..2**53-1, counts 0..2**53-1),
money too (below 10**12, at most 12 decimals, no exponent). A value outside is
refused before it is converted: `int(Decimal("1e1000000"))` would block the
event loop for seconds. One bad order of a bulk reply is that order's error.
"""

from __future__ import annotations

from decimal import Decimal
import time
from typing import Any

import pytest

from custom_components.smm_panel.api import (
    MAX_COUNT,
    MAX_ID,
    MAX_MONEY,
    Balance,
    CancelResult,
    ItemError,
    OrderState,
    OrderStatus,
    RefillState,
    SmmPanelClient,
    SmmPanelInvalidResponseError,
    models,
    normalize_order_status,
    normalize_refill_status,
    parse_id,
)
from custom_components.smm_panel.api.models import (
    NumberRangeError,
    parse_balance_text,
    parse_decimal,
    parse_int,
    parse_money,
)

from .conftest import FixedPanel

HUGE_DIGITS = "9" * 100_000
# Values that look like numbers but must never be converted.
HOSTILE_NUMBERS: list[Any] = [
    "1e20",
    "1e300000",
    "1E1000000",
    "-1e300000",
    "1e3.5",
    HUGE_DIGITS,
    "0." + HUGE_DIGITS,
    2**64,
    10**4000,
    -(2**64),
    float("inf"),
    float("nan"),
    1e300,
]


# --- A. ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("1", 1),
        ("23501", 23501),
        (" 42 ", 42),
        ("007", 7),
        (MAX_ID, MAX_ID),
        (str(MAX_ID), MAX_ID),
        (MAX_ID + 1, None),
        (str(2**53), None),
        (2**64, None),
        ("18446744073709551616", None),
        (0, None),
        ("0", None),
        ("000", None),
        (-5, None),
        ("-5", None),
        ("+5", None),
        ("12.0", None),
        (12.0, None),
        ("1e3", None),
        ("1e300000", None),
        ("١٢٣", None),  # Arabic-Indic digits: not ASCII
        ("1 2", None),
        ("", None),
        (True, None),
        (False, None),
        (None, None),
        ([1], None),
        ({"id": 1}, None),
        (HUGE_DIGITS, None),
        ("0" * 100 + "1", None),  # too long to look at, even if small
    ],
    ids=lambda value: repr(value)[:24],
)
def test_parse_id(value: Any, expected: int | None) -> None:
    """8, 21: an id is a JSON integer or ASCII digits, from 1 to 2**53 - 1."""
    assert MAX_ID == 2**53 - 1
    result = parse_id(value)
    assert result == expected
    assert result is None or type(result) is int


def test_parse_id_is_exported_for_the_home_assistant_side() -> None:
    """The HA side validates user-given ids with the very same rule."""
    from custom_components.smm_panel import api

    assert api.parse_id is parse_id
    assert {"parse_id", "MAX_ID", "MAX_COUNT", "MAX_MONEY"} <= set(api.__all__)


# --- A. no huge number is ever built -------------------------------------------


class _GuardedInt(type):
    """Metaclass of a stand-in for `int`: isinstance works, long conversions fail."""

    calls = 0

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, int)

    def __call__(cls, value: Any = 0, *args: Any) -> int:
        _GuardedInt.calls += 1
        if isinstance(value, str):
            assert len(value) <= 20, f"int() of {len(value)} characters"
        elif isinstance(value, Decimal):
            assert value.adjusted() < 20, "int() of a huge Decimal"
        return int(value, *args)


class _GuardedDecimal(type):
    """Metaclass of a stand-in for `Decimal`: long texts and huge values fail."""

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Decimal)

    def __call__(cls, value: Any = "0", *args: Any) -> Decimal:
        if isinstance(value, str):
            assert len(value) <= 64, f"Decimal() of {len(value)} characters"
        # Decimal("1e300000") itself is cheap; converting it to int is not.
        return Decimal(value, *args)


class GuardedInt(metaclass=_GuardedInt):
    """Stands in for `int` in the models module."""


class GuardedDecimal(metaclass=_GuardedDecimal):
    """Stands in for `Decimal` in the models module."""


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every int()/Decimal() call of the parsers check its size."""
    monkeypatch.setattr(models, "int", GuardedInt, raising=False)
    monkeypatch.setattr(models, "Decimal", GuardedDecimal)
    _GuardedInt.calls = 0


def _hostile_status(value: Any) -> dict[str, Any]:
    return {"status": "In progress", "remains": value}


@pytest.mark.parametrize("value", HOSTILE_NUMBERS, ids=lambda v: repr(v)[:16])
@pytest.mark.parametrize("field", ["remains", "start_count", "charge"])
def test_hostile_number_never_converted(guarded: None, field: str, value: Any) -> None:
    """3, 5: an absurd number is refused from its text, quickly (pure parse)."""
    data = {"status": "In progress", field: value}
    started = time.process_time()
    with pytest.raises(NumberRangeError, match=field):
        OrderStatus.from_json(1, data)
    # CPU time of this process only: other load on the machine does not count.
    assert time.process_time() - started < 0.1


@pytest.mark.parametrize("value", HOSTILE_NUMBERS, ids=lambda v: repr(v)[:16])
def test_hostile_number_lenient_parsers(guarded: None, value: Any) -> None:
    """The never-raising parsers say None for the same values, just as quickly."""
    started = time.process_time()
    assert parse_int(value) is None
    assert parse_money(value) is None
    assert parse_id(value) is None
    lenient = parse_decimal(value)
    assert lenient is None or abs(lenient) < 10**41
    assert time.process_time() - started < 0.1


def test_hostile_bulk_reply_parses_quickly(guarded: None) -> None:
    """A whole hostile bulk reply goes through the parsers without a big number."""
    payload = {
        "1e300000": {"status": "Completed", "remains": "1e300000"},
        HUGE_DIGITS: {"status": "Completed"},
        **{
            str(i): _hostile_status(value)
            for i, value in enumerate(HOSTILE_NUMBERS, start=1)
        },
    }
    started = time.process_time()
    for key, value in payload.items():
        order_id = parse_id(key)
        if order_id is None:
            continue
        with pytest.raises(NumberRangeError):
            OrderStatus.from_json(order_id, value)
    assert time.process_time() - started < 0.1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("157", 157),
        (157, 157),
        ("157.0", 157),
        (157.0, 157),
        ("0", 0),
        (str(MAX_COUNT), MAX_COUNT),
        ("", None),
        ("n/a", None),
        ("157.5", None),  # not a count, but not hostile either
        (None, None),
    ],
)
def test_counts_in_range(value: Any, expected: int | None) -> None:
    """Counts from 0 to 2**53 - 1 pass as before; unreadable ones are None."""
    status = OrderStatus.from_json(1, {"status": "Pending", "remains": value})
    assert status.remains == expected


@pytest.mark.parametrize("value", [str(MAX_COUNT + 1), MAX_COUNT + 1, "1e3"])
def test_count_out_of_range(value: Any) -> None:
    """2**53 and exponent notation are out of range for a count."""
    with pytest.raises(NumberRangeError, match="remains"):
        OrderStatus.from_json(1, {"status": "Pending", "remains": value})


def test_negative_counts() -> None:
    """Negative remains is an over-delivery (0 left); negative start_count unknown."""
    status = OrderStatus.from_json(
        1, {"status": "Completed", "remains": "-25", "start_count": -1}
    )
    assert (status.remains, status.start_count) == (0, None)


# --- A. money -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.27819", Decimal("0.27819")),
        (0.27819, Decimal("0.27819")),
        (1e-05, Decimal("0.00001")),
        (3, Decimal(3)),
        ("999999999999.999999999999", Decimal("999999999999.999999999999")),
        ("", None),
        ("n/a", None),
        (None, None),
    ],
)
def test_money_in_range(value: Any, expected: Decimal | None) -> None:
    """Money below 10**12 with up to 12 decimals parses exactly."""
    status = OrderStatus.from_json(1, {"status": "Pending", "charge": value})
    assert status.charge == expected


@pytest.mark.parametrize(
    "value",
    [
        "1e5",
        "1E-3",
        str(MAX_MONEY),
        10**12,
        "-1000000000000",
        "0.1234567890123",  # 13 decimals
        1e-20,
        "-0.5",  # a charge is never negative
        float("inf"),
    ],
    ids=repr,
)
def test_money_out_of_range(value: Any) -> None:
    """A charge with an exponent, too big, too fine or negative is refused."""
    with pytest.raises(NumberRangeError, match="charge"):
        OrderStatus.from_json(1, {"status": "Pending", "charge": value})


# --- A. the same through the client ---------------------------------------------------


async def test_one_absurd_order_in_a_bulk_reply(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """3, 5: out-of-range values make that order an ItemError; others unaffected.

    An extra key "1e300000" is ignored (quickly: it is never converted).
    """
    body = (
        '{"1": {"status": "In progress", "remains": 18446744073709551616},'
        ' "2": {"status": "In progress", "remains": "1e300000"},'
        ' "3": {"status": "Partial", "charge": "1e1000000"},'
        ' "4": {"status": "In progress", "remains": "400", "charge": "0.9"},'
        ' "1e300000": {"status": "Completed", "remains": "0"},'
        f' "{HUGE_DIGITS}": {{"status": "Completed"}}}}'
    )
    fixed_panel.reply(raw=body)
    result = await fixed_client.async_get_orders_status([1, 2, 3, 4])
    assert result[4] == OrderStatus(
        4, OrderState.IN_PROGRESS, "In progress", Decimal("0.9"), None, 400
    )
    for order_id, field in ((1, "remains"), (2, "remains"), (3, "charge")):
        error = result[order_id]
        assert isinstance(error, ItemError)
        assert error.message.startswith("Unusable status reply")
        assert field in error.message
        assert error.cause is None  # the panel answered: not a failed batch
    assert list(result) == [1, 2, 3, 4]


async def test_absurd_single_status_is_invalid(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """The single-order status with an absurd number is an invalid reply."""
    fixed_panel.reply({"status": "Completed", "remains": "1e20"})
    with pytest.raises(SmmPanelInvalidResponseError, match="remains"):
        await fixed_client.async_get_order_status(1)


async def test_absurd_ids_in_bulk_lists(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """8, 21: refill and cancel-request ids out of range are per-order errors."""
    fixed_panel.reply(
        [
            {"order": 1, "refill": 2**64},
            {"order": 2, "refill": "1e5"},
            {"order": 3, "refill": 0},
            {"order": 4, "refill": "-7"},
            {"order": 5, "refill": 1005},
            {"order": "1e300000", "refill": 9},
        ]
    )
    result = await fixed_client.async_refill_orders([1, 2, 3, 4, 5])
    assert result[5] == 1005
    assert all(isinstance(result[i], ItemError) for i in (1, 2, 3, 4))
    fixed_panel.reply(
        [
            {"order": 1, "cancel": 2**64},
            {"order": 2, "cancel": "1e5"},
            {"order": 3, "cancel": 12.0},
            {"order": 4, "cancel": 1004},
        ]
    )
    cancels = await fixed_client.async_cancel_orders([1, 2, 3, 4])
    assert cancels[4] == CancelResult(4, 1004)
    assert all(isinstance(cancels[i], ItemError) for i in (1, 2, 3))


async def test_absurd_services_skipped(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """A catalogue entry with an absurd id, rate, min or max is left out."""
    good = {"service": 5, "rate": "0.9", "min": "10", "max": "5000"}
    fixed_panel.reply(
        [
            good,
            {**good, "service": 2**64},
            {**good, "service": "6.0"},
            {**good, "service": 7, "rate": "1e300000"},
            {**good, "service": 8, "rate": "-1"},
            {**good, "service": 9, "min": "-10"},
            {**good, "service": 10, "max": "1e20"},
            {**good, "service": 11, "max": 2**70},
            {**good, "service": 12, "name": "x" * 100_000},
        ]
    )
    services = await fixed_client.async_get_catalogue()
    assert [s.service_id for s in services] == [5, 12]
    assert len(services[1].name) == 1000  # long texts are cut


# --- C. balance text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("$12.50", "12.50", "USD"),
        ("1,234.50", "1234.50", "USD"),
        ("12,345,678.9", "12345678.9", "USD"),
        ("12.50 USD", "12.50", "USD"),
        ("USD 12.50", "12.50", "USD"),
        ("€ 1 234.50", "1234.50", "USD"),
        ("1 234", "1234", "USD"),
        ("1\u00a0234.5", "1234.5", "USD"),
        ("1'234.50", "1234.50", "USD"),
        ("R$ 10.00", "10.00", "USD"),
        ("-$3.10", "-3.10", "USD"),
        ("$-3.10", "-3.10", "USD"),
        (" 100.84292 ", "100.84292", "USD"),
    ],
)
async def test_balance_text_parsed(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    text: str,
    amount: str,
    currency: str,
) -> None:
    """14: symbols, a currency code and unambiguous digit groups are read."""
    fixed_panel.reply({"balance": text, "currency": "USD"})
    assert await fixed_client.async_get_balance() == Balance(Decimal(amount), currency)


async def test_balance_text_code_without_currency_field(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """14: the text's currency code is the currency when the reply has none."""
    fixed_panel.reply({"balance": "12.50 EUR"})
    assert await fixed_client.async_get_balance() == Balance(Decimal("12.50"), "EUR")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1,5", "ambiguous: the comma"),
        ("12,345", "ambiguous: the comma"),
        ("1.234,50", "not an amount"),
        ("12 50", "not grouped by thousands"),
        ("1,23.50", "not grouped by thousands"),
        ("1,234 567.5", "not an amount"),
        ("12.50 EUR", "in EUR but the currency is 'USD'"),
        ("12.50 US Dollars", "not an amount"),
        ("1e5", "exponent"),
        ("1,000,000,000,000.00", "out of range"),
        ("0.1234567890123", "too many decimals"),
        ("$" + "9" * 100, "too long"),
        ("lots", "not an amount"),
        ("$", "not an amount"),
    ],
)
async def test_balance_text_refused(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, text: str, reason: str
) -> None:
    """14: ambiguous or absurd balances are refused with the reason in the text."""
    fixed_panel.reply({"balance": text, "currency": "USD"})
    with pytest.raises(SmmPanelInvalidResponseError) as exc_info:
        await fixed_client.async_get_balance()
    message = str(exc_info.value)
    assert message.startswith("Balance reply holds no balance: ")
    assert reason in message
    assert len(message) < 300


def test_balance_text_pure() -> None:
    """The text parser on its own returns the amount and the code it found."""
    assert parse_balance_text("12.50 usd") == (Decimal("12.50"), "USD")
    assert parse_balance_text("£7") == (Decimal(7), None)


@pytest.mark.parametrize(
    "body",
    [
        '{"balance": 18446744073709551616}',
        '{"balance": 1e300}',
        '{"balance": Infinity}',
        '{"balance": NaN}',
        '{"balance": "1e20"}',
        '{"balance": "1e300000"}',
    ],
)
async def test_balance_numbers_out_of_range(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, body: str
) -> None:
    """A balance as an absurd JSON number (or exponent text) is refused too."""
    fixed_panel.reply(raw=body)
    with pytest.raises(SmmPanelInvalidResponseError, match="no balance"):
        await fixed_client.async_get_balance()


# --- E. status spellings --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("Complete", OrderState.COMPLETED),
        ("COMPLETE", OrderState.COMPLETED),
        ("Completed", OrderState.COMPLETED),
        ("Partially Completed", OrderState.PARTIAL),
        ("Partially completed", OrderState.PARTIAL),
        ("partially_completed", OrderState.PARTIAL),
        ("Partially Refunded", OrderState.PARTIAL),
        ("In Progress", OrderState.IN_PROGRESS),
        ("Canceled by admin", OrderState.CANCELED),
        ("Cancelled by admin", OrderState.CANCELED),
        ("Completing", OrderState.UNKNOWN),
        ("Partially", OrderState.UNKNOWN),
        ("Refill", OrderState.UNKNOWN),
        ("On hold", OrderState.UNKNOWN),
    ],
)
def test_status_spellings(raw: str, state: OrderState) -> None:
    """22: more spellings of real panels map to their state; unknowns stay unknown."""
    assert normalize_order_status(raw) is state


def test_refill_status_spellings() -> None:
    """22: "Complete" is a finished refill as well."""
    assert normalize_refill_status("Complete") is RefillState.COMPLETED
    assert normalize_refill_status("Partially Completed") is RefillState.UNKNOWN


async def test_hostile_status_text_bounded(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """A status that is huge or a nested object is kept short, not as it came."""
    nested: Any = "x"
    for _ in range(500):
        nested = [nested]
    fixed_panel.reply({"status": nested})
    status = await fixed_client.async_get_order_status(1)
    assert status.state is OrderState.UNKNOWN
    assert status.raw_status is not None
    assert len(status.raw_status) <= 255
    fixed_panel.reply({"status": "Completed" * 10_000, "currency": "U" * 1000})
    status = await fixed_client.async_get_order_status(1)
    assert status.raw_status is not None
    assert len(status.raw_status) == 255
    assert status.currency is None  # not a code of 1 to 8 letters


@pytest.mark.parametrize("value", [[1], {"a": 1}, "x" * 100, "abc", "--5"], ids=repr)
def test_non_numbers_are_absent(value: Any) -> None:
    """A value that is no number at all is None (lenient), not an error."""
    status = OrderStatus.from_json(
        1, {"status": "Pending", "remains": value, "charge": value}
    )
    assert (status.remains, status.charge) == (None, None)
