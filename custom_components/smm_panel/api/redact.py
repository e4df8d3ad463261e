"""Redaction of secrets: the API key and the secrets of panel URLs.

The key is sent with every request, and panels echo requests in their texts.
`Redactor` hides it in everything a panel says, before any text is read or cut
short; `redact_url` hides the user info and query values of a URL.
"""

from __future__ import annotations

from collections.abc import Iterable
import re
from typing import Any, Final
from urllib.parse import unquote, urlsplit, urlunsplit

REDACTED: Final = "**REDACTED**"
# A run of this many characters of a secret is part of it: hidden too. A panel
# that cut its own echo short ("key=sk-test-01") leaves such a run.
MIN_FRAGMENT: Final = 6
# JSON's short escapes, by the character they stand for.
_SHORT_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}

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


def _escape_patterns(char: str) -> list[str]:
    """Return the patterns of a JSON text that decode to `char`."""
    code = ord(char)
    units = (
        [code]
        if code < 0x10000
        else [0xD800 + ((code - 0x10000) >> 10)]  # the first of a surrogate pair
    )
    patterns = [rf"\\u{units[0]:04x}"]
    if char in _SHORT_ESCAPES:
        patterns.append(re.escape(_SHORT_ESCAPES[char]))
    return patterns


class Redactor:
    """Hides secrets in texts from a panel or the network.

    `payload` replaces every secret in every string of a decoded reply, before
    any field is read or cut short (so a cut cannot leave part of one); `text`
    does it to one text, and also replaces every run of MIN_FRAGMENT or more
    of a secret's characters (a panel that cut its own echo leaves one).
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        """Hide these secrets (longest first, so no part of one is left)."""
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._grams = frozenset(
            secret[i : i + MIN_FRAGMENT]
            for secret in self._secrets
            for i in range(len(secret) - MIN_FRAGMENT + 1)
        )
        # A JSON text holds a secret once decoded only if it holds it as
        # written, or an escape of one of its characters ("\u0073k-...").
        escapes = sorted(
            {
                p
                for secret in self._secrets
                for c in set(secret)
                for p in _escape_patterns(c)
            }
        )
        self._escapes = (
            re.compile("|".join(escapes), re.IGNORECASE) if escapes else None
        )

    def text(self, text: str) -> str:
        """Return `text` without any secret or run of MIN_FRAGMENT of its characters."""
        return self._without_fragments(self._replace(text))

    def _without_fragments(self, text: str) -> str:
        """Replace every run of a secret's characters of MIN_FRAGMENT or more."""
        if not self._grams or len(text) < MIN_FRAGMENT:
            return text
        size = MIN_FRAGMENT
        starts = [
            i for i in range(len(text) - size + 1) if text[i : i + size] in self._grams
        ]
        if not starts:
            return text
        parts: list[str] = []
        kept = 0  # the text before `kept` is in `parts`
        for start in starts:
            if start > kept or not parts:  # a new run of a secret's characters
                parts += [text[kept:start], REDACTED]
            kept = start + size
        parts.append(text[kept:])
        return "".join(parts)

    def may_hold_secret(self, body: str) -> bool:
        """Return True when a JSON text may hold a secret once decoded."""
        return any(secret in body for secret in self._secrets) or bool(
            self._escapes is not None and self._escapes.search(body)
        )

    def payload(self, payload: Any) -> Any:
        """Return a decoded reply with every secret replaced in its strings.

        Changes lists and objects in place; iterative, so a deep reply cannot
        exhaust the stack. Only the whole secret is looked for here (a reply
        may hold thousands of strings); texts that are shown go through
        `text` as well.
        """
        if isinstance(payload, str):
            return self._replace(payload)
        stack: list[Any] = [payload]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                for key, value in list(item.items()):
                    if isinstance(value, str):
                        item[key] = self._replace(value)
                    elif isinstance(value, dict | list):
                        stack.append(value)
                    if isinstance(key, str) and (clean := self._replace(key)) != key:
                        item[clean] = item.pop(key)
            elif isinstance(item, list):
                for index, value in enumerate(item):
                    if isinstance(value, str):
                        item[index] = self._replace(value)
                    elif isinstance(value, dict | list):
                        stack.append(value)
        return payload

    def _replace(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text
