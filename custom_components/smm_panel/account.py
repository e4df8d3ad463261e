"""A panel account: the client that talks to it, and how it is named and linked.

Used by the config flow (before any entry exists) and by the integration.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from . import const
from .api import SmmPanelClient


def create_client(hass: HomeAssistant, api_url: str, api_key: str) -> SmmPanelClient:
    """Return a client for a panel account, on Home Assistant's shared session."""
    return SmmPanelClient(
        async_get_clientsession(hass),
        api_key,
        api_url,
        timeout=const.CLIENT_TIMEOUT,
        backoff=const.CLIENT_BACKOFF,
    )


def panel_host(api_url: str) -> str:
    """Return the host name of a panel's API URL, used as its display name.

    Only the host: a user name, password or query in the URL may be secret.
    """
    try:
        host = urlsplit(api_url).hostname
    except ValueError:  # the config flow refuses such URLs
        host = None
    return host or "SMM panel"


def account_host(api_url: str) -> str:
    """Return the host that names a panel in an account's id.

    The same panel however its host is written: letter case, a final dot and
    a leading `www.` do not make another panel (`www.SMMQueen.com.` is
    `smmqueen.com`).
    """
    host = panel_host(api_url).casefold().rstrip(".")
    if host.startswith("www.") and host.count(".") >= 2:
        host = host.removeprefix("www.")
    return host


def panel_site_url(api_url: str) -> str | None:
    """Return the panel's website: the scheme, host and port of its API URL.

    An IPv6 host goes in brackets. No user name, password, path or query: they
    may hold secrets. None when the URL cannot be a link.
    """
    try:
        parts = urlsplit(api_url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return (
        f"{parts.scheme}://{host}"
        if port is None
        else f"{parts.scheme}://{host}:{port}"
    )
