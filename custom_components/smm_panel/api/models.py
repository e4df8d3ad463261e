"""Typed replies of the panel API and the lenient parsers behind them.

Panels send every number either as a JSON number or as a string, money with
2 to 5 decimals, and add fields of their own. Parsing accepts all of that and
ignores unknown fields, but refuses values that would cost money if guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
import math
import re
import reprlib
from typing import Any, Final
import unicodedata

from .exceptions import SmmPanelError, SmmPanelInvalidResponseError
from .status import (
    OrderState,
    RefillState,
    normalize_order_status,
    normalize_refill_status,
)

# The add fields that hold several values; panels want them newline separated.
LIST_FIELDS = frozenset({"comments", "usernames", "hashtags", "groups", "keywords"})


# Every number read from the panel has a range. Ids and counts stay below 2**53 (the
# largest integer a JSON reader of any language keeps exact); money stays below
# 10**12 with at most 12 decimals. A text is checked for its shape and length
# BEFORE it is converted: `int(Decimal("1e1000000"))` would block the event loop
# for seconds, and a 10 MB digit string costs as much.
MAX_ID: Final = 2**53 - 1
MAX_COUNT: Final = 2**53 - 1
MAX_MONEY: Final = Decimal(10) ** 12  # exclusive: abs(amount) < MAX_MONEY
MAX_MONEY_DECIMALS: Final = 12
# Longest number text looked at: 16 digits of an id, a sign, a point, 12 decimals
# and some leading zeros or spaces fit easily.
_MAX_NUMBER_TEXT: Final = 64
_MAX_INT_DIGITS: Final = len(str(MAX_COUNT))  # 16
_MAX_ADJUSTED: Final = 40  # parse_decimal: magnitudes from 1e-40 to 1e40

_DIGITS: Final = re.compile(r"[0-9]+")
# An integer as panels write counts: "157", "-3", "157.0" (fraction all zeros).
_INT_TEXT: Final = re.compile(r"([+-]?)0*([0-9]+)(?:\.0*)?")
# A plain decimal (no exponent): "0.27819", "-1.5", ".5", "12.".
_DECIMAL_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Anything that looks like a number but is not plain: exponent notation, "1e3.5",
# or digits too long to look at. Such a value is hostile, not merely absent.
_NUMBERISH: Final = re.compile(r"[+-]?(?:[0-9]|\.[0-9])[0-9.eE+-]*")


class NumberRangeError(SmmPanelInvalidResponseError):
    """A number from the panel is outside its range or written in a refused form."""


def _bounded_text(value: str) -> str | None:
    """Return the stripped text when it is short enough to look at."""
    if len(value) > _MAX_NUMBER_TEXT:
        return None
    return value.strip()


def parse_id(value: Any) -> int | None:
    """Parse an id: a JSON integer or a text of ASCII digits, from 1 to MAX_ID.

    "12.0", 12.0, "1e3", "0", "-5", "+5", True, non-ASCII digits and anything of
    2**53 or more are not ids. Surrounding spaces are allowed. Never raises, and
    never converts more than 16 digits.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    if not isinstance(value, str):
        return None
    text = _bounded_text(value)
    if text is None or not _DIGITS.fullmatch(text):
        return None
    text = text.lstrip("0")
    if not text or len(text) > _MAX_INT_DIGITS:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def _parse_integer(value: Any) -> int | None:
    """Parse an integer from the panel, raising NumberRangeError when hostile.

    Returns None when the value is absent or not a number at all ("n/a", "",
    "157.5"); raises when it looks like a number but is out of range or written
    with an exponent or too many digits. Accepts (-2**53, 2**53).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if -MAX_COUNT <= value <= MAX_COUNT:
            return value
        raise NumberRangeError("a number from the panel is out of range")
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_COUNT:
            raise NumberRangeError("a number from the panel is out of range")
        return int(value) if value.is_integer() else None
    if not isinstance(value, str):
        return None
    text = _bounded_text(value)
    if text is None:
        if _NUMBERISH.match(value.lstrip()):
            raise NumberRangeError("a number from the panel is too long")
        return None
    match = _INT_TEXT.fullmatch(text)
    if match is None:
        if _NUMBERISH.fullmatch(text) and not _DECIMAL_TEXT.fullmatch(text):
            raise NumberRangeError("a number from the panel is not plain digits")
        return None
    sign, digits = match.groups()
    if len(digits) > _MAX_INT_DIGITS or int(digits) > MAX_COUNT:
        raise NumberRangeError("a number from the panel is out of range")
    return -int(digits) if sign == "-" else int(digits)


def parse_decimal(value: Any) -> Decimal | None:
    """Parse a number sent as a string or a JSON number; None when absent/invalid.

    Lenient (exponents allowed) but bounded in length; money read from the panel
    goes through the stricter `parse_money`.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)  # keeps 0.1 as 0.1, not its binary expansion
    elif isinstance(value, int):
        if abs(value) > MAX_COUNT:
            return None
        value = str(value)
    elif not isinstance(value, str) or len(value) > _MAX_NUMBER_TEXT:
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number.adjusted()) > _MAX_ADJUSTED:
        return None  # "1e300000" would cost seconds in any later int()
    return number


def _parse_money(value: Any) -> Decimal | None:
    """Parse money, raising NumberRangeError when hostile.

    None when absent or not a number ("n/a", ""); an error when it looks like a
    number but has an exponent, 10**12 or more, or more than 12 decimals.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if abs(value) < MAX_MONEY:
            return Decimal(value)
        raise NumberRangeError("an amount of money from the panel is out of range")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NumberRangeError("an amount of money from the panel is not finite")
        number = Decimal(repr(value))  # a float's repr is short, its exponent small
    elif isinstance(value, str):
        text = _bounded_text(value)
        if text is None:
            if _NUMBERISH.match(value.lstrip()):
                raise NumberRangeError("an amount of money from the panel is too long")
            return None
        if not _DECIMAL_TEXT.fullmatch(text):
            if _NUMBERISH.fullmatch(text):
                raise NumberRangeError(
                    "an amount of money from the panel is written with an exponent"
                )
            return None
        number = Decimal(text)
    else:
        return None
    return _check_money(number)


def _check_money(number: Decimal) -> Decimal:
    """Check the range and the decimals of an amount already parsed."""
    if abs(number) >= MAX_MONEY:
        raise NumberRangeError("an amount of money from the panel is out of range")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_MONEY_DECIMALS:
        raise NumberRangeError(
            "an amount of money from the panel has too many decimals"
        )
    return number


def parse_money(value: Any) -> Decimal | None:
    """Parse money (charge, rate, balance): None when absent, invalid or hostile."""
    try:
        return _parse_money(value)
    except NumberRangeError:
        return None


def parse_int(value: Any) -> int | None:
    """Parse an integer sent as "157", 157, "157.0" or 157.0; None otherwise.

    Only values in (-2**53, 2**53) written without an exponent are integers.
    """
    try:
        return _parse_integer(value)
    except NumberRangeError:
        return None


def _named[_N](parse: Callable[[Any], _N], value: Any, name: str) -> _N:
    """Run a raising parser; a NumberRangeError names the field."""
    try:
        return parse(value)
    except NumberRangeError as err:
        raise NumberRangeError(f"{name}: {err}") from None


def _count(value: Any, name: str) -> int | None:
    """Parse a count (0 to MAX_COUNT); None when absent; NumberRangeError if hostile."""
    number = _named(_parse_integer, value, name)
    if number is not None and number < 0:
        raise NumberRangeError(f"{name}: a count from the panel is negative")
    return number


def parse_bool(value: Any) -> bool:
    """Parse a flag sent as true/false, 1/0 or "1"/"0"/"true"/"yes"."""
    if isinstance(value, str):
        return value.strip().casefold() in {"1", "true", "yes", "on"}
    return bool(value)


# Longest text kept from a panel field (a status, a currency, an error message).
MAX_TEXT: Final = 255
_MAX_NAME: Final = 1000
_MAX_MESSAGE: Final = 500
MAX_CURRENCY: Final = 8
_REPR: Final = reprlib.Repr(maxlevel=2, maxstring=60, maxother=60, maxlist=4, maxdict=4)


def short_repr(value: Any) -> str:
    """Return a bounded repr of panel data: never long, never deeply recursing.

    Cut in its middle; the client replaced the key in every string of a reply
    when it was decoded, so the cut cannot leave part of it.
    """
    return _REPR.repr(value)


def _currency_char(char: str) -> bool:
    """Return True for a letter (any script) or a currency sign ("€", "﷼")."""
    return char.isalpha() or unicodedata.category(char) == "Sc"


def currency_code(value: Any) -> str | None:
    """Return a currency code or sign; None otherwise.

    1 to 8 letters of any script or currency signs ("USD", "usdt", "€",
    "ريال"), with dots between them ("ر.س"). Anything else (a sentence,
    digits, spaces, invisible characters, an echo of the request) is not a
    currency: it would become a sensor's unit.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not 1 <= len(text) <= MAX_CURRENCY:
        return None
    parts = text.split(".")
    if all(part and all(_currency_char(char) for char in part) for part in parts):
        return text
    return None


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """Return a panel text field cut to `limit` characters; None when absent."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[:limit]
    return short_repr(value)[:limit]


def error_text(value: Any) -> str:
    """Return the text of a panel's {"error": value}, bounded, whatever its type.

    The key is already replaced (the client does it to every string of a reply
    as it decodes it): cutting comes after redacting.
    """
    if isinstance(value, str):
        return value if len(value) <= _MAX_MESSAGE else value[:_MAX_MESSAGE] + "…"
    return short_repr(value)


@dataclass(frozen=True, slots=True)
class ItemError:
    """The panel's error for one id of a bulk request.

    `cause` is set when the id's whole batch failed (connection, refused key,
    ...): it is that batch's exception, so a caller can tell "the panel has no
    such order" from "the request did not go through", and start reauthentication
    on an SmmPanelAuthenticationError. It takes no part in equality.
    """

    message: str
    cause: SmmPanelError | None = field(default=None, compare=False, repr=False)


# Currency symbols and group separators a balance text may hold (C: "$12.50",
# "1,234.50", "12.50 USD", "€ 1 234.50").
_GROUP_SEPARATORS: Final = frozenset({",", " ", "\u00a0", "\u202f", "'"})
_CURRENCY_CODE: Final = re.compile(r"[A-Za-z]{3}")
_LETTERS: Final = re.compile(r"[A-Za-z]+")
_SYMBOL_PREFIX: Final = re.compile(r"\b[A-Za-z]{1,2}(?=[$\u00a3\u00a5\u20ac])")


def parse_balance_text(text: str) -> tuple[Decimal, str | None]:
    """Parse a balance written as text; return the amount and a currency code.

    Strips currency symbols and one three-letter code (either end) and digit
    groups separated by spaces or apostrophes; a comma separates thousands only
    next to a decimal point, in groups of exactly three digits. Anything else,
    such as "1,5" or "12,345" (decimal comma or thousands?), raises
    SmmPanelInvalidResponseError naming the reason.
    """
    if len(text) > _MAX_NUMBER_TEXT:
        raise SmmPanelInvalidResponseError("the balance text is too long")
    code: str | None = None
    # "R$", "US$", "C$": letters glued to a symbol belong to the symbol.
    text = _SYMBOL_PREFIX.sub(" ", text)
    words = _LETTERS.findall(text)
    if words:
        if len(words) > 1 or not _CURRENCY_CODE.fullmatch(words[0]):
            raise SmmPanelInvalidResponseError(
                f"{short_repr(text)} is not an amount of money"
            )
        code = words[0].upper()
        text = text.replace(words[0], " ", 1)
    text = "".join(
        " " if unicodedata.category(char) == "Sc" else char for char in text
    ).strip()
    sign = ""
    if text[:1] in {"+", "-"}:
        sign, text = text[0], text[1:].strip()
    number = _ungroup(text)
    if number is None:
        raise SmmPanelInvalidResponseError(
            f"{short_repr(text)} is not an amount of money"
        )
    amount = _parse_money(sign + number)
    if amount is None:  # pragma: no cover - _ungroup returns digits only
        raise SmmPanelInvalidResponseError("the balance text holds no amount")
    return amount, code


def _ungroup(text: str) -> str | None:
    """Remove digit-group separators from a number; None when it is ambiguous."""
    whole, point, fraction = text.partition(".")
    if point and not (fraction.isascii() and fraction.isdigit()):
        return None
    separators = {char for char in whole if char in _GROUP_SEPARATORS}
    if not separators:
        digits = whole
    else:
        if len(separators) > 1:
            return None
        (separator,) = separators
        if separator == "," and not point:
            raise SmmPanelInvalidResponseError(
                f"{short_repr(text)} is ambiguous: the comma may be a decimal "
                "separator or a thousands separator"
            )
        groups = whole.split(separator)
        if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
            raise SmmPanelInvalidResponseError(
                f"{short_repr(text)} is ambiguous: its digits are not grouped by "
                "thousands"
            )
        digits = "".join(groups)
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    return f"{digits}.{fraction}" if fraction else digits


def _grouped_money(value: Any) -> Decimal | None:
    """Read money written with thousands separators, as PHP's number_format does.

    "1,250.50000" is 1250.5; a comma that may be a decimal comma ("1,250",
    "12,50") is not guessed: None.
    """
    if not isinstance(value, str) or "," not in value or "." not in value:
        return None
    try:
        amount, _ = parse_balance_text(value)
    except SmmPanelInvalidResponseError:
        return None
    return amount


def _absent(value: Any) -> bool:
    """Return True for a field left out, null or blank."""
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True, slots=True)
class Balance:
    """The account balance, in the account currency."""

    amount: Decimal
    currency: str

    @classmethod
    def from_json(cls, data: Any) -> Balance:
        """Parse a `balance` reply; a balance is money, so it must be exact.

        A text balance may carry a currency symbol or code and digit groups
        ("$1,234.50"); a reply that cannot be read without guessing raises
        SmmPanelInvalidResponseError saying why.
        """
        if not isinstance(data, Mapping):
            raise SmmPanelInvalidResponseError("Balance reply is not an object")
        raw = data.get("balance")
        code: str | None = None
        try:
            amount = _parse_money(raw)
            if amount is None and isinstance(raw, str) and raw.strip():
                amount, code = parse_balance_text(raw)
        except SmmPanelInvalidResponseError as err:
            raise SmmPanelInvalidResponseError(
                f"Balance reply holds no balance: {err}"
            ) from None
        if amount is None:
            raise SmmPanelInvalidResponseError("Balance reply holds no balance")
        raw_currency = data.get("currency")
        currency = currency_code(raw_currency)
        if currency is None and not _absent(raw_currency):
            raise SmmPanelInvalidResponseError(
                "Balance reply holds no usable currency: it is not a code or sign "
                f"of 1 to {MAX_CURRENCY} letters or currency signs"
            )
        if code and currency and code != currency.upper():
            raise SmmPanelInvalidResponseError(
                f"Balance reply holds no balance: the amount is in {code} but "
                f"the currency is {short_repr(currency)}"
            )
        return cls(amount=amount, currency=currency or code or "USD")


class SharedValues:
    """Values met again and again in one catalogue, each kept once.

    150 000 services have a few dozen types and categories, and a few thousand
    distinct rates and limits: sharing one object per value saves much of the
    memory a catalogue takes (and the parsing of a rate already seen).
    """

    __slots__ = ("_counts", "_rates", "_texts")

    def __init__(self) -> None:
        """Start with nothing seen."""
        self._texts: dict[str, str] = {}
        self._counts: dict[int, int] = {}
        self._rates: dict[str, Decimal] = {}

    def text(self, value: str) -> str:
        """Return the text seen before equal to `value`, or `value`."""
        return self._texts.setdefault(value, value)

    def count(self, value: int) -> int:
        """Return the integer seen before equal to `value`, or `value`."""
        return self._counts.setdefault(value, value)

    def money(self, value: Any) -> Decimal | None:
        """Parse money like `_parse_money`; a text seen before is parsed once.

        Keyed by the text, so "0.90" and "0.9" keep their own form.
        """
        if not isinstance(value, str):
            return _parse_money(value)
        amount = self._rates.get(value)
        if amount is None:
            amount = _parse_money(value)
            if amount is not None:
                self._rates[value] = amount
        return amount


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """One service of the panel's catalogue."""

    service_id: int
    name: str
    type: str
    category: str
    rate: Decimal
    min: int
    max: int
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False

    @classmethod
    def from_json(
        cls, data: Any, shared: SharedValues | None = None
    ) -> CatalogueItem | None:
        """Parse one catalogue entry; None when its price or limits are unreadable.

        Also None when a number is out of range (id, a negative or huge rate,
        min or max): such an entry cannot be priced safely. Entries parsed
        with the same `shared` share equal values.
        """
        if not isinstance(data, Mapping):
            return None
        shared = shared or SharedValues()
        try:
            rate = shared.money(data.get("rate"))
            minimum = _count(data.get("min"), "min")
            maximum = _count(data.get("max"), "max")
        except NumberRangeError:
            return None
        service_id = parse_id(data.get("service"))
        if (
            service_id is None
            or rate is None
            or rate < 0
            or minimum is None
            or maximum is None
        ):
            return None
        return cls(
            service_id=service_id,
            name=_text(data.get("name"), _MAX_NAME) or "",
            type=shared.text(_text(data.get("type")) or "Default"),
            category=shared.text(_text(data.get("category"), _MAX_NAME) or ""),
            rate=rate,
            min=shared.count(minimum),
            max=shared.count(maximum),
            refill=parse_bool(data.get("refill", False)),
            cancel=parse_bool(data.get("cancel", False)),
            dripfeed=parse_bool(data.get("dripfeed", False)),
        )

    def estimate_charge(self, quantity: int) -> Decimal:
        """Return the price of `quantity` units (rate is per 1000)."""
        return self.rate * quantity / 1000


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """The status of one order."""

    order_id: int
    state: OrderState
    raw_status: str | None
    charge: Decimal | None = None
    start_count: int | None = None
    remains: int | None = None
    currency: str | None = None

    @classmethod
    def from_json(cls, order_id: int, data: Mapping[str, Any]) -> OrderStatus:
        """Parse the status object of one order.

        Unreadable numbers ("", "n/a") are None. A number out of range (2**64,
        "1e20", a charge of 10**12) raises NumberRangeError: guessing it would
        be worse than reporting this one order as an error. A negative `remains`
        is 0 (panels report an over-delivery so), a negative `start_count` None.
        """
        raw = _text(data.get("status"))
        remains = _named(_parse_integer, data.get("remains"), "remains")
        start_count = _named(_parse_integer, data.get("start_count"), "start_count")
        charge = _named(_parse_money, data.get("charge"), "charge")
        if charge is None:
            charge = _grouped_money(data.get("charge"))
        if charge is not None and charge < 0:
            raise NumberRangeError("charge: an amount from the panel is negative")
        return cls(
            order_id=order_id,
            state=normalize_order_status(raw),
            raw_status=raw,
            charge=charge,
            start_count=None if start_count is None or start_count < 0 else start_count,
            remains=remains if remains is None else max(remains, 0),
            currency=currency_code(data.get("currency")),
        )


@dataclass(frozen=True, slots=True)
class RefillStatus:
    """The status of one refill."""

    refill_id: int
    state: RefillState
    raw_status: str | None

    @classmethod
    def from_raw(cls, refill_id: int, raw: Any) -> RefillStatus:
        """Build from the panel's status text."""
        text = _text(raw)
        return cls(refill_id, normalize_refill_status(text), text)


@dataclass(frozen=True, slots=True)
class CancelResult:
    """An accepted cancel request; some panels give it an id of its own."""

    order_id: int
    request_id: int | None = None


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """The fields of an `add` request.

    `extra` holds the fields specific to the service type (runs, interval,
    comments, username, ...). List fields may be given as a sequence of
    strings; they are sent newline separated.
    """

    service: int
    link: str | None = None
    quantity: int | None = None
    extra: Mapping[str, str | int | Decimal | Sequence[str]] = field(
        default_factory=dict
    )

    def to_form(self) -> dict[str, str]:
        """Return the form fields to send (without key and action)."""
        form = {"service": str(self.service)}
        if self.link is not None:
            form["link"] = self.link
        if self.quantity is not None:
            form["quantity"] = str(self.quantity)
        for name, value in self.extra.items():
            if value is None:
                continue
            if isinstance(value, str | int | Decimal):
                form[name] = str(value)
            else:
                form[name] = "\n".join(str(item) for item in value)
        return form
