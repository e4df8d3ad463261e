"""State and protocol logic of the simulated panel (no HTTP here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
import json
import math
from typing import Any
import zlib

from .catalogue import (
    TYPE_COMMENT_LIKES,
    TYPE_COMMENT_REPLIES,
    TYPE_CUSTOM_COMMENTS,
    TYPE_CUSTOM_COMMENTS_PACKAGE,
    TYPE_INVITES_FROM_GROUPS,
    TYPE_MENTIONS_CUSTOM_LIST,
    TYPE_MENTIONS_HASHTAG,
    TYPE_MENTIONS_MEDIA_LIKERS,
    TYPE_MENTIONS_USER_FOLLOWERS,
    TYPE_MENTIONS_WITH_HASHTAGS,
    TYPE_PACKAGE,
    TYPE_POLL,
    TYPE_SEO,
    TYPE_SUBSCRIPTIONS,
    TYPE_WEB_TRAFFIC,
    SimService,
    build_catalogue,
)
from .faults import Dialect, FaultInjector, RateLimit
from .models import (
    CANCELED,
    COMPLETED,
    FAIL,
    IN_PROGRESS,
    PENDING,
    REFUNDED,
    LoggedRequest,
    Response,
    SimClock,
    SimOrder,
    SimRefill,
    error_response,
    json_response,
)

# Exact error texts of real panels (docs/protocol.md, section 6).
ERR_KEY = "Invalid API key"
ERR_REQUEST = "Incorrect request"
ERR_ORDER_ID = "Incorrect order ID"
ERR_SERVICE_ID = "Incorrect service ID"
ERR_FUNDS = "Not enough funds on balance"
ERR_DUPLICATE = (
    "You have active order with this link. Please wait until order being completed."
)
ERR_REFILL_UNAVAILABLE = "Refill is not available for this order"
ERR_REFILL_NOT_FOUND = "Refill not found"
ERR_CANCEL_UNAVAILABLE = "Cancel is not available for this order"
ERR_MISSING_PARAMETERS = "Missing required parameters"

BULK_LIMIT = 100
FIRST_ORDER_ID = 23501
FIRST_REFILL_ID = 1001
FIRST_CANCEL_ID = 501


# Fields each service type requires besides service/link/quantity (an empty value
# counts as missing). Types not listed need only link + quantity.
_REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    TYPE_CUSTOM_COMMENTS: ("comments",),
    TYPE_CUSTOM_COMMENTS_PACKAGE: ("comments",),
    TYPE_MENTIONS_CUSTOM_LIST: ("usernames",),
    TYPE_MENTIONS_WITH_HASHTAGS: ("usernames", "hashtags"),
    TYPE_MENTIONS_HASHTAG: ("hashtag",),
    TYPE_MENTIONS_USER_FOLLOWERS: ("username",),
    TYPE_MENTIONS_MEDIA_LIKERS: ("media",),
    TYPE_COMMENT_LIKES: ("username",),
    TYPE_POLL: ("answer_number",),
    TYPE_COMMENT_REPLIES: ("username", "comments"),
    TYPE_INVITES_FROM_GROUPS: ("groups",),
    TYPE_SUBSCRIPTIONS: ("username", "min", "max", "delay"),
    TYPE_SEO: ("keywords",),
    TYPE_WEB_TRAFFIC: ("country", "device", "type_of_traffic"),
}
# Fixed-price types: quantity 1, charge = rate.
_PACKAGE_TYPES = frozenset({TYPE_PACKAGE, TYPE_CUSTOM_COMMENTS_PACKAGE})
# Types whose quantity is the number of lines of a list field.
_LINE_COUNT_FIELD: dict[str, str] = {
    TYPE_CUSTOM_COMMENTS: "comments",
    TYPE_MENTIONS_CUSTOM_LIST: "usernames",
    TYPE_COMMENT_REPLIES: "comments",
}
_ADD_BASE_FIELDS = frozenset({"key", "action", "service", "link", "quantity"})


@dataclass(slots=True)
class _Account:
    balance: Decimal
    currency: str
    revoked: bool = False


class _Rejected(Exception):
    """Internal: an ``add`` validation error with the panel's message."""


class _MissingParameters(_Rejected):
    """Internal: a required field is missing, answered with HTTP 400."""


class PanelSimulator:
    """An in-memory SMM panel speaking API v2, driven by a controllable clock."""

    # Order progress timings (seconds of simulated time).
    pending_seconds: float = 60.0
    delivery_seconds: float = 600.0
    refill_pending_seconds: float = 60.0
    refill_done_seconds: float = 300.0

    def __init__(
        self,
        api_key: str = "test-key",
        balance: Decimal = Decimal("100.00"),
        currency: str = "USD",
        services: list[SimService] | None = None,
        extra_services: int = 0,
        clock: SimClock | None = None,
    ) -> None:
        """Create a panel with one account and a services catalogue."""
        self.clock = clock or SimClock()
        self.dialect = Dialect()
        self.faults = FaultInjector()
        # A per-key request limit (None: unlimited), applied by the server.
        self.rate_limit: RateLimit | None = None
        self.requests: list[LoggedRequest] = []
        if services is None:
            services = build_catalogue(extra=extra_services)
        self.services: dict[int, SimService] = {s.service_id: s for s in services}
        self._accounts: dict[str, _Account] = {}
        self._default_key = api_key
        self._orders: dict[int, SimOrder] = {}
        self._refills: dict[int, SimRefill] = {}
        self._next_order_id = FIRST_ORDER_ID
        self._next_refill_id = FIRST_REFILL_ID
        self._next_cancel_id = FIRST_CANCEL_ID
        self._services_cache: dict[bool, str] = {}
        self.add_account(api_key, balance, currency)

    # ----- accounts -----------------------------------------------------------

    def add_account(self, api_key: str, balance: Decimal, currency: str) -> None:
        """Add (or replace) an account reachable with ``api_key``."""
        self._accounts[api_key] = _Account(Decimal(balance), currency)

    def balance(self, api_key: str | None = None) -> Decimal:
        """Return the balance of an account (default: the first account)."""
        return self._accounts[api_key or self._default_key].balance

    def set_balance(self, balance: Decimal, api_key: str | None = None) -> None:
        """Overwrite an account's balance."""
        self._accounts[api_key or self._default_key].balance = Decimal(balance)

    def revoke_key(self, api_key: str) -> None:
        """Make every later request with ``api_key`` fail with Invalid API key."""
        if api_key in self._accounts:
            self._accounts[api_key].revoked = True

    def _account(self, api_key: str | None) -> _Account | None:
        account = self._accounts.get(api_key or "")
        if account is None or account.revoked:
            return None
        return account

    # ----- time and progress --------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the clock forward; orders and refills progress accordingly."""
        self.clock.advance(seconds)
        self._progress()

    @property
    def orders(self) -> dict[int, SimOrder]:
        """All orders by id, brought up to date with the clock."""
        self._progress()
        return self._orders

    @property
    def refills(self) -> dict[int, SimRefill]:
        """All refills by id, brought up to date with the clock."""
        self._progress()
        return self._refills

    def _progress(self) -> None:
        now = self.clock.now
        for order in self._orders.values():
            if not order.frozen:
                self._progress_order(order, now)
        for refill in self._refills.values():
            if not refill.frozen:
                self._progress_refill(refill, now)

    def _progress_order(self, order: SimOrder, now: float) -> None:
        elapsed = now - order.created_at
        total = order.total_quantity
        if elapsed < self.pending_seconds:
            order.status, order.remains = PENDING, total
            return
        done = (elapsed - self.pending_seconds) / self.delivery_seconds
        remains = max(0, math.ceil(total * (1 - done)))
        if remains == 0:
            order.status, order.remains, order.frozen = COMPLETED, 0, True
        else:
            order.status, order.remains = IN_PROGRESS, remains

    def _progress_refill(self, refill: SimRefill, now: float) -> None:
        elapsed = now - refill.created_at
        if elapsed < self.refill_pending_seconds:
            refill.status = PENDING
        elif elapsed < self.refill_done_seconds:
            refill.status = IN_PROGRESS
        else:
            refill.status, refill.frozen = COMPLETED, True

    # ----- test helpers -------------------------------------------------------

    def create_order(
        self,
        service_id: int,
        quantity: int,
        link: str = "https://instagram.com/p/x",
        api_key: str | None = None,
        status: str | None = None,
    ) -> SimOrder:
        """Create a charged order directly, without validation or request log."""
        key = api_key or self._default_key
        service = self.services[service_id]
        charge = self._money(service.rate * quantity / 1000)
        self._accounts[key].balance -= charge
        order = self._new_order(key, service, link, quantity, 1, charge, {})
        if status is not None:
            self.set_order_status(order.order_id, status)
        return order

    def set_order_status(
        self, order_id: int, status: str, remains: int | None = None
    ) -> None:
        """Force an order's raw status; the clock no longer changes it."""
        order = self._orders[order_id]
        order.status, order.frozen = status, True
        if remains is not None:
            order.remains = remains
        elif status.lower() == "completed":
            order.remains = 0

    def set_refill_status(self, refill_id: int, status: str) -> None:
        """Force a refill's raw status; the clock no longer changes it."""
        refill = self._refills[refill_id]
        refill.status, refill.frozen = status, True

    def log_request(self, form: Mapping[str, str]) -> LoggedRequest:
        """Record a request (key redacted) as the panel received it."""
        params = {k: ("**REDACTED**" if k == "key" else v) for k, v in form.items()}
        entry = LoggedRequest(form.get("action"), params, self.clock.now)
        self.requests.append(entry)
        return entry

    def count(self, action: str) -> int:
        """Return how many logged requests have ``action``."""
        return sum(1 for r in self.requests if r.action == action)

    def reset_log(self) -> None:
        """Forget the logged requests."""
        self.requests.clear()

    # ----- protocol -----------------------------------------------------------

    def handle(self, form: Mapping[str, str], *, log: bool = True) -> Response:
        """Answer one API request (form fields) like a real panel would.

        Faults are not applied here (the server does that), only key checks.
        ``log=False`` is for callers that already logged the request.
        """
        if log:
            self.log_request(form)
        self._progress()
        key = form.get("key")
        account = self._account(key)
        if key is None or account is None:
            return error_response(ERR_KEY)
        handler = self._handlers.get(form.get("action") or "")
        if handler is None:
            return error_response(ERR_REQUEST)
        return handler(self, key, account, form)

    def _services(
        self, key: str, account: _Account, form: Mapping[str, str]
    ) -> Response:
        # Serialising thousands of services is the expensive part: cache per shape.
        as_numbers = self.dialect.numbers_as_numbers
        if as_numbers not in self._services_cache:
            self._services_cache[as_numbers] = json.dumps(
                [self._service_json(s) for s in self.services.values()]
            )
        return Response(status=200, body=self._services_cache[as_numbers])

    def _service_json(self, service: SimService) -> dict[str, Any]:
        return {
            "service": service.service_id,
            "name": service.name,
            "type": service.type,
            "category": service.category,
            "rate": self._num(service.rate, str(service.rate)),
            "min": self._num(service.min),
            "max": self._num(service.max),
            "refill": service.refill,
            "cancel": service.cancel,
            "dripfeed": service.dripfeed,
        }

    def _balance(
        self, key: str, account: _Account, form: Mapping[str, str]
    ) -> Response:
        return json_response(
            {
                "balance": self._num(
                    self._money(account.balance), self._fmt_money(account.balance)
                ),
                "currency": account.currency,
            }
        )

    # ----- add ----------------------------------------------------------------

    def _add(self, key: str, account: _Account, form: Mapping[str, str]) -> Response:
        try:
            order = self._place(key, account, form)
        except _MissingParameters:
            return error_response(ERR_MISSING_PARAMETERS, status=400)
        except _Rejected as err:
            return error_response(str(err))
        return json_response({"order": order.order_id})

    def _place(self, key: str, account: _Account, form: Mapping[str, str]) -> SimOrder:
        service = self.services.get(_to_int(form.get("service")) or -1)
        if service is None:
            raise _Rejected(ERR_SERVICE_ID)
        value = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
        subscription = service.type == TYPE_SUBSCRIPTIONS
        if not subscription and not value.get("link"):
            raise _Rejected(ERR_REQUEST)
        if any(not value.get(f) for f in _REQUIRED_FIELDS.get(service.type, ())):
            raise _Rejected(ERR_REQUEST)

        quantity, billed = self._quantities(service, value)
        runs = self._runs(service, value)
        if service.type in _PACKAGE_TYPES:
            charge = self._money(service.rate)  # Fixed price per package.
        else:
            charge = self._money(service.rate * billed * runs / 1000)

        link = value["username"] if subscription else value["link"]
        if any(
            o.api_key == key
            and o.service_id == service.service_id
            and o.link == link
            and not o.is_final
            for o in self._orders.values()
        ):
            raise _Rejected(ERR_DUPLICATE)
        if charge > account.balance:
            raise _Rejected(ERR_FUNDS)

        account.balance -= charge
        extra = {k: v for k, v in form.items() if k not in _ADD_BASE_FIELDS}
        return self._new_order(key, service, link, quantity, runs, charge, extra)

    def _quantities(
        self, service: SimService, value: dict[str, str]
    ) -> tuple[int, int]:
        """Return (order quantity, units billed per run) after min/max checks."""
        if service.type in _PACKAGE_TYPES:
            if self.dialect.package_needs_quantity:
                quantity = _to_int(value.get("quantity"))
                if quantity is None:
                    raise _MissingParameters
                self._check_range(service, quantity)
            return 1, 1
        if service.type == TYPE_SUBSCRIPTIONS:
            low, high = _to_int(value.get("min")), _to_int(value.get("max"))
            posts = _to_int(value.get("posts") or "1")
            if low is None or high is None or posts is None or low > high:
                raise _Rejected(ERR_REQUEST)
            self._check_range(service, low)
            self._check_range(service, high)
            return high * posts, high * posts
        if service.type in _LINE_COUNT_FIELD:
            text = value[_LINE_COUNT_FIELD[service.type]]
            quantity: int | None = len([ln for ln in text.splitlines() if ln.strip()])
        else:
            quantity = _to_int(value.get("quantity"))
        if quantity is None:
            raise _Rejected(ERR_REQUEST)
        self._check_range(service, quantity)
        return quantity, quantity

    @staticmethod
    def _check_range(service: SimService, quantity: int) -> None:
        if quantity < service.min:
            raise _Rejected(f"Quantity less than minimal {service.min}")
        if quantity > service.max:
            raise _Rejected(f"Quantity more than maximum {service.max}")

    @staticmethod
    def _runs(service: SimService, value: dict[str, str]) -> int:
        runs, interval = value.get("runs"), value.get("interval")
        if not runs and not interval:
            return 1
        # Drip-feed fields on a service without drip-feed are refused, not ignored.
        if not service.dripfeed:
            raise _Rejected(ERR_REQUEST)
        runs_n, interval_n = _to_int(runs), _to_int(interval)
        if runs_n is None or interval_n is None or runs_n < 1 or interval_n < 1:
            raise _Rejected(ERR_REQUEST)
        return runs_n

    def _new_order(
        self,
        key: str,
        service: SimService,
        link: str,
        quantity: int,
        runs: int,
        charge: Decimal,
        extra: dict[str, str],
    ) -> SimOrder:
        order_id = self._next_order_id
        self._next_order_id += 1
        # Deterministic, link-dependent "followers before the order" count.
        start = zlib.crc32(f"{service.service_id}:{link}".encode()) % 9000 + 100
        order = SimOrder(
            order_id=order_id,
            api_key=key,
            service_id=service.service_id,
            link=link,
            quantity=quantity,
            charge=charge,
            start_count=start,
            remains=quantity * runs,
            status=PENDING,
            created_at=self.clock.now,
            fields=extra,
            runs=runs,
        )
        self._orders[order_id] = order
        return order

    # ----- status -------------------------------------------------------------

    def _status(self, key: str, account: _Account, form: Mapping[str, str]) -> Response:
        if form.get("orders") is not None:
            ids = self._bulk_ids(form["orders"])
            if ids is None:
                return error_response(ERR_REQUEST)
            reply: dict[str, Any] = {}
            for raw in ids:
                order = self._own_order(key, raw)
                reply[raw] = (
                    {"error": ERR_ORDER_ID}
                    if order is None
                    else self._order_json(order, account)
                )
            return json_response(reply)
        order = self._own_order(key, form.get("order"))
        if order is None:
            return error_response(ERR_ORDER_ID)
        return json_response(self._order_json(order, account))

    def _order_json(self, order: SimOrder, account: _Account) -> dict[str, Any]:
        return {
            "charge": self._num(order.charge, self._fmt_money(order.charge)),
            "start_count": self._num(order.start_count),
            "status": self._spell(order.status),
            "remains": self._num(order.remains),
            "currency": account.currency,
        }

    # ----- refill -------------------------------------------------------------

    def _refill(self, key: str, account: _Account, form: Mapping[str, str]) -> Response:
        if form.get("orders") is not None:
            ids = self._bulk_ids(form["orders"])
            if ids is None:
                return error_response(ERR_REQUEST)
            items = []
            for raw in ids:
                result = self._refill_one(key, raw)
                order_ref = _id_ref(raw)
                if isinstance(result, SimRefill):
                    items.append({"order": order_ref, "refill": result.refill_id})
                else:
                    items.append(self._bulk_error("order", order_ref, "refill", result))
            return json_response(items)
        result = self._refill_one(key, form.get("order"))
        if not isinstance(result, SimRefill):
            return error_response(result)
        return json_response({"refill": self._num(result.refill_id)})

    def _refill_one(self, key: str, raw_id: str | None) -> SimRefill | str:
        """Create a refill, or return the panel's error message."""
        order = self._own_order(key, raw_id)
        if order is None:
            return ERR_ORDER_ID
        service = self.services.get(order.service_id)
        if service is None or not service.refill:
            return ERR_REFILL_UNAVAILABLE
        if order.status.lower() not in {"completed", "partial"}:
            return ERR_REFILL_UNAVAILABLE
        refill = SimRefill(
            self._next_refill_id, order.order_id, PENDING, self.clock.now
        )
        self._next_refill_id += 1
        self._refills[refill.refill_id] = refill
        return refill

    def _refill_status(
        self, key: str, account: _Account, form: Mapping[str, str]
    ) -> Response:
        if form.get("refills") is not None:
            ids = self._bulk_ids(form["refills"])
            if ids is None:
                return error_response(ERR_REQUEST)
            items = []
            for raw in ids:
                refill = self._own_refill(key, raw)
                ref = _id_ref(raw)
                if refill is None:
                    items.append(
                        self._bulk_error("refill", ref, "status", ERR_REFILL_NOT_FOUND)
                    )
                else:
                    items.append({"refill": ref, "status": self._spell(refill.status)})
            return json_response(items)
        refill = self._own_refill(key, form.get("refill"))
        if refill is None:
            return error_response(ERR_REFILL_NOT_FOUND)
        return json_response({"status": self._spell(refill.status)})

    def _own_refill(self, key: str, raw_id: str | None) -> SimRefill | None:
        refill = self._refills.get(_to_int(raw_id) or -1)
        if refill is None or self._orders[refill.order_id].api_key != key:
            return None
        return refill

    # ----- cancel -------------------------------------------------------------

    def _cancel(self, key: str, account: _Account, form: Mapping[str, str]) -> Response:
        if form.get("orders") is None:
            return error_response(ERR_REQUEST)
        ids = self._bulk_ids(form["orders"])
        if ids is None:
            return error_response(ERR_REQUEST)
        items = []
        for raw in ids:
            ref = _id_ref(raw)
            result = self._cancel_one(key, account, raw)
            if isinstance(result, int):
                items.append({"order": ref, "cancel": result})
            else:
                items.append(self._bulk_error("order", ref, "cancel", result))
        return json_response(items)

    def _cancel_one(self, key: str, account: _Account, raw_id: str) -> int | str:
        """Cancel an order and refund what was not delivered, or return the error."""
        order = self._own_order(key, raw_id)
        if order is None:
            return ERR_ORDER_ID
        service = self.services.get(order.service_id)
        if service is None or not service.cancel or order.is_final:
            return ERR_CANCEL_UNAVAILABLE
        total = order.total_quantity or 1
        refund = self._money(order.charge * order.remains / total)
        account.balance += refund
        order.charge -= refund
        order.status, order.frozen = CANCELED, True
        if not self.dialect.cancel_returns_id:
            return 1
        cancel_id = self._next_cancel_id
        self._next_cancel_id += 1
        return cancel_id

    # ----- shared helpers -----------------------------------------------------

    def _own_order(self, key: str, raw_id: str | None) -> SimOrder | None:
        order = self._orders.get(_to_int(raw_id) or -1)
        return order if order is not None and order.api_key == key else None

    def _bulk_ids(self, raw: str) -> list[str] | None:
        """Split a comma separated id list; None if it is over the bulk limit."""
        ids = [part.strip() for part in raw.split(",") if part.strip()]
        limit = self.dialect.truncate_bulk_at
        if not ids:
            return None
        if limit is not None:
            return ids[:limit]  # Some panels silently drop the rest.
        return ids if len(ids) <= BULK_LIMIT else None

    def _bulk_error(
        self, id_field: str, ref: int | str, value_field: str, message: str
    ) -> dict[str, Any]:
        if self.dialect.flat_bulk_errors:
            return {id_field: ref, "error": message}
        return {id_field: ref, value_field: {"error": message}}

    def _spell(self, status: str) -> str:
        """Render a status in the panel's dialect."""
        dialect = self.dialect
        if status == CANCELED:
            status = REFUNDED if dialect.use_refunded else dialect.cancelled_spelling
        elif status == FAIL:
            status = dialect.failed_spelling
        return status.lower() if dialect.lowercase_status else status

    def _money(self, amount: Decimal) -> Decimal:
        exp = Decimal(1).scaleb(-self.dialect.money_decimals)
        return Decimal(amount).quantize(exp, rounding=ROUND_HALF_UP)

    def _fmt_money(self, amount: Decimal) -> str:
        return f"{self._money(amount):.{self.dialect.money_decimals}f}"

    def _num(self, value: int | Decimal, text: str | None = None) -> Any:
        """Render a number as the dialect sends it: a string or a JSON number.

        See docs/protocol.md, section 3.
        """
        if self.dialect.numbers_as_numbers:
            return float(value) if isinstance(value, Decimal) else value
        return text if text is not None else str(value)

    _handlers: dict[
        str,
        Callable[[PanelSimulator, str, _Account, Mapping[str, str]], Response],
    ] = {
        "services": _services,
        "balance": _balance,
        "add": _add,
        "status": _status,
        "refill": _refill,
        "refill_status": _refill_status,
        "cancel": _cancel,
    }


def _to_int(raw: str | int | None) -> int | None:
    """Parse an integer field the lenient way panels do; None if not a number."""
    if raw is None:
        return None
    try:
        return int(str(raw).strip())
    except ValueError:
        return None


def _id_ref(raw: str) -> int | str:
    """Echo an id back the way panels do: as a number when it is one."""
    number = _to_int(raw)
    return raw if number is None else number
