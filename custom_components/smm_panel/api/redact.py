"""Redaction of secrets in panel URLs: user info and query values."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit, urlunsplit

REDACTED: Final = "**REDACTED**"

# Fallbacks for URLs urlsplit refuses ("http://[::1"): user info, then every
# query or fragment value.
_USERINFO: Final = re.compile(r"(//)[^/?#@]*@")
_PARAM: Final = re.compile(r"([?&#;])([^=&#;]*=)?[^&#;]*")
# A URL inside a longer text (an aiohttp error names the URL it failed on).
URL_IN_TEXT: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def _redact_params(text: str) -> str:
    """Replace every value of an `a=1&b=2` text; a bare `token` is a value too."""
    parts = []
    for part in text.split("&"):
        name, equals, _ = part.partition("=")
        parts.append(f"{name}={REDACTED}" if equals else (REDACTED if part else ""))
    return "&".join(parts)


def redact_url(url: str) -> str:
    """Return `url` with its user info and every query value replaced.

    `https://user:pw@host/api/v2?key=abc` becomes
    `https://**REDACTED**@host/api/v2?key=**REDACTED**`; a fragment's values
    are redacted the same way. Never raises, also for malformed URLs.
    """
    try:
        text = url if isinstance(url, str) else str(url)
    except Exception:  # a broken __str__ must not break logging
        return REDACTED
    try:
        parts = urlsplit(text)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
        query = _redact_params(parts.query) if parts.query else ""
        fragment = _redact_params(parts.fragment) if parts.fragment else ""
        return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))
    except Exception:  # malformed: redact by pattern instead
        text = _USERINFO.sub(rf"\1{REDACTED}@", text)
        return _PARAM.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{REDACTED}", text)


def url_secrets(url: str) -> list[str]:
    """Return the secrets of a URL (user name, password, query values) to redact.

    Both the written and the percent-decoded forms; texts shorter than 4
    characters are left out, as replacing them would garble every message.
    """
    try:
        parts = urlsplit(url)
        found: list[str] = []
        netloc = parts.netloc
        if "@" in netloc:
            userinfo = netloc.rpartition("@")[0]
            found.extend(userinfo.split(":", 1))
            found.append(userinfo)
        for text in (parts.query, parts.fragment):
            for part in text.split("&"):
                found.append(part.partition("=")[2] or part)
    except Exception:  # a malformed URL: use the pattern only
        return []
    secrets = {form for item in found for form in (item, unquote(item))}
    return sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True)
