"""Diagnostics, with the API key redacted."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from .const import CONF_API_URL
from .coordinator import SmmPanelConfigEntry

# The key is a secret; links name the user's social-media accounts.
TO_REDACT = {CONF_API_KEY, "unique_id", "link"}


def redact_url(url: str) -> str:
    """Return the URL without its user name, password and query values."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return REDACTED
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"{REDACTED}@{netloc}"
    query = "&".join(
        f"{name.partition('=')[0]}={REDACTED}"
        for name in parts.query.split("&")
        if name
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmmPanelConfigEntry
) -> dict[str, Any]:
    """Return the entry, the balance and the tracked orders; never the key."""
    coordinator = entry.runtime_data
    balance = coordinator.data.balance
    entry_dict = entry.as_dict()
    # A URL may carry credentials (user:password@, ?key=...).
    entry_dict["data"] = {
        **entry_dict["data"],
        CONF_API_URL: redact_url(entry.data[CONF_API_URL]),
    }
    diagnostics = {
        "entry": entry_dict,
        "last_update_success": coordinator.last_update_success,
        "balance": {"amount": str(balance.amount), "currency": balance.currency},
        "services_cached": len(coordinator.services),
        "tracked_orders": [
            order.as_storage() for order in coordinator.tracker.orders.values()
        ],
        "tracked_refills": [
            refill.as_storage() for refill in coordinator.tracker.refills.values()
        ],
    }
    return async_redact_data(diagnostics, TO_REDACT)
