"""Actions of the SMM Panel integration: place, follow, refill and cancel orders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
import heapq
import re
from typing import Any, Final, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .api import (
    MAX_ID,
    CancelResult,
    CatalogueItem,
    ItemError,
    OrderStatus,
    SmmPanelAuthenticationError,
    SmmPanelClient,
    SmmPanelError,
    SmmPanelOrderStateUnknownError,
    parse_id,
)
from .const import (
    ATTR_ALLOW_DUPLICATE,
    ATTR_ALLOW_INEXACT_ESTIMATE,
    ATTR_CANCEL,
    ATTR_CATEGORY,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DRY_RUN,
    ATTR_INTERVAL,
    ATTR_LINK,
    ATTR_MAX,
    ATTR_MAX_RATE,
    ATTR_MIN,
    ATTR_OLD_POSTS,
    ATTR_ORDERS,
    ATTR_POSTS,
    ATTR_QUANTITY,
    ATTR_REFILL,
    ATTR_REFILLS,
    ATTR_RUNS,
    ATTR_SEARCH,
    ATTR_SERVICE,
    ATTR_SORT,
    ATTR_TRACK,
    ATTR_TYPE,
    ATTR_TYPE_OF_TRAFFIC,
    ATTR_USERNAME,
    DOMAIN,
    SERVICE_ADD_ORDER,
    SERVICE_CANCEL,
    SERVICE_ESTIMATE_ORDER,
    SERVICE_LIST_SERVICES,
    SERVICE_ORDER_STATUS,
    SERVICE_REFILL,
    SERVICE_REFILL_STATUS,
    SERVICE_TRACK_ORDERS,
    SERVICE_UNTRACK_ORDERS,
)
from .coordinator import SmmPanelConfigEntry, SmmPanelCoordinator
from .errors import action_error
from .order_validation import OrderPlan, plan_order
from .ordering import (
    ACTION_MAX_WAIT,
    OrderOptions,
    get_order_desk,
    order_placeholders,
    refresh_soon,
)
from .shapes import (
    cancel_item,
    catalogue_item,
    money,
    order_status_item,
    refill_item,
    refill_status_item,
    with_estimate,
)
from .tracking import TrackedOrder

# Ids are written as digits; 2^53 - 1 has 16 of them.
_MAX_ID_DIGITS: Final = len(str(MAX_ID))
_WHOLE_NUMBER: Final = re.compile(rf"[0-9]{{1,{_MAX_ID_DIGITS}}}(?:\.0*)?")

# Ids may come as a list, or as text separated by commas, spaces or new lines.
_ID_SEPARATORS: Final = re.compile(r"[\s,;]+")
# "23,504", "1,234,567" or "23 504" (a narrow no-break space): one id as the
# frontend shows it, grouped by thousands. Read as a list it would be two
# wrong orders, so it is refused.
_GROUPED_ID: Final = re.compile(
    r"(?<![0-9])[0-9]{1,3}(?:[,'\u00a0\u2009\u202f][0-9]{3})+(?![0-9])"
)


def _lines(value: Any) -> list[str]:
    """Accept a list field as multiline text or as a list; keep non-empty lines."""
    items = [value] if isinstance(value, str) else cv.ensure_list(value)
    return [
        line.strip()
        for item in items
        for line in cv.string(item).splitlines()
        if line.strip()
    ]


def _trimmed_text(value: Any) -> str | None:
    """Accept text, trimmed; an empty text counts as not given."""
    return cv.string(value).strip() or None


def _expiry(value: Any) -> str:
    """Accept a date (or text as d/m/Y) and give it as the panel wants: d/m/Y."""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = cv.string(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).strftime("%d/%m/%Y")
        except ValueError:
            continue
    raise vol.Invalid("expected a date (YYYY-MM-DD or DD/MM/YYYY)")


def _whole_number(minimum: int) -> Any:
    """Accept a whole number (100, 100.0, "100"); refuse 99.99, true and "1e3".

    `vol.Coerce(int)` would cut 1.9 down to 1: the wrong service, or a smaller
    order than asked for, is not a guess to make with money.
    """

    def validate(value: Any) -> int:
        number: int | None = None
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
            number = int(value.strip().partition(".")[0])
        if number is None:
            raise vol.Invalid(f"expected a whole number, got {str(value)[:20]!r}")
        if not minimum <= number <= MAX_ID:
            raise vol.Invalid(f"expected a whole number from {minimum} to {MAX_ID}")
        return number

    return validate


_POSITIVE_INT = _whole_number(1)
_NON_NEGATIVE_INT = _whole_number(0)
_IDS = vol.Any(cv.string, [cv.string])
_ENTRY: dict[vol.Marker, Any] = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}

ADD_ORDER_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_SERVICE): _POSITIVE_INT,
        vol.Optional(ATTR_LINK): _trimmed_text,
        vol.Optional(ATTR_QUANTITY): _POSITIVE_INT,
        vol.Optional(ATTR_RUNS): _POSITIVE_INT,
        vol.Optional(ATTR_INTERVAL): _POSITIVE_INT,
        vol.Optional("comments"): _lines,
        vol.Optional("usernames"): _lines,
        vol.Optional("hashtags"): _lines,
        vol.Optional("hashtag"): _trimmed_text,
        vol.Optional(ATTR_USERNAME): _trimmed_text,
        vol.Optional("media"): _trimmed_text,
        vol.Optional("answer_number"): _POSITIVE_INT,
        vol.Optional("groups"): _lines,
        vol.Optional("keywords"): _lines,
        vol.Optional(ATTR_MIN): _POSITIVE_INT,
        vol.Optional(ATTR_MAX): _POSITIVE_INT,
        vol.Optional(ATTR_POSTS): _POSITIVE_INT,
        vol.Optional(ATTR_OLD_POSTS): _NON_NEGATIVE_INT,
        vol.Optional("delay"): _NON_NEGATIVE_INT,
        vol.Optional("expiry"): _expiry,
        vol.Optional("country"): _trimmed_text,
        vol.Optional("device"): _POSITIVE_INT,
        vol.Optional(ATTR_TYPE_OF_TRAFFIC): _POSITIVE_INT,
        vol.Optional("google_keyword"): _trimmed_text,
        vol.Optional("referring_url"): _trimmed_text,
        vol.Optional(ATTR_TRACK, default=True): cv.boolean,
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
        vol.Optional(ATTR_ALLOW_DUPLICATE, default=False): cv.boolean,
        vol.Optional(ATTR_ALLOW_INEXACT_ESTIMATE, default=False): cv.boolean,
    }
)
# The same order fields, never sent: the dry run as an action of its own.
ESTIMATE_ORDER_SCHEMA: Final = vol.Schema(
    {
        key: value
        for key, value in ADD_ORDER_SCHEMA.schema.items()
        if str(key) not in (ATTR_TRACK, ATTR_DRY_RUN)
    }
)
ORDERS_SCHEMA: Final = vol.Schema({**_ENTRY, vol.Required(ATTR_ORDERS): _IDS})
REFILLS_SCHEMA: Final = vol.Schema({**_ENTRY, vol.Required(ATTR_REFILLS): _IDS})
LIST_SERVICES_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_CATEGORY): _trimmed_text,
        vol.Optional(ATTR_SEARCH): _trimmed_text,
        vol.Optional(ATTR_TYPE): _trimmed_text,
        vol.Optional(ATTR_REFILL): cv.boolean,
        vol.Optional(ATTR_CANCEL): cv.boolean,
        vol.Optional(ATTR_MAX_RATE): vol.All(vol.Coerce(float), vol.Range(min=0)),
        vol.Optional(ATTR_SORT): vol.In(["rate", "name", "min"]),
    }
)


# --- resolving the account and the input --------------------------------


def _get_coordinator(call: ServiceCall) -> SmmPanelCoordinator:
    """Return the account the call is for: the one named, or the only one loaded."""
    return resolve_coordinator(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))


def _get_coordinators(call: ServiceCall) -> list[SmmPanelCoordinator]:
    """Return the account named in the call, or every loaded account."""
    return resolve_coordinators(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))


def resolve_coordinator(
    hass: HomeAssistant, entry_id: str | None
) -> SmmPanelCoordinator:
    """Return the account named, or the only one loaded (actions and card)."""
    coordinators = resolve_coordinators(hass, entry_id)
    if len(coordinators) > 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="several_entries_loaded",
            translation_placeholders={
                "titles": ", ".join(c.config_entry.title for c in coordinators)
            },
        )
    return coordinators[0]


def resolve_coordinators(
    hass: HomeAssistant, entry_id: str | None
) -> list[SmmPanelCoordinator]:
    """Return the account named, or every loaded account (actions and card)."""
    entries = hass.config_entries
    if entry_id:
        entry = entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_found",
                translation_placeholders={"config_entry_id": entry_id},
            )
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"title": entry.title},
            )
        return [cast(SmmPanelConfigEntry, entry).runtime_data]
    loaded = entries.async_loaded_entries(DOMAIN)
    if not loaded:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_entry_loaded"
        )
    return [cast(SmmPanelConfigEntry, entry).runtime_data for entry in loaded]


def _parse_ids(call: ServiceCall, field: str) -> list[int]:
    """Return the positive ids of a field, in the given order, without repeats."""
    value = call.data[field]
    items = [value] if isinstance(value, str) else value
    ids: list[int] = []
    for item in items:
        if grouped := _GROUPED_ID.search(item):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="grouped_id",
                translation_placeholders={"field": field, "value": grouped[0][:24]},
            )
        for part in filter(None, _ID_SEPARATORS.split(item)):
            # Read as the panel's ids are; short enough to show back exactly.
            number = parse_id(part) if len(part) <= _MAX_ID_DIGITS else None
            if number is None:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="invalid_id",
                    translation_placeholders={"field": field, "value": part[:20]},
                )
            ids.append(number)
    if not ids:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_ids",
            translation_placeholders={"field": field},
        )
    return list(dict.fromkeys(ids))


# --- errors of the panel ---------------------------------------------------


@contextmanager
def _panel_errors(
    coordinator: SmmPanelCoordinator, plan: OrderPlan | None = None
) -> Iterator[None]:
    """Turn the client's errors into translated Home Assistant errors.

    `plan` is the order being placed, if any: it names the order when its
    fate is unknown (the repair issue was raised where it was sent). A refused
    key also starts reauthentication.
    """
    try:
        yield
    except SmmPanelError as err:
        if isinstance(err, SmmPanelAuthenticationError):
            coordinator.config_entry.async_start_reauth(coordinator.hass)
        placeholders = None
        if isinstance(err, SmmPanelOrderStateUnknownError):
            placeholders = order_placeholders(coordinator.config_entry.title, plan)
        raise action_error(err, placeholders) from err


# --- actions ------------------------------------------------------------------


def _order_options(call: ServiceCall) -> OrderOptions:
    return OrderOptions(
        track=call.data.get(ATTR_TRACK, True),
        allow_duplicate=call.data.get(ATTR_ALLOW_DUPLICATE, False),
        allow_inexact_estimate=call.data.get(ATTR_ALLOW_INEXACT_ESTIMATE, False),
    )


async def _async_plan(call: ServiceCall) -> tuple[SmmPanelCoordinator, OrderPlan]:
    """Return the account and the checked order of an add or estimate call."""
    coordinator = _get_coordinator(call)
    return coordinator, plan_order(await async_get_catalogue(coordinator), call.data)


async def async_get_catalogue(
    coordinator: SmmPanelCoordinator,
) -> Mapping[int, CatalogueItem]:
    """Return the account's catalogue, fetched again when old (actions and card)."""
    with _panel_errors(coordinator):
        return await coordinator.async_refresh_catalogue(max_wait=ACTION_MAX_WAIT)


def _order_response(
    coordinator: SmmPanelCoordinator,
    plan: OrderPlan,
    order_id: int | None,
    *,
    dry_run: bool,
) -> dict[str, Any]:
    return {
        "order": order_id,
        "service": plan.service.service_id,
        "service_name": plan.service.name,
        "estimated_charge": float(plan.estimated_charge),
        "currency": coordinator.data.balance.currency,
        "dry_run": dry_run,
        "estimate_exact": plan.estimate_exact,
    }


async def _async_estimate_response(
    coordinator: SmmPanelCoordinator, plan: OrderPlan, options: OrderOptions
) -> dict[str, Any]:
    """Return what a dry run answers: the estimate, the guards and the balance."""
    desk = get_order_desk(coordinator.hass, coordinator)
    with _panel_errors(coordinator):
        estimate = await desk.async_estimate(coordinator, plan, options)
    guards = estimate.guards
    return _order_response(coordinator, plan, None, dry_run=True) | {
        "spent_last_24h": money(guards.spent),
        "spending_limit": money(guards.limit),
        "within_spending_limit": guards.within_limit,
        "duplicate_of": guards.repeat_of.order_id if guards.repeat_of else None,
        "balance": money(estimate.balance),
        "balance_after": money(estimate.balance_after),
    }


async def _async_add_order(call: ServiceCall) -> ServiceResponse:
    """Place an order through the account's order desk (or only estimate it).

    The desk checks every guard, reserves the order before it is sent, sends
    it once and settles it with the panel's answer; this reads the call and
    shapes the response.
    """
    coordinator, plan = await _async_plan(call)
    options = _order_options(call)
    if call.data[ATTR_DRY_RUN]:
        return await _async_estimate_response(coordinator, plan, options)
    desk = get_order_desk(call.hass, coordinator)
    with _panel_errors(coordinator, plan):
        order_id = await desk.async_place(coordinator, plan, options)
    return _order_response(coordinator, plan, order_id, dry_run=False)


async def _async_estimate_order(call: ServiceCall) -> ServiceResponse:
    """Check an order and estimate it, as a dry run does; nothing is sent."""
    coordinator, plan = await _async_plan(call)
    return await _async_estimate_response(coordinator, plan, _order_options(call))


@dataclass(frozen=True, slots=True)
class BulkAction:
    """An action that sends a list of ids in batches and answers for each id."""

    ids_field: str
    response_key: str
    request: Callable[[SmmPanelClient, list[int]], Awaitable[Mapping[int, Any]]]
    item: Callable[[int, Any], dict[str, Any]]
    supports_response: SupportsResponse = SupportsResponse.ONLY
    # What to do with the results: track new refills, refresh after a cancel.
    record: (
        Callable[[SmmPanelCoordinator, Mapping[int, Any]], Awaitable[None]] | None
    ) = None
    # Whether items carry the tracked orders' completion estimates.
    estimates: bool = False


async def _async_bulk(call: ServiceCall, action: BulkAction) -> ServiceResponse:
    """Run a bulk action; answer in the order the ids were given."""
    coordinator = _get_coordinator(call)
    ids = _parse_ids(call, action.ids_field)
    with _panel_errors(coordinator):
        results = await action.request(coordinator.client, ids)
    # Batches that went through are kept even when another was refused.
    _reauth_if_refused(coordinator, results)
    if action.record is not None:
        await action.record(coordinator, results)
    items: list[Any] = [action.item(i, results[i]) for i in ids]
    if action.estimates:
        items = [with_estimate(item, coordinator.tracker.orders) for item in items]
    return {action.response_key: items}


async def _async_track_new_refills(
    coordinator: SmmPanelCoordinator, results: Mapping[int, Any]
) -> None:
    """Follow the refills the panel created until they finish."""
    await coordinator.async_track_refills(
        {
            refill_id: order_id
            for order_id, refill_id in results.items()
            if not isinstance(refill_id, ItemError)
        }
    )


async def _async_refresh_after_cancel(
    coordinator: SmmPanelCoordinator, results: Mapping[int, Any]
) -> None:
    """Show the refund and the canceled state soon."""
    if any(isinstance(result, CancelResult) for result in results.values()):
        refresh_soon(coordinator)


BULK_ACTIONS: Final[dict[str, BulkAction]] = {
    SERVICE_ORDER_STATUS: BulkAction(
        ATTR_ORDERS,
        ATTR_ORDERS,
        lambda client, ids: client.async_get_orders_status(
            ids, max_wait=ACTION_MAX_WAIT
        ),
        order_status_item,
        estimates=True,
    ),
    SERVICE_REFILL: BulkAction(
        ATTR_ORDERS,
        ATTR_REFILLS,
        lambda client, ids: client.async_refill_orders(ids, max_wait=ACTION_MAX_WAIT),
        refill_item,
        SupportsResponse.OPTIONAL,
        _async_track_new_refills,
    ),
    SERVICE_REFILL_STATUS: BulkAction(
        ATTR_REFILLS,
        ATTR_REFILLS,
        lambda client, ids: client.async_get_refills_status(
            ids, max_wait=ACTION_MAX_WAIT
        ),
        refill_status_item,
    ),
    SERVICE_CANCEL: BulkAction(
        ATTR_ORDERS,
        ATTR_ORDERS,
        lambda client, ids: client.async_cancel_orders(ids, max_wait=ACTION_MAX_WAIT),
        cancel_item,
        SupportsResponse.OPTIONAL,
        _async_refresh_after_cancel,
    ),
}


async def _async_list_services(call: ServiceCall) -> ServiceResponse:
    """Return the catalogue's services that match every filter given.

    Without `config_entry_id` and with several accounts loaded, every
    account's catalogue is searched and each service is tagged with its
    account and currency: sorted by rate, that answers "which panel sells
    this for less". Rates in different currencies are never compared: sorted
    by rate, services are grouped by currency first (and the response says
    so). Filtering and sorting a catalogue of 150 000 services runs in a
    worker thread.
    """
    coordinators = _get_coordinators(call)
    sources: list[tuple[Mapping[int, CatalogueItem], dict[str, Any]]] = []
    for coordinator in coordinators:
        with _panel_errors(coordinator):
            catalogue = await coordinator.async_refresh_catalogue(
                max_wait=ACTION_MAX_WAIT
            )
        entry = coordinator.config_entry
        tags: dict[str, Any] = {"currency": coordinator.data.balance.currency}
        if len(coordinators) > 1:
            tags |= {"config_entry_id": entry.entry_id, "account": entry.title}
        sources.append((catalogue, tags))
    filters = dict(call.data)
    return await call.hass.async_add_executor_job(_select_services, sources, filters)


def _select_services(
    sources: list[tuple[Mapping[int, CatalogueItem], dict[str, Any]]],
    filters: dict[str, Any],
) -> dict[str, Any]:
    """Filter, shape and sort services (in a worker thread)."""
    services: list[dict[str, Any]] = [
        catalogue_item(item) | tags
        for catalogue, tags in sources
        for item in catalogue.values()
        if _matches(item, filters)
    ]
    response: dict[str, Any] = {}
    if sort := filters.get(ATTR_SORT):
        currencies = sorted({item["currency"] for item in services})
        key = _SORT_KEYS[sort]
        if sort == "rate" and len(currencies) > 1:
            services = _sorted_in_runs(
                services, lambda item: (item["currency"], *key(item))
            )
            response["sorted_within_currency"] = currencies
        else:
            services = _sorted_in_runs(services, key)
    return {"services": services, **response}


# How many services one call of `sorted` orders. A sort's comparisons run no
# Python code, so the worker thread keeps the GIL for the whole call (nearly a
# second for 150 000 services on a busy machine) and the event loop waits as
# long; a run of 2048 takes milliseconds, and merging runs is Python code.
_SORT_RUN: Final = 2048


def _sorted_in_runs[_T](
    items: list[_T], key: Callable[[_T], tuple[Any, ...]]
) -> list[_T]:
    """Sort like `sorted` (stable), in short runs merged one item at a time."""
    runs = [
        sorted(items[start : start + _SORT_RUN], key=key)
        for start in range(0, len(items), _SORT_RUN)
    ]
    return list(heapq.merge(*runs, key=key))


_SORT_KEYS: Final[dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]]] = {
    "rate": lambda item: (item["rate"], item["name"].casefold()),
    "name": lambda item: (item["name"].casefold(), item["rate"]),
    "min": lambda item: (item["min"], item["rate"]),
}


def _matches(service: CatalogueItem, filters: Mapping[str, Any]) -> bool:
    """Apply the filters of `list_services` (text filters ignore letter case)."""
    category, search, type_ = (
        filters.get(name) for name in (ATTR_CATEGORY, ATTR_SEARCH, ATTR_TYPE)
    )
    return (
        (category is None or service.category.casefold() == category.casefold())
        and (search is None or search.casefold() in service.name.casefold())
        and (type_ is None or service.type.casefold() == type_.casefold())
        and filters.get(ATTR_REFILL, service.refill) == service.refill
        and filters.get(ATTR_CANCEL, service.cancel) == service.cancel
        and (
            ATTR_MAX_RATE not in filters
            or float(service.rate) <= filters[ATTR_MAX_RATE]
        )
    )


async def _async_track_orders(call: ServiceCall) -> ServiceResponse:
    """Follow orders placed elsewhere; return every asked id now tracked."""
    coordinator = _get_coordinator(call)
    order_ids = _parse_ids(call, ATTR_ORDERS)
    # The tracker, not the snapshot: an entry reloaded meanwhile shares it.
    new_ids = [i for i in order_ids if i not in coordinator.tracker.orders]
    if new_ids:
        with _panel_errors(coordinator):
            statuses = await coordinator.client.async_get_orders_status(
                new_ids, max_wait=ACTION_MAX_WAIT
            )
        _reauth_if_refused(coordinator, statuses)
        now = dt_util.utcnow()
        # The current status is the starting point: no event is fired for it.
        await coordinator.async_track(
            [
                TrackedOrder(status.order_id).updated(status, now)
                for status in statuses.values()
                if isinstance(status, OrderStatus)
            ]
        )
    tracked = coordinator.tracker.orders
    return {"tracked": [i for i in order_ids if i in tracked]}


async def _async_untrack_orders(call: ServiceCall) -> ServiceResponse:
    """Stop following orders; return the ids that were followed."""
    coordinator = _get_coordinator(call)
    order_ids = _parse_ids(call, ATTR_ORDERS)
    untracked: list[Any] = await coordinator.async_untrack(order_ids)
    return {"untracked": untracked}


@callback
def _reauth_if_refused(
    coordinator: SmmPanelCoordinator, results: Mapping[int, Any]
) -> None:
    """Start reauthentication when a batch was refused for the key.

    The other batches went through (refills and cancels happened), so their
    results are returned; the refused batch's ids carry the error.
    """
    if any(
        isinstance(result, ItemError)
        and isinstance(result.cause, SmmPanelAuthenticationError)
        for result in results.values()
    ):
        coordinator.config_entry.async_start_reauth(coordinator.hass)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions, once for every account."""
    handlers: list[tuple[str, Any, vol.Schema, SupportsResponse]] = [
        (
            SERVICE_ADD_ORDER,
            _async_add_order,
            ADD_ORDER_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (
            SERVICE_ESTIMATE_ORDER,
            _async_estimate_order,
            ESTIMATE_ORDER_SCHEMA,
            SupportsResponse.ONLY,
        ),
        (
            SERVICE_LIST_SERVICES,
            _async_list_services,
            LIST_SERVICES_SCHEMA,
            SupportsResponse.ONLY,
        ),
        (
            SERVICE_TRACK_ORDERS,
            _async_track_orders,
            ORDERS_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (
            SERVICE_UNTRACK_ORDERS,
            _async_untrack_orders,
            ORDERS_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
    ]
    for name, action in BULK_ACTIONS.items():
        schema = REFILLS_SCHEMA if action.ids_field == ATTR_REFILLS else ORDERS_SCHEMA
        handler = partial(_async_bulk, action=action)
        handlers.append((name, handler, schema, action.supports_response))
    for name, handler, schema, supports_response in handlers:
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=supports_response
        )
