"""Typed replies of the panel API and the lenient parsers behind them.

Panels send every number either as a JSON number or as a string, money with
2 to 5 decimals, and add fields of their own. Parsing accepts all of that and
ignores unknown fields, but refuses values that would cost money if guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .exceptions import SmmPanelInvalidResponseError
from .status import (
    OrderState,
    RefillState,
    normalize_order_status,
    normalize_refill_status,
)

# The add fields that hold several values; panels want them newline separated.
LIST_FIELDS = frozenset({"comments", "usernames", "hashtags", "groups", "keywords"})


def parse_decimal(value: Any) -> Decimal | None:
    """Parse a number sent as a string or a JSON number; None when absent/invalid."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)  # keeps 0.1 as 0.1, not its binary expansion
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_int(value: Any) -> int | None:
    """Parse an integer sent as "157", 157, "157.0" or 157.0; None otherwise."""
    number = parse_decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def parse_bool(value: Any) -> bool:
    """Parse a flag sent as true/false, 1/0 or "1"/"0"/"true"/"yes"."""
    if isinstance(value, str):
        return value.strip().casefold() in {"1", "true", "yes", "on"}
    return bool(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class ItemError:
    """The panel's error for one id of a bulk request."""

    message: str


@dataclass(frozen=True, slots=True)
class Balance:
    """The account balance, in the account currency."""

    amount: Decimal
    currency: str

    @classmethod
    def from_json(cls, data: Any) -> Balance:
        """Parse a `balance` reply; a balance is money, so it must be exact."""
        if not isinstance(data, Mapping):
            raise SmmPanelInvalidResponseError("Balance reply is not an object")
        amount = parse_decimal(data.get("balance"))
        if amount is None:
            raise SmmPanelInvalidResponseError("Balance reply holds no balance")
        return cls(amount=amount, currency=str(data.get("currency") or "USD"))


@dataclass(frozen=True, slots=True)
class Service:
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
    def from_json(cls, data: Any) -> Service | None:
        """Parse one catalogue entry; None when its price or limits are unreadable."""
        if not isinstance(data, Mapping):
            return None
        service_id = parse_int(data.get("service"))
        rate = parse_decimal(data.get("rate"))
        minimum = parse_int(data.get("min"))
        maximum = parse_int(data.get("max"))
        if service_id is None or rate is None or minimum is None or maximum is None:
            return None
        return cls(
            service_id=service_id,
            name=str(data.get("name") or ""),
            type=str(data.get("type") or "Default"),
            category=str(data.get("category") or ""),
            rate=rate,
            min=minimum,
            max=maximum,
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
        """Parse the status object of one order."""
        raw = _text(data.get("status"))
        return cls(
            order_id=order_id,
            state=normalize_order_status(raw),
            raw_status=raw,
            charge=parse_decimal(data.get("charge")),
            start_count=parse_int(data.get("start_count")),
            remains=parse_int(data.get("remains")),
            currency=_text(data.get("currency")),
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
