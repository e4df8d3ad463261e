"""WebSocket commands of the dashboard card (`custom:smm-panel-card`).

Reading commands (accounts, orders, catalogue) read what the integration
already holds. Every command that asks the panel to do something (estimate,
place, refill, cancel) runs the integration's own action through Home
Assistant's service registry, with the user's context: the same schema, the
same checks, the same order desk. The card can do nothing the actions cannot,
and the commands that spend money are for administrators only. No command
ever answers with the config entry's data (the API key).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from functools import wraps
from typing import Any, Final

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import (
    ERR_HOME_ASSISTANT_ERROR,
    ERR_INVALID_FORMAT,
)
from homeassistant.components.websocket_api.decorators import (
    async_response,
    require_admin,
    websocket_command,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import voluptuous as vol

from .api import CatalogueItem, OrderState
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DRY_RUN,
    ATTR_INTERVAL,
    ATTR_LINK,
    ATTR_ORDERS,
    ATTR_QUANTITY,
    ATTR_RUNS,
    ATTR_TRACK,
    DOMAIN,
    LOGGER,
    SERVICE_ADD_ORDER,
    SERVICE_CANCEL,
    SERVICE_ESTIMATE_ORDER,
    SERVICE_REFILL,
)
from .coordinator import SmmPanelCoordinator
from .order_validation import rules_for
from .services import async_get_catalogue, resolve_coordinator, resolve_coordinators
from .shapes import catalogue_item, money, order_attributes
from .tracking import TrackedOrder

# One page of the catalogue picker; the card asks for 50.
MAX_PAGE: Final = 200
MAX_SEARCH: Final = 200
# Orders a refill may be asked for: finished, and delivered (wholly or partly).
_REFILLABLE: Final = frozenset({OrderState.COMPLETED, OrderState.PARTIAL})

type _Handler = Callable[
    [HomeAssistant, ActiveConnection, dict[str, Any]],
    Coroutine[Any, Any, None],
]

_ENTRY: Final[dict[str | vol.Marker, Any]] = {vol.Optional(ATTR_CONFIG_ENTRY_ID): str}
_ORDER_ID: Final = vol.All(int, vol.Range(min=1))


@callback
def async_setup_websocket_api(hass: HomeAssistant) -> None:
    """Register the card's commands, once for every account."""
    for command in (
        ws_accounts,
        ws_orders,
        ws_catalogue,
        ws_estimate,
        ws_place,
        ws_refill,
        ws_cancel,
    ):
        async_register_command(hass, command)


def _translated_errors(handler: _Handler) -> _Handler:
    """Answer a refusal with its translated message and translation key.

    The message is in the server's language; the key and placeholders let the
    card show it in the user's. Refusals are the user's business, not a fault
    of Home Assistant: logged at debug level only.
    """

    @wraps(handler)
    async def with_errors(
        hass: HomeAssistant,
        connection: ActiveConnection,
        msg: dict[str, Any],
    ) -> None:
        try:
            await handler(hass, connection, msg)
        except vol.Invalid as err:
            connection.send_error(
                msg["id"],
                ERR_INVALID_FORMAT,
                vol.humanize.humanize_error(msg.get("order", msg), err),
            )
        except HomeAssistantError as err:
            LOGGER.debug("Card command %s refused: %s", msg["type"], err)
            code = (
                "service_validation_error"
                if isinstance(err, ServiceValidationError)
                else ERR_HOME_ASSISTANT_ERROR
            )
            connection.send_error(
                msg["id"],
                code,
                str(err),
                translation_key=err.translation_key,
                translation_domain=err.translation_domain,
                translation_placeholders=err.translation_placeholders,
            )

    return with_errors


async def _async_run_action(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
    action: str,
    data: dict[str, Any],
) -> Any:
    """Run one of the integration's actions as the user; return its response."""
    if entry_id := msg.get(ATTR_CONFIG_ENTRY_ID):
        data = {**data, ATTR_CONFIG_ENTRY_ID: entry_id}
    return await hass.services.async_call(
        DOMAIN,
        action,
        data,
        blocking=True,
        context=connection.context(msg),
        return_response=True,
    )


def _order_fields(msg: dict[str, Any]) -> dict[str, Any]:
    """Return the order's fields; what the command decides itself is left out."""
    return {
        key: value
        for key, value in msg["order"].items()
        if key not in (ATTR_CONFIG_ENTRY_ID, ATTR_DRY_RUN, ATTR_TRACK)
    }


# --- reading -------------------------------------------------------------------


def _account(coordinator: SmmPanelCoordinator) -> dict[str, Any]:
    entry = coordinator.config_entry
    data = coordinator.data
    return {
        "config_entry_id": entry.entry_id,
        "title": entry.title,
        "balance": money(data.balance.amount) if data else None,
        "currency": data.balance.currency if data else None,
        "available": coordinator.last_update_success,
    }


@websocket_command({vol.Required("type"): f"{DOMAIN}/accounts"})
@async_response
@_translated_errors
async def ws_accounts(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """List the loaded accounts: title, balance and currency."""
    try:
        coordinators = resolve_coordinators(hass, None)
    except ServiceValidationError:
        coordinators = []
    connection.send_result(msg["id"], {"accounts": [_account(c) for c in coordinators]})


def _order(
    order: TrackedOrder,
    catalogue: Mapping[int, CatalogueItem],
    refills: list[dict[str, Any]],
) -> dict[str, Any]:
    """Return one order of the list, with what the card may offer for it."""
    service = catalogue.get(order.service_id) if order.service_id else None
    return {
        # The sensor's attributes, `estimated_completion` among them.
        **order_attributes(order),
        "status": order.state.value,
        "finished": order.is_finished,
        "can_refill": bool(service and service.refill and order.state in _REFILLABLE),
        "can_cancel": bool(service and service.cancel and not order.is_finished),
        "refills": refills,
    }


@websocket_command({vol.Required("type"): f"{DOMAIN}/orders", **_ENTRY})
@async_response
@_translated_errors
async def ws_orders(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Return the account's tracked orders, newest (highest id) first."""
    coordinator = resolve_coordinator(hass, msg.get(ATTR_CONFIG_ENTRY_ID))
    data = coordinator.data
    refills: dict[int, list[dict[str, Any]]] = {}
    for refill in sorted(data.refills.values(), key=lambda r: -r.refill_id):
        if refill.order_id is not None:
            refills.setdefault(refill.order_id, []).append(
                {"refill": refill.refill_id, "status": refill.state.value}
            )
    catalogue = coordinator.catalogue
    orders = [
        _order(order, catalogue, refills.get(order.order_id, []))
        for order in sorted(data.orders.values(), key=lambda o: -o.order_id)
    ]
    connection.send_result(
        msg["id"], {"account": _account(coordinator), "orders": orders}
    )


def _fields(item: CatalogueItem) -> dict[str, Any]:
    """Return the fields an order for this service takes (order_validation's rules)."""
    rules = rules_for(item)
    accepted = rules.accepted_fields()
    required = [name for name in (ATTR_LINK, ATTR_QUANTITY) if name in accepted]
    required += [name for name in rules.required if name not in required]
    optional = list(rules.optional)
    if item.dripfeed and ATTR_RUNS in accepted:
        optional += [ATTR_RUNS, ATTR_INTERVAL]
    return {
        "required": required,
        "optional": optional,
        "billing": rules.billing.value,
        "counted_field": rules.counted_field,
    }


def _search_catalogue(
    catalogue: Mapping[int, CatalogueItem],
    search: str,
    category: str | None,
    type_: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[CatalogueItem]]:
    """Return how many services match and one page of them (in a worker thread).

    Every word of the search is looked for in the name and the category; a
    number also finds the service of that id.
    """
    words = search.casefold().split()
    wanted_id = int(search) if search.strip().isdigit() else None
    folded_category = category.casefold() if category else None
    folded_type = type_.casefold() if type_ else None
    total = 0
    page: list[CatalogueItem] = []
    for item in catalogue.values():  # a Catalogue never changes once made
        if folded_category is not None and item.category.casefold() != folded_category:
            continue
        if folded_type is not None and item.type.casefold() != folded_type:
            continue
        if words and item.service_id != wanted_id:
            text = f"{item.name}\n{item.category}".casefold()
            if not all(word in text for word in words):
                continue
        if offset <= total < offset + limit:
            page.append(item)
        total += 1
    return total, page


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/catalogue",
        **_ENTRY,
        vol.Optional("search", default=""): vol.All(str, vol.Length(max=MAX_SEARCH)),
        vol.Optional("category"): vol.All(str, vol.Length(max=MAX_SEARCH)),
        vol.Optional("service_type"): vol.All(str, vol.Length(max=MAX_SEARCH)),
        vol.Optional("offset", default=0): vol.All(int, vol.Range(min=0)),
        vol.Optional("limit", default=50): vol.All(int, vol.Range(min=1, max=MAX_PAGE)),
    }
)
@async_response
@_translated_errors
async def ws_catalogue(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Search the account's catalogue; one page of services, and how many match.

    The search runs in a worker thread: a catalogue may hold 150 000 services.
    """
    coordinator = resolve_coordinator(hass, msg.get(ATTR_CONFIG_ENTRY_ID))
    catalogue = await async_get_catalogue(coordinator)
    total, page = await hass.async_add_executor_job(
        _search_catalogue,
        catalogue,
        msg["search"],
        msg.get("category"),
        msg.get("service_type"),
        msg["offset"],
        msg["limit"],
    )
    currency = coordinator.data.balance.currency
    connection.send_result(
        msg["id"],
        {
            "total": total,
            "offset": msg["offset"],
            "services": [
                catalogue_item(item) | {"currency": currency, "fields": _fields(item)}
                for item in page
            ],
        },
    )


# --- acting: the integration's actions -----------------------------------------

_ORDER_COMMAND: Final[dict[str | vol.Marker, Any]] = {
    **_ENTRY,
    vol.Required("order"): dict,
}


@websocket_command({vol.Required("type"): f"{DOMAIN}/estimate", **_ORDER_COMMAND})
@async_response
@_translated_errors
async def ws_estimate(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Check and estimate an order as `smm_panel.estimate_order` does; send nothing."""
    response = await _async_run_action(
        hass, connection, msg, SERVICE_ESTIMATE_ORDER, _order_fields(msg)
    )
    connection.send_result(msg["id"], response)


@websocket_command({vol.Required("type"): f"{DOMAIN}/place", **_ORDER_COMMAND})
@require_admin
@async_response
@_translated_errors
async def ws_place(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Place an order through `smm_panel.add_order` (tracked); administrators only."""
    data = _order_fields(msg) | {ATTR_DRY_RUN: False, ATTR_TRACK: True}
    response = await _async_run_action(hass, connection, msg, SERVICE_ADD_ORDER, data)
    connection.send_result(msg["id"], response)


_ORDER_ID_COMMAND: Final[dict[str | vol.Marker, Any]] = {
    **_ENTRY,
    vol.Required("order"): _ORDER_ID,
}


@websocket_command({vol.Required("type"): f"{DOMAIN}/refill", **_ORDER_ID_COMMAND})
@require_admin
@async_response
@_translated_errors
async def ws_refill(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Ask for a refill of one order through `smm_panel.refill`; administrators only.

    The answer is the panel's, for this order: the refill id, or its refusal.
    """
    response = await _async_run_action(
        hass, connection, msg, SERVICE_REFILL, {ATTR_ORDERS: [str(msg["order"])]}
    )
    connection.send_result(msg["id"], response["refills"][0])


@websocket_command({vol.Required("type"): f"{DOMAIN}/cancel", **_ORDER_ID_COMMAND})
@require_admin
@async_response
@_translated_errors
async def ws_cancel(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Ask to cancel one order through `smm_panel.cancel`; administrators only.

    The answer is the panel's, for this order: cancel requested, or its refusal.
    """
    response = await _async_run_action(
        hass, connection, msg, SERVICE_CANCEL, {ATTR_ORDERS: [str(msg["order"])]}
    )
    connection.send_result(msg["id"], response[ATTR_ORDERS][0])
