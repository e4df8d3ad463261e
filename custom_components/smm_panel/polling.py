"""When to refresh next: the interval the coordinator chooses after each refresh.

The panel has no push. Requests are spent where a change is due: often while
an order was just placed or is pending (panels start most orders within
minutes), around the time a running order should finish, and rarely when
nothing is on its way. Failures and the panel's rate limit stretch the
interval; nothing here shortens what the panel asked for.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from .api import OrderState
from .tracking import TrackedOrder

# While an order was just placed or tracked, or is pending.
ATTENTION_INTERVAL: Final = timedelta(seconds=40)
# How long "just placed or tracked" lasts: long enough to read a new order's
# state and a running one's first pace.
ATTENTION_WINDOW: Final = timedelta(minutes=3)
# Near a running order's expected completion (and when its remains are 0).
NEAR_INTERVAL: Final = timedelta(seconds=45)
# Before the expected completion, the next look is at this share of the time
# left: the looks get closer as the time nears.
SHARE_OF_TIME_LEFT: Final = 0.5
# The longest wait while an order runs.
MAX_RUNNING_INTERVAL: Final = timedelta(minutes=10)
# A running order whose pace is not known (yet), stalled or behind.
UNSURE_INTERVAL: Final = timedelta(seconds=90)
# An order in a state the integration does not know, and refills on their way.
UNKNOWN_STATE_INTERVAL: Final = timedelta(minutes=5)
# Refills are asked for at most this often, also when orders are asked for
# more often.
REFILL_INTERVAL: Final = timedelta(seconds=150)
# Nothing on its way: the balance only.
IDLE_INTERVAL: Final = timedelta(minutes=30)
# Failed refreshes: the interval doubles from this, up to the idle interval.
FAILURE_INTERVAL: Final = timedelta(minutes=1)
# Never more than one balance request in this time, whatever asks for it.
BALANCE_MIN_GAP: Final = timedelta(seconds=150)
# The balance is read again when it is this old, while orders run too.
BALANCE_MAX_AGE: Final = IDLE_INTERVAL
# The shortest wait between two scheduled refreshes.
MIN_INTERVAL: Final = timedelta(seconds=15)
# A scheduled refresh may start this much early (Home Assistant rounds the
# loop's time down to the second).
SCHEDULE_SLACK: Final = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class RefreshPlan:
    """The next refresh: in how long, and why (for the debug log and diagnostics)."""

    interval: timedelta
    reason: str


def orders_plan(
    orders: Iterable[TrackedOrder],
    now: datetime,
    *,
    attention: bool = False,
    lagging: Collection[int] = (),
) -> RefreshPlan | None:
    """Return when the unfinished orders want a look; None when there are none.

    `attention`: an order was placed or tracked within ATTENTION_WINDOW.
    `lagging`: running orders whose last look saw less than their pace (the
    first sign of a stall, which panels end with Partial).
    """
    wanted = [
        RefreshPlan(UNSURE_INTERVAL, f"order {order.order_id} stopped moving")
        if order.order_id in lagging and order.is_running
        else _order_plan(order, now)
        for order in orders
        if not order.is_finished
    ]
    if attention:
        wanted.append(
            RefreshPlan(ATTENTION_INTERVAL, "an order was just placed or tracked")
        )
    if not wanted:
        return None
    return min(wanted, key=lambda plan: plan.interval)


def stretched(
    plan: RefreshPlan, *, failures: int = 0, retry_after: float | None = None
) -> RefreshPlan:
    """Return the plan stretched by failures in a row and the panel's Retry-After.

    Never shorter than what the panel (or the client's request budget) asked.
    """
    if failures:
        backoff = min(FAILURE_INTERVAL * 2 ** (failures - 1), IDLE_INTERVAL)
        if backoff > plan.interval:
            plan = RefreshPlan(backoff, f"{failures} refresh(es) failed in a row")
    if retry_after is not None and retry_after > plan.interval.total_seconds():
        # A second more than asked: the panel's window has surely ended.
        plan = RefreshPlan(
            timedelta(seconds=retry_after + 1), "the panel asked to wait"
        )
    return plan


def _order_plan(order: TrackedOrder, now: datetime) -> RefreshPlan:
    """Return when one unfinished order wants a look."""
    if order.state is OrderState.PENDING:
        return RefreshPlan(ATTENTION_INTERVAL, "an order is pending")
    if not order.is_running:
        return RefreshPlan(UNKNOWN_STATE_INTERVAL, "an order's state is unknown")
    if order.remains == 0:
        return RefreshPlan(NEAR_INTERVAL, "an order is about to finish")
    eta = order.estimated_completion
    if eta is None:
        return RefreshPlan(UNSURE_INTERVAL, "an order's pace is not known")
    interval = min(
        max((eta - now) * SHARE_OF_TIME_LEFT, NEAR_INTERVAL), MAX_RUNNING_INTERVAL
    )
    return RefreshPlan(
        interval, f"order {order.order_id} should finish at {eta.isoformat()}"
    )
