"""A host name in the API URL resolves, through Home Assistant's own resolver.

Every other test reaches the simulated panel at 127.0.0.1, which needs no name
look-up. A test environment whose resolver cannot resolve anything (e.g.
aiodns 3.2.0, pinned by Home Assistant 2025.4, next to pycares 5, which it
cannot call) would pass them all while the config flow shows "unknown" for
every real panel: this test fails there.
"""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.smm_panel.const import CONF_API_URL, DOMAIN

from ...conftest import API_KEY


@pytest.mark.usefixtures("real_resolver")
# localhost is also ::1, where nothing listens (pytest-socket refuses it, with
# this warning); the connection falls back to 127.0.0.1, as a real one does.
@pytest.mark.filterwarnings("ignore:A test tried to use socket.socket.connect")
async def test_localhost_url_resolves(hass: HomeAssistant, panel_url: str) -> None:
    """The config flow reaches the panel at http://localhost:PORT/api/v2.

    With Home Assistant's own resolver, as a real installation has (the test
    plugin replaces it by one shared by every test, which cannot resolve).
    """
    url = panel_url.replace("//127.0.0.1:", "//localhost:")
    assert url != panel_url

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: url, CONF_API_KEY: API_KEY}
    )
    await hass.async_block_till_done()

    assert result.get("errors") is None, result.get("errors")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_URL] == url
