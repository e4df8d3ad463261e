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
import re
from typing import Final
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit

from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import DOMAIN, SPENDING_WINDOW
from .coordinator import SmmPanelCoordinator
from .order_validation import OrderPlan, format_money
from .tracking import PlacedOrder

# Characters that do not show: a link pasted with one is the same link.
_INVISIBLE: Final = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0]"
)
# Sub-domains that name the same site (www.instagram.com, m.facebook.com).
_SAME_SITE_PREFIXES: Final = ("www.", "m.", "mobile.")
# Query parameters that only say where a link was shared from.
_TRACKING_PARAMS: Final = frozenset(
    {
        "igshid",
        "igsh",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "si",
        "ref",
        "ref_src",
        "ref_url",
        "feature",
        "s",
        "t",
        "_r",
        "is_from_webapp",
        "sender_device",
    }
)
# The fields naming what an order is for: read as the same target however written.
_TARGET_FIELDS: Final = ("link", "username", "referring_url")


def _plain_text(text: str) -> str:
    """Fold look-alike letters (full-width, ligatures) and drop invisible ones."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).strip()


def normalise_link(link: str) -> str:
    """Return a link as the duplicate guard compares it.

    `HTTPS://www.X.com/p/1/?igshid=abc`, `http://x.com/p/1` and the same with a
    zero-width space are one target. The link sent to the panel is not
    changed: this is only for the fingerprint.
    """
    text = _plain_text(link)
    if "/" not in text and "." not in text:  # an account name, not a link
        return text.removeprefix("@").casefold()
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:  # not a URL after all: compare the text as written
        return text
    for prefix in _SAME_SITE_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host.removeprefix(prefix)
            break
    if port not in (None, 80, 443):
        host = f"{host}:{port}"
    query = urlencode(
        sorted(
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if name.casefold() not in _TRACKING_PARAMS
            and not name.casefold().startswith("utm_")
        )
    )
    path = parts.path.rstrip("/")
    return f"{host}{path}?{query}" if query else f"{host}{path}"


def order_fingerprint(plan: OrderPlan) -> str:
    """Return what makes two orders the same: every field sent to the panel.

    The same service, link and quantity, or the same comments, give the same
    fingerprint, however the link was written (see `normalise_link`); the link
    itself is not kept (it names the user's accounts).
    """
    form = {
        name: normalise_link(value) if name in _TARGET_FIELDS else _plain_text(value)
        for name, value in plan.request.to_form().items()
    }
    text = json.dumps(sorted(form.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


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
    allow_inexact_estimate: bool = False,
    refuse: bool,
) -> GuardReport:
    """Check the spending limit and the duplicate guard.

    With `refuse`, a failed check raises a translated ServiceValidationError;
    without (a dry run), it is only reported. With a spending limit set, an
    estimate the integration cannot vouch for (a type it has no billing rules
    for) is refused unless the call allows it: the limit would otherwise
    trust a guess.
    """
    tracker = coordinator.tracker
    currency = coordinator.data.balance.currency
    spent = tracker.spent_since(now - SPENDING_WINDOW)
    limit = coordinator.spending_limit
    within_limit: bool | None = None
    if limit > 0:
        inexact = not plan.estimate_exact and not allow_inexact_estimate
        within_limit = spent + plan.estimated_charge <= limit and not inexact
        if inexact and refuse:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="spending_limit_inexact_estimate",
                translation_placeholders={
                    "service": str(plan.service.service_id),
                    "service_name": plan.service.name,
                    "type": plan.service.type,
                },
            )
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
            minutes = max(int((now - repeat_of.placed_at).total_seconds() // 60), 0)
            placeholders = {
                "time": dt_util.as_local(repeat_of.placed_at).strftime("%H:%M"),
                "minutes": str(minutes),
            }
            if repeat_of.order_id is not None:
                placeholders["order_id"] = str(repeat_of.order_id)
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                # The earlier one may exist although no reply told its id.
                translation_key=_duplicate_key(repeat_of, minutes),
                translation_placeholders=placeholders,
            )
    return GuardReport(spent, limit if limit > 0 else None, within_limit, repeat_of)


def _duplicate_key(repeat_of: PlacedOrder, minutes: int) -> str:
    """Return the message for a repeat: the earlier one may have no known id."""
    key = (
        "duplicate_order"
        if repeat_of.order_id is not None
        else ("duplicate_order_state_unknown")
    )
    # "0 min ago" reads as a mistake: say "less than a minute ago".
    return f"{key}_just_now" if minutes == 0 else key
