"""Guard rails for orders placed unattended: a spending limit, a duplicate guard.

Both are checked before an order is sent, from the account's record of the
orders placed through the integration (kept with the tracked orders, so it
survives restarts and reloads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
import hashlib
import json

from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import DOMAIN, SPENDING_WINDOW
from .coordinator import SmmPanelCoordinator
from .order_validation import OrderPlan, format_money
from .tracking import PlacedOrder


def order_fingerprint(plan: OrderPlan) -> str:
    """Return what makes two orders the same: every field sent to the panel.

    The same service, link and quantity, or the same comments, give the same
    fingerprint; the link itself is not kept (it names the user's accounts).
    """
    form = json.dumps(sorted(plan.request.to_form().items()))
    return hashlib.sha256(form.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class GuardReport:
    """What the guards found for one order (the dry run's answer)."""

    spent: Decimal
    limit: Decimal | None  # None: no spending limit
    within_limit: bool | None  # None: no spending limit
    repeat_of: PlacedOrder | None


def check_guards(
    coordinator: SmmPanelCoordinator,
    plan: OrderPlan,
    now: datetime,
    *,
    allow_duplicate: bool,
    refuse: bool,
) -> GuardReport:
    """Check the spending limit and the duplicate guard.

    With `refuse`, a failed check raises a translated ServiceValidationError;
    without (a dry run), it is only reported.
    """
    tracker = coordinator.tracker
    currency = coordinator.data.balance.currency
    spent = tracker.spent_since(now - SPENDING_WINDOW)
    limit = coordinator.spending_limit
    within_limit: bool | None = None
    if limit > 0:
        within_limit = spent + plan.estimated_charge <= limit
        if not within_limit and refuse:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="spending_limit",
                translation_placeholders={
                    "limit": format_money(limit),
                    "spent": format_money(spent),
                    "estimate": format_money(plan.estimated_charge),
                    "currency": currency,
                },
            )
    repeat_of = None
    window = coordinator.duplicate_window
    if window and not allow_duplicate:
        repeat_of = tracker.find_repeat(order_fingerprint(plan), now - window)
        if repeat_of is not None and refuse:
            minutes = int((now - repeat_of.placed_at).total_seconds() // 60)
            placeholders = {
                "time": dt_util.as_local(repeat_of.placed_at).strftime("%H:%M"),
                "minutes": str(minutes),
            }
            if repeat_of.order_id is not None:
                placeholders["order_id"] = str(repeat_of.order_id)
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                # The earlier one may exist although no reply told its id.
                translation_key="duplicate_order"
                if repeat_of.order_id is not None
                else "duplicate_order_state_unknown",
                translation_placeholders=placeholders,
            )
    return GuardReport(spent, limit if limit > 0 else None, within_limit, repeat_of)
