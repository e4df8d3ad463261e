"""The outward shapes of orders and refills: one builder for each.

Action responses name an order `order`; events and entity attributes name it
`order_id` (the names users already put in automations). Storage has its own
form, `TrackedOrder.as_storage`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeassistant.util import dt as dt_util

from .api import (
    CancelResult,
    CatalogueItem,
    ItemError,
    OrderStatus,
    RefillStatus,
)
from .tracking import OrderChange, RefillChange, TrackedOrder


def money(amount: Decimal | None) -> float | None:
    """Return an amount as a JSON number (responses, events, attributes)."""
    return None if amount is None else float(amount)


# Decimals shown for money: at least 2, at most what panels send (5) and a margin.
MIN_MONEY_PLACES = 2
MAX_MONEY_PLACES = 8


def money_places(amounts: Iterable[Decimal | None]) -> int:
    """Return the decimals the panel uses for money (at least 2).

    Amounts keep the decimals the panel wrote ("0.0369", "100.84292"): the
    account's money is shown with the most of them, so that a balance and a
    charge read side by side have the same precision.
    """
    places = MIN_MONEY_PLACES
    for amount in amounts:
        if amount is not None and amount.is_finite():
            exponent = amount.as_tuple().exponent
            if isinstance(exponent, int):
                places = max(places, -exponent)
    return min(places, MAX_MONEY_PLACES)


def timestamp(moment: datetime | None) -> str | None:
    """Return a time as ISO 8601 in UTC (responses, events, attributes)."""
    return None if moment is None else dt_util.as_utc(moment).isoformat()


# --- action responses --------------------------------------------------------


def order_status_item(order_id: int, status: OrderStatus | ItemError) -> dict[str, Any]:
    """Return one order of the `order_status` response."""
    if isinstance(status, ItemError):
        return {"order": order_id, "error": status.message}
    return {
        "order": order_id,
        "status": status.state.value,
        "raw_status": status.raw_status,
        "charge": money(status.charge),
        "start_count": status.start_count,
        "remains": status.remains,
        "currency": status.currency,
    }


def with_estimate(
    item: dict[str, Any], tracked: Mapping[int, TrackedOrder]
) -> dict[str, Any]:
    """Add a tracked order's completion estimate to its `order_status` item.

    The estimate comes from the refreshes' pace: null for an order not
    tracked, not running, or whose pace is not known.
    """
    if "error" in item:
        return item
    order = tracked.get(item["order"])
    estimate = None if order is None else order.estimated_completion
    return item | {"estimated_completion": timestamp(estimate)}


def refill_item(order_id: int, result: int | ItemError) -> dict[str, Any]:
    """Return one order of the `refill` response."""
    if isinstance(result, ItemError):
        return {"order": order_id, "error": result.message}
    return {"order": order_id, "refill": result}


def refill_status_item(
    refill_id: int, status: RefillStatus | ItemError
) -> dict[str, Any]:
    """Return one refill of the `refill_status` response."""
    if isinstance(status, ItemError):
        return {"refill": refill_id, "error": status.message}
    return {
        "refill": refill_id,
        "status": status.state.value,
        "raw_status": status.raw_status,
    }


def cancel_item(order_id: int, result: CancelResult | ItemError) -> dict[str, Any]:
    """Return one order of the `cancel` response.

    Panels that queue cancellations answer with the request's id: it is kept.
    """
    if isinstance(result, ItemError):
        return {"order": order_id, "error": result.message}
    item: dict[str, Any] = {"order": order_id, "cancel": True}
    if result.request_id is not None:
        item["request_id"] = result.request_id
    return item


def catalogue_item(item: CatalogueItem) -> dict[str, Any]:
    """Return one service of the `list_services` response."""
    return {
        "service": item.service_id,
        "name": item.name,
        "type": item.type,
        "category": item.category,
        "rate": money(item.rate),
        "min": item.min,
        "max": item.max,
        "refill": item.refill,
        "cancel": item.cancel,
        "dripfeed": item.dripfeed,
    }


# --- events and attributes ----------------------------------------------------


def order_event(change: OrderChange) -> dict[str, Any]:
    """Return the data of an order's status change: bus event and event entity."""
    order = change.order
    return {
        "order_id": order.order_id,
        "previous_status": change.previous.value,
        "status": order.state.value,
        "remains": order.remains,
        "charge": money(order.charge),
        "currency": order.currency,
        "estimated_completion": timestamp(order.estimated_completion),
    }


def refill_event(change: RefillChange) -> dict[str, Any]:
    """Return the data of a refill's status change: bus event and event entity."""
    refill = change.refill
    return {
        "refill_id": refill.refill_id,
        "order_id": refill.order_id,
        "previous_status": change.previous.value,
        "status": refill.state.value,
    }


def order_attributes(order: TrackedOrder) -> dict[str, Any]:
    """Return the attributes of an order's sensor.

    `error` is there only while the panel reports one for the order.
    """
    attributes = {
        "order_id": order.order_id,
        "service_id": order.service_id,
        "service_name": order.service_name,
        "link": order.link,
        "quantity": order.quantity,
        "remains": order.remains,
        "start_count": order.start_count,
        "charge": money(order.charge),
        "currency": order.currency,
        "progress": order.progress,
        "estimated_completion": timestamp(order.estimated_completion),
        "raw_status": order.raw_status,
    }
    if order.error is not None:
        attributes["error"] = order.error
    return attributes
