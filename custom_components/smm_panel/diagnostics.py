"""Diagnostics, with the API key and the secrets of the API URL redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from .api import redact_url
from .const import CONF_API_URL
from .coordinator import SmmPanelConfigEntry

# The key is a secret; links name the user's social-media accounts.
TO_REDACT = {CONF_API_KEY, "unique_id", "link"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmmPanelConfigEntry
) -> dict[str, Any]:
    """Return the entry, the balance and the tracked orders; never the key."""
    coordinator = entry.runtime_data
    data = coordinator.data
    balance = data.balance
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
        "catalogue_items": len(coordinator.catalogue),
        "next_refresh": coordinator.next_refresh_diagnostics(),
        "tracked_orders": [order.as_storage() for order in data.orders.values()],
        "tracked_refills": [refill.as_storage() for refill in data.refills.values()],
    }
    return async_redact_data(diagnostics, TO_REDACT)
