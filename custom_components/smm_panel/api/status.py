"""Normalisation of the order and refill statuses that panels report."""

from __future__ import annotations

from enum import StrEnum


class OrderState(StrEnum):
    """An order status, normalised from the many spellings panels use."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    PROCESSING = "processing"
    PARTIAL = "partial"
    COMPLETED = "completed"
    CANCELED = "canceled"
    REFUNDED = "refunded"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """Return True when the order will not change any more."""
        return self in FINAL_ORDER_STATES


FINAL_ORDER_STATES = frozenset(
    {
        OrderState.PARTIAL,
        OrderState.COMPLETED,
        OrderState.CANCELED,
        OrderState.REFUNDED,
        OrderState.FAILED,
    }
)


class RefillState(StrEnum):
    """A refill status, normalised."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    PROCESSING = "processing"
    COMPLETED = "completed"
    REJECTED = "rejected"
    ERROR = "error"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """Return True when the refill will not change any more."""
        return self in FINAL_REFILL_STATES


FINAL_REFILL_STATES = frozenset(
    {RefillState.COMPLETED, RefillState.REJECTED, RefillState.ERROR}
)


def _key(raw: str) -> str:
    """Fold case, spaces, dashes and underscores so spellings compare equal."""
    return "".join(ch for ch in raw.casefold() if ch.isalnum())


_ORDER_ALIASES: dict[str, OrderState] = {
    "pending": OrderState.PENDING,
    "inprogress": OrderState.IN_PROGRESS,
    "processing": OrderState.PROCESSING,
    "partial": OrderState.PARTIAL,
    "completed": OrderState.COMPLETED,
    "complete": OrderState.COMPLETED,
    # "Partial" is the panels' word for "delivered in part, the rest refunded".
    "partiallycompleted": OrderState.PARTIAL,
    "partiallyrefunded": OrderState.PARTIAL,
    "canceled": OrderState.CANCELED,
    "cancelled": OrderState.CANCELED,
    "canceledbyadmin": OrderState.CANCELED,
    "cancelledbyadmin": OrderState.CANCELED,
    "refunded": OrderState.REFUNDED,
    "fail": OrderState.FAILED,
    "failed": OrderState.FAILED,
    "error": OrderState.FAILED,
}

_REFILL_ALIASES: dict[str, RefillState] = {
    "pending": RefillState.PENDING,
    "inprogress": RefillState.IN_PROGRESS,
    "processing": RefillState.PROCESSING,
    "completed": RefillState.COMPLETED,
    "complete": RefillState.COMPLETED,
    "rejected": RefillState.REJECTED,
    "error": RefillState.ERROR,
}


def normalize_order_status(raw: str | None) -> OrderState:
    """Map a panel's order status text to an `OrderState`."""
    if raw is None:
        return OrderState.UNKNOWN
    return _ORDER_ALIASES.get(_key(raw), OrderState.UNKNOWN)


def normalize_refill_status(raw: str | None) -> RefillState:
    """Map a panel's refill status text to a `RefillState`."""
    if raw is None:
        return RefillState.UNKNOWN
    return _REFILL_ALIASES.get(_key(raw), RefillState.UNKNOWN)
