"""Actions of the SMM Panel integration (placeholder until issue 4)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions."""
