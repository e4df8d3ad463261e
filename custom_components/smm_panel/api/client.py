"""Async client for SMM panels speaking the "API v2" protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
import heapq
import json
import logging
import math
import re
import time
from typing import Any, Final, TypeVar
from urllib.parse import urljoin

import aiohttp

from .exceptions import (
    SmmPanelAuthenticationError,
    SmmPanelConnectionError,
    SmmPanelError,
    SmmPanelInsufficientFundsError,
    SmmPanelInvalidResponseError,
    SmmPanelOrderStateUnknownError,
    SmmPanelRateLimitError,
    SmmPanelRedirectError,
    SmmPanelRequestError,
    SmmPanelTimeoutError,
)
from .models import (
    Balance,
    CancelResult,
    CatalogueItem,
    ItemError,
    NumberRangeError,
    OrderRequest,
    OrderStatus,
    RefillStatus,
    error_text,
    parse_id,
    short_repr,
)
from .redact import URL_IN_TEXT, Redactor, redact_url, url_secrets

_LOGGER = logging.getLogger(__name__)

DEFAULT_API_URL: Final = "https://smmqueen.com/api/v2"
BATCH_SIZE: Final = 100
DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_RETRIES: Final = 2
DEFAULT_BACKOFF: Final = 1.0
MAX_BACKOFF: Final = 30.0
DEFAULT_CONCURRENCY: Final = 4
# A margin under the 120 requests a minute some panels allow a key.
DEFAULT_MAX_REQUESTS_PER_MINUTE: Final = 100
DEFAULT_RATE_WINDOW: Final = 60.0
# Thousands of services take a few MB; more is not an API reply.
MAX_REPLY_BYTES: Final = 20 * 1024 * 1024
# Real replies are three levels deep; Python 3.13's own JSON parser stops near
# a thousand. Deeper replies are refused whatever the Python version.
MAX_JSON_DEPTH: Final = 1000
MAX_RETRY_AFTER: Final = 3600.0
_RETRY_AFTER: Final = re.compile(r"-?[0-9]{1,10}(?:\.[0-9]{1,6})?")
_RATE_LIMIT_MARKERS: Final = ("rate limit", "rate-limit", "too many requests")

# The message must say the key is wrong, maybe followed by punctuation and a
# detail ("Invalid API key: ..."): "Invalid keywords" is not about the key.
_AUTH_MESSAGE: Final = re.compile(
    r"(?:(?:invalid|incorrect|wrong|bad) (?:api[ _-]?)?key"
    r"|(?:api[ _-]?)?key (?:is )?(?:invalid|incorrect|wrong))"
    r"(?:\s*[.:!-].*)?",
    re.DOTALL,
)
_FUNDS_MARKERS: Final = ("not enough funds", "not_enough_funds", "insufficient funds")
_MISSING_ITEM: Final = "No reply from the panel for this id"

_T = TypeVar("_T")
_BulkValue = TypeVar("_BulkValue")


def _batches(ids: Iterable[int]) -> list[list[int]]:
    """Split ids (duplicates dropped, order kept) into batches the panel accepts."""
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + BATCH_SIZE] for i in range(0, len(unique), BATCH_SIZE)]


def _is_error(value: Any) -> bool:
    """Return True when an `error` field holds an error.

    Panels send `"error": null` (or "", false, 0) next to a good result: only
    a non-blank text (or another non-empty value) is an error.
    """
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


def _error_of(value: Any) -> Any:
    """Return the `error` field of a mapping when it holds an error, else None."""
    if isinstance(value, Mapping):
        error = value.get("error")
        if _is_error(error):
            return error
    return None


def _item_error(value: Any) -> ItemError | None:
    """Return the error of a bulk item value such as {"error": "..."}."""
    error = _error_of(value)
    return None if error is None else ItemError(error_text(error))


class _Wait:
    """The waiting one public call may still do (`max_wait`; None: no bound).

    Sleeps (backoff, Retry-After, a budget slot freeing at a known time) count
    as planned, so the bound never depends on how fast the machine is; only a
    wait for a request in flight to end is measured. The batches of a bulk
    call share one bound.
    """

    __slots__ = ("left",)

    def __init__(self, max_wait: float | None) -> None:
        self.left = None if max_wait is None else max(max_wait, 0.0)

    def allows(self, seconds: float) -> bool:
        """Return True when waiting `seconds` more stays within the bound."""
        return self.left is None or seconds <= self.left

    def spent(self, seconds: float) -> None:
        """Count time spent waiting."""
        if self.left is not None:
            self.left = max(self.left - seconds, 0.0)


class _RequestBudget:
    """At most `limit` requests in any `window` seconds, for every call of a client.

    A request holds one of `limit` slots from the moment it is sent until
    `window` seconds after its reply (or failure). The panel counts a request
    when it arrives, which is between the two, so two requests on the same slot
    arrive at least `window` apart: the panel never sees more than `limit` in
    any window of that length, whatever the network delays. A request that
    finds no free slot waits before sending (nothing was sent, so this is safe
    even for `add`).

    `pause` stops every request until a time (a rate-limit refusal).
    """

    def __init__(self, limit: int | None, window: float) -> None:
        self._limit = limit
        self._window = window
        # Free-at times of the slots not in flight (a heap); a slot in flight
        # is in none of the lists until its reply.
        self._idle: list[float] = [0.0] * (limit or 0)
        self._paused_until = 0.0
        self._released: list[asyncio.Future[None]] = []

    @property
    def window(self) -> float:
        """The window length in seconds."""
        return self._window

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (from now)."""
        until = time.monotonic() + seconds
        self._paused_until = max(self._paused_until, until)

    async def acquire(self, wait: _Wait) -> None:
        """Wait for a free slot; raise SmmPanelRateLimitError past `wait`."""
        while True:
            now = time.monotonic()
            if self._limit is None:
                ready = self._paused_until
            elif self._idle:
                ready = max(self._idle[0], self._paused_until)
            else:
                ready = None  # every slot is in flight
            if ready is not None and ready <= now:
                if self._limit is not None:
                    heapq.heappop(self._idle)
                return
            # A slot in flight is free `window` seconds after its reply at best.
            needed = ready - now if ready is not None else self._window
            if not wait.allows(needed):
                raise SmmPanelRateLimitError(
                    math.ceil(needed * 1000) / 1000,
                    "Too many requests for the panel's rate limit",
                    from_panel=False,
                )
            if ready is not None:
                wait.spent(needed)  # as planned: the count never depends on speed
                await asyncio.sleep(needed)
                continue
            # Every slot is in flight: wait for a reply to free one.
            started = time.monotonic()
            future = asyncio.get_running_loop().create_future()
            self._released.append(future)
            try:
                async with asyncio.timeout(wait.left):
                    await future
            except TimeoutError:
                raise SmmPanelRateLimitError(
                    self._window,
                    "Too many requests for the panel's rate limit",
                    from_panel=False,
                ) from None
            finally:
                if future in self._released:
                    self._released.remove(future)
            wait.spent(time.monotonic() - started)

    def release(self) -> None:
        """Give the slot back: usable again `window` seconds from now."""
        if self._limit is None:
            return
        heapq.heappush(self._idle, time.monotonic() + self._window)
        waiters, self._released = self._released, []
        for future in waiters:
            if not future.done():
                future.set_result(None)


class SmmPanelClient:
    """Talks to one account of one panel.

    Read-only requests are retried a bounded number of times on connection
    errors, HTTP 5xx and rate limits. Requests that change something (`add`,
    `refill`, `cancel`) are sent once: an `add` sent twice places and charges
    two orders.

    Every request of the client, polls and actions alike, shares one budget of
    `max_requests_per_minute` requests in any `rate_window` seconds (None: no
    budget); a request waits for room before it is sent. Every public method
    takes `max_wait`: the longest the call may spend waiting (budget, retry
    backoff, Retry-After), not counting the requests themselves; a wait beyond
    it raises SmmPanelRateLimitError (its `retry_after` says when to try
    again) or, for a connection error that would be retried, that error.
    Redirects are never followed (SmmPanelRedirectError).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_requests_per_minute: int | None = DEFAULT_MAX_REQUESTS_PER_MINUTE,
        rate_window: float = DEFAULT_RATE_WINDOW,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        """Create a client; the session belongs to the caller."""
        if max_requests_per_minute is not None and max_requests_per_minute < 1:
            raise ValueError("max_requests_per_minute must be at least 1")
        if not rate_window > 0:
            raise ValueError("rate_window must be more than 0 seconds")
        self._session = session
        self._api_key = api_key
        self.api_url = api_url
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._concurrency = concurrency
        self._max_reply_bytes = max_reply_bytes
        self._budget = _RequestBudget(max_requests_per_minute, rate_window)
        # Texts to hide wherever panel or network text is shown: the key, and
        # the URL's user info and query values.
        self._redactor = Redactor([api_key, *url_secrets(api_url)])
        self._shown_url = self._redact(api_url)
        # Start of the current run of rate-limit refusals (for retry_after).
        self._refused_since: float | None = None
        # The longest a rate-limit refusal pauses the client (and a read retries).
        self._max_pause = max(MAX_BACKOFF, rate_window)

    def __repr__(self) -> str:
        """Describe the client without its key or the URL's secrets."""
        return f"SmmPanelClient(api_url={self._shown_url!r})"

    # --- transport -------------------------------------------------------

    def _redact(self, text: str) -> str:
        """Remove the key and URL secrets from text from the panel or the network.

        Also any run of the key's characters a panel left by cutting its echo.
        """
        text = URL_IN_TEXT.sub(lambda match: redact_url(match.group()), text)
        return self._redactor.text(text)

    def _shown_status[_S: (OrderStatus, RefillStatus)](self, status: _S) -> _S:
        """Clear a status text of key fragments (the whole key is gone already)."""
        if status.raw_status is None:
            return status
        return replace(status, raw_status=self._redactor.text(status.raw_status))

    def _refill_status(self, refill_id: int, raw: Any) -> RefillStatus:
        return self._shown_status(RefillStatus.from_raw(refill_id, raw))

    async def _post(
        self,
        action: str,
        fields: Mapping[str, str],
        wait: _Wait,
        *,
        placing: bool = False,
    ) -> Any:
        """Wait for the budget, send one request and decode the reply.

        `placing` (an `add`): a reply that does not prove a refusal raises
        SmmPanelOrderStateUnknownError here (any 5xx, redirects but 307/308).
        """
        await self._budget.acquire(wait)
        try:
            status, headers, body = await self._send(action, fields)
        finally:
            self._budget.release()
        return self._decode(status, headers, body, placing=placing)

    async def _send(
        self, action: str, fields: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], str]:
        """Send one request; return the status, headers and (bounded) body."""
        data = {"key": self._api_key, "action": action, **fields}
        _LOGGER.debug("Sending %s request to %s", action, self._shown_url)
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.post(
                    self.api_url, data=data, allow_redirects=False
                ) as response:
                    status = response.status
                    headers = {
                        name: response.headers[name]
                        for name in ("Retry-After", "Location")
                        if name in response.headers
                    }
                    raw = await self._read_body(response)
                    charset = response.charset or "utf-8"
        except TimeoutError as err:
            raise SmmPanelTimeoutError(
                f"No reply from the panel within {self._timeout:g} s"
            ) from err
        except aiohttp.ClientError as err:
            # Callers put this text after their own "cannot reach" wording, so it
            # says only what happened.
            detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            shown = self._redact(detail)
            error = SmmPanelConnectionError(shown)
            error.request_sent = not isinstance(
                err, aiohttp.ClientConnectorError | aiohttp.InvalidURL
            )
            if shown != detail:
                # The original names a secret (the URL's): do not chain it.
                raise error from None
            raise error from err
        try:
            body = raw.decode(charset, errors="replace")
        except LookupError:  # an unknown charset name
            body = raw.decode("utf-8", errors="replace")
        _LOGGER.debug("Reply to %s: HTTP %s, %d bytes", action, status, len(raw))
        return status, headers, body

    async def _read_body(self, response: aiohttp.ClientResponse) -> bytes:
        """Read the reply, refusing one larger than `max_reply_bytes`."""
        limit = self._max_reply_bytes
        too_large = SmmPanelInvalidResponseError(
            f"The panel's reply is larger than {limit} bytes"
        )
        if response.content_length is not None and response.content_length > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    def _decode(
        self, status: int, headers: Mapping[str, str], body: str, *, placing: bool
    ) -> Any:
        """Map the HTTP status and the body to the payload or an exception."""
        if 300 <= status < 400:
            location = headers.get("Location")
            shown = (
                self._redact(redact_url(_absolute(self.api_url, location)))
                if location
                else "an address it did not give"
            )
            if placing and status not in (307, 308):
                raise SmmPanelOrderStateUnknownError(
                    f"The panel redirected (HTTP {status}) to {shown}"
                )
            raise SmmPanelRedirectError(shown, status)
        if placing and status >= 500:
            raise SmmPanelOrderStateUnknownError(f"The panel answered HTTP {status}")
        if status == 429:
            raise self._rate_limited(_retry_after(headers.get("Retry-After")))
        try:
            payload = _decode(body, self._redactor)
        except (ValueError, RecursionError):
            if status >= 500:
                raise SmmPanelConnectionError(
                    f"The panel answered HTTP {status}"
                ) from None
            raise SmmPanelInvalidResponseError(
                f"The panel's reply is not JSON (HTTP {status})"
            ) from None
        panel_error = _error_of(payload)
        if (
            panel_error is not None
            and placing
            and isinstance(payload, Mapping)
            and (order_id := parse_id(payload.get("order"))) is not None
        ):
            # The order was placed (and charged): never call it a refusal.
            _LOGGER.warning(
                "The panel placed order %s but also sent an error: %s",
                order_id,
                self._redact(error_text(panel_error)),
            )
            panel_error = None
        if panel_error is not None:
            error = self._panel_error(error_text(panel_error), headers)
            if status >= 500 and not isinstance(
                error, SmmPanelAuthenticationError | SmmPanelConnectionError
            ):
                # A gateway's or server's error: not a refusal, and retried.
                raise SmmPanelConnectionError(
                    f"The panel answered HTTP {status}: {error}"
                )
            raise error
        if status >= 500:
            raise SmmPanelConnectionError(f"The panel answered HTTP {status}")
        if status >= 400:
            raise SmmPanelInvalidResponseError(f"The panel answered HTTP {status}")
        self._refused_since = None
        return payload

    def _rate_limited(
        self, retry_after: float | None, message: str | None = None
    ) -> SmmPanelRateLimitError:
        """Note a rate-limit refusal; pause the budget when the delay is known."""
        if retry_after is not None:
            self._budget.pause(min(retry_after, self._max_pause))
        return SmmPanelRateLimitError(retry_after, message)

    def _estimated_retry_after(self) -> float:
        """Seconds until the panel's window surely ended, from the first refusal.

        Panels that refuse with a text use a fixed window (one minute): the
        window that refused first ends at most `rate_window` seconds after that
        refusal, so waiting until then is enough.
        """
        now = time.monotonic()
        window = self._budget.window
        if self._refused_since is None or now - self._refused_since >= window:
            self._refused_since = now  # a new run of refusals, in a new window
        return self._refused_since + window - now

    def _redact_item(self, value: _BulkValue | ItemError) -> _BulkValue | ItemError:
        """Remove the key from a per-item error text (some panels echo the request)."""
        if isinstance(value, ItemError):
            return ItemError(self._redact(value.message), value.cause)
        return value

    def _panel_error(
        self, message: str, headers: Mapping[str, str] | None = None
    ) -> SmmPanelError:
        """Turn the panel's error text into the matching exception."""
        message = self._redact(message)
        folded = message.casefold()
        if _AUTH_MESSAGE.fullmatch(folded.strip()):
            return SmmPanelAuthenticationError(message)
        if any(marker in folded for marker in _RATE_LIMIT_MARKERS):
            retry_after = _retry_after((headers or {}).get("Retry-After"))
            if retry_after is None:
                retry_after = round(self._estimated_retry_after(), 3)
            return self._rate_limited(retry_after, message)
        if any(marker in folded for marker in _FUNDS_MARKERS):
            return SmmPanelInsufficientFundsError(message)
        return SmmPanelRequestError(message)

    async def _read(self, action: str, wait: _Wait, **fields: str) -> Any:
        """Send a read-only request, retrying transient failures with backoff.

        A rate-limit refusal with a known delay paused the budget: the retry
        waits there. A delay longer than a retry should wait, or than
        `max_wait` allows, raises the refusal (its `retry_after` says when).
        """
        attempt = 0
        while True:
            try:
                return await self._post(action, fields, wait)
            except SmmPanelConnectionError as err:
                limited = isinstance(err, SmmPanelRateLimitError)
                if attempt >= self._retries or (
                    isinstance(err, SmmPanelRateLimitError) and not err.from_panel
                ):
                    raise
                if isinstance(err, SmmPanelRateLimitError) and err.retry_after:
                    if err.retry_after > self._max_pause or not wait.allows(
                        err.retry_after
                    ):
                        raise
                    delay = 0.0  # the budget waits out the pause
                else:
                    delay = min(self._backoff * 2**attempt, MAX_BACKOFF)
                    if not wait.allows(delay):
                        if limited:
                            raise SmmPanelRateLimitError(delay) from err
                        raise
                attempt += 1
                _LOGGER.debug(
                    "%s request failed (%s), retry %d in %.1f s",
                    action,
                    err,
                    attempt,
                    delay,
                )
                if delay:
                    wait.spent(delay)  # as planned: the count never depends on speed
                    await asyncio.sleep(delay)

    async def _bulk(
        self,
        ids: Iterable[int],
        send: Callable[
            [list[int], _Wait], Awaitable[dict[int, _BulkValue | ItemError]]
        ],
        max_wait: float | None,
    ) -> dict[int, _BulkValue | ItemError]:
        """Send ids in batches of 100, a few batches at a time; merge the replies.

        Every batch waits out the rate limit from one budget of `max_wait`.

        When some batches fail and others succeed, the failed batches' ids come
        back as `ItemError`s (with the batch's exception as `cause`) next to the
        good results: what went through (refills, cancels) must not be lost. The
        call raises when every batch failed, and when the key was refused and no
        id got a result (then nothing was lost, and the caller must reauth).
        """
        semaphore = asyncio.Semaphore(self._concurrency)
        wait = _Wait(max_wait)

        async def run(batch: list[int]) -> dict[int, _BulkValue | ItemError]:
            async with semaphore:
                reply = await send(batch, wait)
            # Panels may silently drop ids; report them instead of losing them.
            return {
                i: self._redact_item(reply.get(i, ItemError(_MISSING_ITEM)))
                for i in batch
            }

        batches = _batches(ids)
        parts = await asyncio.gather(
            *(run(batch) for batch in batches), return_exceptions=True
        )
        failures = [part for part in parts if isinstance(part, BaseException)]
        for failure in failures:
            if not isinstance(failure, SmmPanelError):
                raise failure
        auth = next(
            (f for f in failures if isinstance(f, SmmPanelAuthenticationError)), None
        )
        if failures and len(failures) == len(parts):
            raise auth or failures[0]  # a refused key first: reauth must start
        if auth is not None and not any(
            not isinstance(value, ItemError)
            for part in parts
            if not isinstance(part, BaseException)
            for value in part.values()
        ):
            raise auth
        # Some batches went through: their results must not be lost (refills and
        # cancels already happened), so a failed batch becomes per-id errors.
        results: dict[int, _BulkValue | ItemError] = {}
        for batch, part in zip(batches, parts, strict=True):
            if isinstance(part, BaseException):
                assert isinstance(part, SmmPanelError)
                results.update(dict.fromkeys(batch, ItemError(str(part), part)))
            else:
                results.update(part)
        return results

    # --- account and catalogue ------------------------------------------

    async def async_get_balance(self, *, max_wait: float | None = None) -> Balance:
        """Return the account balance and currency."""
        payload = await self._read("balance", _Wait(max_wait))
        try:
            return Balance.from_json(payload)
        except SmmPanelInvalidResponseError as err:
            # Its words quote the reply: a key fragment the panel left goes too.
            raise SmmPanelInvalidResponseError(self._redact(str(err))) from None

    async def async_get_catalogue(
        self, *, max_wait: float | None = None
    ) -> list[CatalogueItem]:
        """Return the catalogue; entries without a readable price are skipped."""
        payload = await self._read("services", _Wait(max_wait))
        if not isinstance(payload, list):
            raise SmmPanelInvalidResponseError("Services reply is not a list")
        services = [CatalogueItem.from_json(item) for item in payload]
        return [service for service in services if service is not None]

    # --- orders ----------------------------------------------------------

    async def async_add_order(
        self, request: OrderRequest, *, max_wait: float | None = None
    ) -> int:
        """Place an order and return its id. Never retried.

        Raises SmmPanelOrderStateUnknownError when the request may have reached
        the panel but no usable reply came back: no reply, a reply that is not
        JSON or holds no usable order id, any HTTP 5xx (even with an error
        text), or a redirect other than 307/308. Only a 2xx or 4xx reply with
        an error text (or HTTP 429) is a refusal. `max_wait` bounds only the
        wait for the request budget, before anything is sent.
        """
        try:
            payload = await self._post(
                "add", request.to_form(), _Wait(max_wait), placing=True
            )
        except (
            SmmPanelRequestError,
            SmmPanelAuthenticationError,
            SmmPanelRateLimitError,
            SmmPanelRedirectError,
            SmmPanelOrderStateUnknownError,
        ):
            raise  # the panel answered and refused: nothing was placed
        except SmmPanelConnectionError as err:
            if not err.request_sent:
                raise  # never connected, so nothing was sent
            raise SmmPanelOrderStateUnknownError(str(err)) from err
        except SmmPanelInvalidResponseError as err:
            raise SmmPanelOrderStateUnknownError(str(err)) from err
        order_id = (
            parse_id(payload.get("order")) if isinstance(payload, Mapping) else None
        )
        if order_id is None:
            raise SmmPanelOrderStateUnknownError("The panel's reply holds no order id")
        return order_id

    async def async_get_order_status(
        self, order_id: int, *, max_wait: float | None = None
    ) -> OrderStatus:
        """Return the status of one order."""
        payload = await self._read("status", _Wait(max_wait), order=str(order_id))
        if not isinstance(payload, Mapping) or "status" not in payload:
            raise SmmPanelInvalidResponseError("Status reply holds no status")
        return self._shown_status(OrderStatus.from_json(order_id, payload))

    async def async_get_orders_status(
        self, order_ids: Iterable[int], *, max_wait: float | None = None
    ) -> dict[int, OrderStatus | ItemError]:
        """Return the status of any number of orders, with per-order errors.

        An order whose reply holds a number out of range is an `ItemError`.
        """
        return await self._bulk(order_ids, self._status_batch, max_wait)

    async def _status_batch(
        self, batch: list[int], wait: _Wait
    ) -> dict[int, OrderStatus | ItemError]:
        payload = await self._read("status", wait, orders=",".join(map(str, batch)))
        if not isinstance(payload, Mapping):
            raise SmmPanelInvalidResponseError("Bulk status reply is not an object")
        results: dict[int, OrderStatus | ItemError] = {}
        for key, value in payload.items():
            order_id = parse_id(key)
            if order_id is None or not isinstance(value, Mapping):
                continue
            error = _item_error(value)
            if error is not None:
                results[order_id] = error
                continue
            try:
                results[order_id] = self._shown_status(
                    OrderStatus.from_json(order_id, value)
                )
            except NumberRangeError as err:
                results[order_id] = ItemError(f"Unusable status reply: {err}")
        return results

    # --- refills ---------------------------------------------------------

    async def async_refill(
        self, order_id: int, *, max_wait: float | None = None
    ) -> int:
        """Ask for a refill of one order; return the refill id."""
        payload = await self._post("refill", {"order": str(order_id)}, _Wait(max_wait))
        refill_id = (
            parse_id(payload.get("refill")) if isinstance(payload, Mapping) else None
        )
        if refill_id is None:
            raise SmmPanelInvalidResponseError("Refill reply holds no refill id")
        return refill_id

    async def async_refill_orders(
        self, order_ids: Iterable[int], *, max_wait: float | None = None
    ) -> dict[int, int | ItemError]:
        """Ask for refills of any number of orders; map order id to refill id."""
        return await self._bulk(order_ids, self._refill_batch, max_wait)

    async def _refill_batch(
        self, batch: list[int], wait: _Wait
    ) -> dict[int, int | ItemError]:
        payload = await self._post(
            "refill", {"orders": ",".join(map(str, batch))}, wait
        )
        return _parse_list_reply(payload, "order", "refill", _parse_refill_id)

    async def async_get_refill_status(
        self, refill_id: int, *, max_wait: float | None = None
    ) -> RefillStatus:
        """Return the status of one refill."""
        payload = await self._read(
            "refill_status", _Wait(max_wait), refill=str(refill_id)
        )
        if not isinstance(payload, Mapping) or "status" not in payload:
            raise SmmPanelInvalidResponseError("Refill status reply holds no status")
        return self._refill_status(refill_id, payload["status"])

    async def async_get_refills_status(
        self, refill_ids: Iterable[int], *, max_wait: float | None = None
    ) -> dict[int, RefillStatus | ItemError]:
        """Return the status of any number of refills, with per-refill errors."""
        return await self._bulk(refill_ids, self._refill_status_batch, max_wait)

    async def _refill_status_batch(
        self, batch: list[int], wait: _Wait
    ) -> dict[int, RefillStatus | ItemError]:
        payload = await self._read(
            "refill_status", wait, refills=",".join(map(str, batch))
        )
        return _parse_list_reply(payload, "refill", "status", self._refill_status)

    # --- cancel ----------------------------------------------------------

    async def async_cancel_orders(
        self, order_ids: Iterable[int], *, max_wait: float | None = None
    ) -> dict[int, CancelResult | ItemError]:
        """Ask to cancel any number of orders."""
        return await self._bulk(order_ids, self._cancel_batch, max_wait)

    async def _cancel_batch(
        self, batch: list[int], wait: _Wait
    ) -> dict[int, CancelResult | ItemError]:
        payload = await self._post(
            "cancel", {"orders": ",".join(map(str, batch))}, wait
        )
        return _parse_list_reply(payload, "order", "cancel", _parse_cancel)


def _absolute(base: str, location: str) -> str:
    """Resolve a Location header against the API URL; never raises."""
    try:
        return urljoin(base, location)
    except ValueError:
        return location


def _decode(body: str, redactor: Redactor) -> Any:
    """Decode a reply; ValueError (or RecursionError) when it is not usable JSON.

    Every secret is replaced in the reply's strings here, before any field is
    read or cut short: a cut cannot leave part of the key. Python 3.13's
    parser raises RecursionError on a reply nested thousands deep; 3.14's
    parses it: such a reply is refused the same way on both.
    """
    payload = json.loads(body)
    if _nesting_exceeds(payload, MAX_JSON_DEPTH):
        raise ValueError("nested too deep")
    if redactor.may_hold_secret(body):
        payload = redactor.payload(payload)
    return payload


def _nesting_exceeds(value: Any, limit: int) -> bool:
    """Return True when `value` nests lists and objects deeper than `limit`.

    Iterative, so a hostile reply cannot exhaust the stack.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list)
        )
    return False


def _retry_after(header: str | None) -> float | None:
    """Read a Retry-After header given in seconds (0 to an hour).

    An HTTP date, an exponent, NaN or infinity is not read; a negative delay
    is 0, one over an hour is an hour.
    """
    if header is None or not _RETRY_AFTER.fullmatch(header.strip()):
        return None
    return min(max(float(header), 0.0), MAX_RETRY_AFTER)


def _parse_refill_id(order_id: int, value: Any) -> int | ItemError:
    refill_id = parse_id(value)
    return (
        ItemError(f"Unexpected refill reply: {short_repr(value)}")
        if refill_id is None
        else refill_id
    )


def _parse_cancel(order_id: int, value: Any) -> CancelResult | ItemError:
    if value is True:
        return CancelResult(order_id)
    request_id = parse_id(value)
    # 0/false is no acceptance; guessing "canceled" would hide a running order.
    if request_id is None:
        return ItemError(f"Unexpected cancel reply: {short_repr(value)}")
    # `1` only says "accepted"; anything else is the cancel request's id.
    if request_id == 1:
        return CancelResult(order_id)
    return CancelResult(order_id, request_id)


def _parse_list_reply(
    payload: Any,
    id_field: str,
    value_field: str,
    parse: Callable[[int, Any], _T | ItemError],
) -> dict[int, _T | ItemError]:
    """Parse a bulk reply shaped as a list of {id_field: id, value_field: value}.

    Failed items come nested ({"order": 3, "refill": {"error": ...}}) or flat
    ({"order": 3, "error": ...}) depending on the panel.
    """
    if not isinstance(payload, Sequence) or isinstance(payload, str):
        raise SmmPanelInvalidResponseError("Bulk reply is not a list")
    results: dict[int, _T | ItemError] = {}
    for item in payload:
        if not isinstance(item, Mapping):
            continue
        item_id = parse_id(item.get(id_field))
        if item_id is None:
            continue
        error = _item_error(item) or _item_error(item.get(value_field))
        results[item_id] = error or parse(item_id, item.get(value_field))
    return results
