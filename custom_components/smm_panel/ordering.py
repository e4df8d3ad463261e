"""The order desk: the one place an order is planned, guarded, reserved and sent.

One desk per account, kept across reloads (like the tracker it writes to). For
each order it checks every guard, **reserves** the order in the ledger (its
estimate, fingerprint and time) before the request leaves, sends `add` once,
and settles the reservation with the panel's answer: tracked, "state
unknown" (a repair issue), or released when the panel surely refused.

The desk holds the account's lock from the first check until the reservation
is settled, never the caller: a script restarted, an automation reloaded or a
dashboard button pressed twice cancels the caller, not the desk, so the next
order waits for the answer to this one and sees it in the ledger.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
import time
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.ulid import ulid_now

from .api import (
    Balance,
    SmmPanelConnectionError,
    SmmPanelError,
    SmmPanelOrderStateUnknownError,
    SmmPanelRateLimitError,
)
from .const import DOMAIN, ISSUE_ORDER_STATE_UNKNOWN, LOGGER
from .coordinator import SmmPanelCoordinator
from .guards import GuardReport, check_guards, order_fingerprint
from .order_validation import OrderPlan, check_balance
from .tracking import OrderTracker, PlacedOrder, TrackedOrder

_DESKS: HassKey[dict[str, OrderDesk]] = HassKey(f"{DOMAIN}_order_desks")

# The longest an action waits for the panel's rate limit (retries, Retry-After,
# the account's request budget) before telling the user when to retry.
ACTION_MAX_WAIT: Final = 10.0


@dataclass(frozen=True, slots=True)
class OrderOptions:
    """What the call allows besides the order itself."""

    track: bool = True
    allow_duplicate: bool = False
    allow_inexact_estimate: bool = False


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a dry run found: the guards and the balance after the order."""

    guards: GuardReport
    balance: Decimal
    balance_after: Decimal


class OrderDesk:
    """Places the orders of one account, one at a time, each sent once."""

    def __init__(self, hass: HomeAssistant, tracker: OrderTracker) -> None:
        """Create the desk of an account's tracker."""
        self._hass = hass
        self._tracker = tracker
        self._lock = asyncio.Lock()

    def serves(self, tracker: OrderTracker) -> bool:
        """Return True when this desk writes to `tracker`."""
        return self._tracker is tracker

    async def async_estimate(
        self, coordinator: SmmPanelCoordinator, plan: OrderPlan, options: OrderOptions
    ) -> Estimate:
        """Check an order without sending it (a dry run).

        The balance check refuses, as it would for the order; the spending
        limit and the duplicate guard are only reported.
        """
        await self._async_check_balance(coordinator, plan)
        guards = check_guards(
            coordinator,
            plan,
            dt_util.utcnow(),
            allow_duplicate=options.allow_duplicate,
            allow_inexact_estimate=options.allow_inexact_estimate,
            refuse=False,
        )
        available = coordinator.data.balance.amount - self._tracker.placed_since(
            coordinator.balance_read_at
        )
        return Estimate(guards, available, available - plan.estimated_charge)

    async def async_place(
        self, coordinator: SmmPanelCoordinator, plan: OrderPlan, options: OrderOptions
    ) -> int:
        """Check, reserve, send once and settle an order; return its id.

        Raises a translated ServiceValidationError when a guard refuses, and
        the client's SmmPanelError when the panel refused or did not answer
        usably (the repair issue is raised by then). Cancelling the caller
        before the reservation places nothing; after it, the order is sent
        and settled anyway, and the lock is released only once it is settled.
        """
        await self._lock.acquire()
        try:
            check_guards(
                coordinator,
                plan,
                dt_util.utcnow(),
                allow_duplicate=options.allow_duplicate,
                allow_inexact_estimate=options.allow_inexact_estimate,
                refuse=True,
            )
            await self._async_check_balance(coordinator, plan)
            reservation = self._tracker.reserve(
                PlacedOrder(
                    dt_util.utcnow(),
                    plan.estimated_charge,
                    order_fingerprint(plan),
                    service_id=plan.service.service_id,
                    service_name=plan.service.name,
                )
            )
            # From here on the task owns the lock and releases it when settled.
            task = self._hass.async_create_background_task(
                self._async_send_and_settle(coordinator, plan, reservation, options),
                f"{DOMAIN} place an order",
                eager_start=False,
            )
        except BaseException:
            self._lock.release()
            raise
        task.add_done_callback(_retrieve_exception)
        # Not asyncio.shield: since Python 3.14 it reports the exception of a
        # shielded task whose caller was cancelled. Cancelling a wait leaves
        # the task running.
        await asyncio.wait({task})
        return task.result()

    async def _async_check_balance(
        self, coordinator: SmmPanelCoordinator, plan: OrderPlan
    ) -> None:
        """Check the charge against the balance, read again if the last one is short.

        The polled balance may be minutes old: orders reserved since it was
        read are taken off it, and a top-up since then should not block the
        order, so a short balance is confirmed with the panel first.
        """
        reserved = self._tracker.placed_since(coordinator.balance_read_at)
        if plan.estimated_charge <= coordinator.data.balance.amount - reserved:
            return
        asked_at = time.monotonic()
        balance = await coordinator.client.async_get_balance(max_wait=ACTION_MAX_WAIT)
        reserved = self._tracker.placed_since(asked_at)
        check_balance(plan, Balance(balance.amount - reserved, balance.currency))

    async def _async_send_and_settle(
        self,
        coordinator: SmmPanelCoordinator,
        plan: OrderPlan,
        reservation: PlacedOrder,
        options: OrderOptions,
    ) -> int:
        try:
            return await self._async_send(coordinator, plan, reservation, options)
        finally:
            self._lock.release()

    async def _async_send(
        self,
        coordinator: SmmPanelCoordinator,
        plan: OrderPlan,
        reservation: PlacedOrder,
        options: OrderOptions,
    ) -> int:
        tracker = self._tracker
        try:
            # On disk before the request leaves: Home Assistant may stop (or be
            # killed) before the reply, and the reservation must survive.
            await tracker.async_save()
            order_id = await coordinator.client.async_add_order(
                plan.request, max_wait=ACTION_MAX_WAIT
            )
        except SmmPanelError as err:
            if _surely_not_placed(err):
                tracker.release(reservation)
                tracker.schedule_save()
                raise
            self._settle_unknown(coordinator, plan, reservation)
            raise
        except BaseException:
            # Cancelled (Home Assistant stopping) or a bug, after the request
            # may have left: the order may exist and may have been charged.
            self._settle_unknown(coordinator, plan, reservation)
            raise
        tracker.settle(reservation, order_id)
        LOGGER.info("Placed order %s for service %s", order_id, plan.service.service_id)
        try:
            if options.track:
                await coordinator.async_track(
                    [
                        TrackedOrder(
                            order_id,
                            service_id=plan.service.service_id,
                            service_name=plan.service.name,
                            link=plan.target,
                            quantity=plan.quantity,
                            currency=coordinator.data.balance.currency,
                        )
                    ]
                )
            else:
                tracker.notify()
        finally:
            # Also when Home Assistant stops meanwhile: written on its final save.
            tracker.schedule_save()
        refresh_soon(coordinator)
        return order_id

    @callback
    def _settle_unknown(
        self,
        coordinator: SmmPanelCoordinator,
        plan: OrderPlan,
        reservation: PlacedOrder,
    ) -> None:
        self._tracker.settle(reservation, None)
        self._tracker.schedule_save()
        create_order_state_unknown_issue(
            self._hass, order_placeholders(coordinator.config_entry.title, plan)
        )


def _surely_not_placed(err: SmmPanelError) -> bool:
    """Return True when the panel surely placed nothing for this `add`.

    The client raises SmmPanelOrderStateUnknownError for every reply that may
    hide a placed order; any other error is a refusal (an error text, HTTP
    429, a 307/308 redirect) or a request that never left.
    """
    if isinstance(err, SmmPanelOrderStateUnknownError):
        return False
    return (
        not isinstance(err, SmmPanelConnectionError)
        or not err.request_sent
        or (isinstance(err, SmmPanelRateLimitError))
    )


def _retrieve_exception(task: asyncio.Task[Any]) -> None:
    """Read the task's exception: when the caller is gone, nobody else does."""
    if not task.cancelled():
        task.exception()


def order_placeholders(panel: str, plan: OrderPlan | None) -> dict[str, str]:
    """Name an order in messages: panel account, service and link."""
    placeholders = {"panel": panel, "service": "-", "service_name": "-", "link": "-"}
    if plan is not None:
        placeholders["service"] = str(plan.service.service_id)
        placeholders["service_name"] = plan.service.name
        placeholders["link"] = plan.target or "-"
    return placeholders


@callback
def create_order_state_unknown_issue(
    hass: HomeAssistant, placeholders: dict[str, str]
) -> None:
    """Raise a repair issue; one per lost reply, as each may be a distinct order.

    The log line leaves the link out: it names the user's social accounts.
    """
    LOGGER.warning(
        "No usable reply to an order for service %s on %s: check the panel before"
        " retrying",
        placeholders["service"],
        placeholders["panel"],
    )
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_ORDER_STATE_UNKNOWN}_{ulid_now()}",
        is_fixable=False,
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_ORDER_STATE_UNKNOWN,
        translation_placeholders=placeholders,
    )


@callback
def report_interrupted_orders(
    hass: HomeAssistant, tracker: OrderTracker, panel: str
) -> None:
    """Raise the repair issue of orders sent when Home Assistant last stopped.

    Their reservation was written before the request left; no answer was
    recorded, so whether they exist is unknown.
    """
    interrupted, tracker.interrupted = tracker.interrupted, []
    for placed in interrupted:
        create_order_state_unknown_issue(
            hass,
            {
                "panel": panel,
                "service": str(placed.service_id or "-"),
                "service_name": placed.service_name or "-",
                "link": "-",
            },
        )
    if interrupted:
        tracker.schedule_save()


@callback
def refresh_soon(coordinator: SmmPanelCoordinator) -> None:
    """Poll again now, in the background, so balance and orders catch up.

    Not `async_request_refresh`: its debouncer drops a request made while a
    refresh is running, and that refresh may predate this action. After a
    reload, the entry's live coordinator polls (or none, while unloaded).
    """
    entry = coordinator.config_entry
    if entry.state is not ConfigEntryState.LOADED:
        return
    live = entry.runtime_data
    entry.async_create_task(
        live.hass, live.async_refresh(), f"{DOMAIN} refresh after an action"
    )


def get_order_desk(hass: HomeAssistant, coordinator: SmmPanelCoordinator) -> OrderDesk:
    """Return the account's desk, the same one across reloads (as its tracker)."""
    desks = hass.data.setdefault(_DESKS, {})
    entry_id = coordinator.config_entry.entry_id
    desk = desks.get(entry_id)
    if desk is None or not desk.serves(coordinator.tracker):
        desk = desks[entry_id] = OrderDesk(hass, coordinator.tracker)
    return desk
