"""The dashboard card, served by the integration: nothing else to install.

`smm-panel-card.js` is a plain web component (no build step), registered as a
frontend module so every dashboard can use `custom:smm-panel-card`. The
integration's version is in its URL: browsers load the new card after an
update instead of their cached copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_when_setup

from ..const import DOMAIN

CARD_FILE: Final = Path(__file__).parent / "smm-panel-card.js"
CARD_URL: Final = f"/{DOMAIN}/smm-panel-card.js"


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the card, and load it in every dashboard once the frontend is up.

    Home Assistant always sets up its frontend (`after_dependencies` in the
    manifest orders it first); waiting for it rather than depending on it
    keeps tests that need no frontend from starting its HTTP server.
    """
    integration = await async_get_integration(hass, DOMAIN)
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_URL, str(CARD_FILE), cache_headers=True)]
    )
    module_url = f"{CARD_URL}?v={integration.version}"

    async def add_module(hass: HomeAssistant, component: str) -> None:
        add_extra_js_url(hass, module_url)

    async_when_setup(hass, "frontend", add_module)
