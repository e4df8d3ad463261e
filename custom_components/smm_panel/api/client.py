"""Async client for SMM panels speaking the "API v2" protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
import json
import logging
import re
from typing import Any, Final, TypeVar

import aiohttp

from .exceptions import (
    SmmPanelAuthenticationError,
    SmmPanelConnectionError,
    SmmPanelError,
    SmmPanelInsufficientFundsError,
    SmmPanelInvalidResponseError,
    SmmPanelOrderStateUnknownError,
    SmmPanelRateLimitError,
    SmmPanelRequestError,
    SmmPanelTimeoutError,
)
from .models import (
    Balance,
    CancelResult,
    ItemError,
    OrderRequest,
    OrderStatus,
    RefillStatus,
    Service,
    parse_int,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_API_URL: Final = "https://smmqueen.com/api/v2"
BATCH_SIZE: Final = 100
DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_RETRIES: Final = 2
DEFAULT_BACKOFF: Final = 1.0
MAX_BACKOFF: Final = 30.0
DEFAULT_CONCURRENCY: Final = 4
REDACTED: Final = "**REDACTED**"

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


def _item_error(value: Any) -> ItemError | None:
    """Return the error of a bulk item value such as {"error": "..."}."""
    if isinstance(value, Mapping) and "error" in value:
        return ItemError(str(value["error"]))
    return None


class SmmPanelClient:
    """Talks to one account of one panel.

    Read-only requests are retried a bounded number of times on connection
    errors, HTTP 5xx and 429. Requests that change something (`add`, `refill`,
    `cancel`) are sent once: an `add` sent twice places and charges two orders.
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
    ) -> None:
        """Create a client; the session belongs to the caller."""
        self._session = session
        self._api_key = api_key
        self.api_url = api_url
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._concurrency = concurrency

    def __repr__(self) -> str:
        """Describe the client without its key."""
        return f"SmmPanelClient(api_url={self.api_url!r})"

    # --- transport -------------------------------------------------------

    def _redact(self, text: str) -> str:
        """Remove the key from text that came from the panel or the network."""
        return text.replace(self._api_key, REDACTED) if self._api_key else text

    async def _post(self, action: str, fields: Mapping[str, str]) -> Any:
        """Send one request and decode the reply, mapping every failure."""
        data = {"key": self._api_key, "action": action, **fields}
        _LOGGER.debug("Sending %s request to %s", action, self._redact(self.api_url))
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.post(self.api_url, data=data) as response:
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
                    body = await response.text(errors="replace")
        except TimeoutError as err:
            raise SmmPanelTimeoutError(
                f"No reply from the panel within {self._timeout:g} s"
            ) from err
        except aiohttp.ClientError as err:
            # Callers put this text after their own "cannot reach" wording, so it
            # says only what happened.
            detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            raise SmmPanelConnectionError(self._redact(detail)) from err
        _LOGGER.debug("Reply to %s: HTTP %s, %d bytes", action, status, len(body))
        if status == 429:
            raise SmmPanelRateLimitError(_retry_after(retry_after))
        try:
            payload = json.loads(body)
        except ValueError:
            if status >= 500:
                raise SmmPanelConnectionError(
                    f"The panel answered HTTP {status}"
                ) from None
            raise SmmPanelInvalidResponseError(
                f"The panel's reply is not JSON (HTTP {status})"
            ) from None
        if isinstance(payload, Mapping) and "error" in payload:
            raise self._panel_error(str(payload["error"]))
        if status >= 500:
            raise SmmPanelConnectionError(f"The panel answered HTTP {status}")
        if status >= 400:
            raise SmmPanelInvalidResponseError(f"The panel answered HTTP {status}")
        return payload

    def _redact_item(self, value: _BulkValue | ItemError) -> _BulkValue | ItemError:
        """Remove the key from a per-item error text (some panels echo the request)."""
        if isinstance(value, ItemError):
            return ItemError(self._redact(value.message))
        return value

    def _panel_error(self, message: str) -> SmmPanelError:
        """Turn the panel's error text into the matching exception."""
        message = self._redact(message)
        folded = message.casefold()
        if _AUTH_MESSAGE.fullmatch(folded.strip()):
            return SmmPanelAuthenticationError(message)
        if any(marker in folded for marker in _FUNDS_MARKERS):
            return SmmPanelInsufficientFundsError(message)
        return SmmPanelRequestError(message)

    async def _read(self, action: str, **fields: str) -> Any:
        """Send a read-only request, retrying transient failures with backoff."""
        attempt = 0
        while True:
            try:
                return await self._post(action, fields)
            except SmmPanelConnectionError as err:
                if attempt >= self._retries:
                    raise
                delay = self._backoff * 2**attempt
                if isinstance(err, SmmPanelRateLimitError) and err.retry_after:
                    delay = err.retry_after
                delay = min(delay, MAX_BACKOFF)
                attempt += 1
                _LOGGER.debug(
                    "%s request failed (%s), retry %d in %.1f s",
                    action,
                    err,
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)

    async def _bulk(
        self,
        ids: Iterable[int],
        send: Callable[[list[int]], Awaitable[dict[int, _BulkValue | ItemError]]],
    ) -> dict[int, _BulkValue | ItemError]:
        """Send ids in batches of 100, a few batches at a time; merge the replies.

        When some batches fail and others succeed, the failed batches' ids come
        back as `ItemError`s next to the good results; the call raises only when
        every batch failed, or when the key was refused.
        """
        semaphore = asyncio.Semaphore(self._concurrency)

        async def run(batch: list[int]) -> dict[int, _BulkValue | ItemError]:
            async with semaphore:
                reply = await send(batch)
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
            if not isinstance(failure, SmmPanelError) or isinstance(
                failure, SmmPanelAuthenticationError
            ):
                raise failure
        if failures and len(failures) == len(parts):
            raise failures[0]
        # Some batches went through: their results must not be lost (refills and
        # cancels already happened), so a failed batch becomes per-id errors.
        results: dict[int, _BulkValue | ItemError] = {}
        for batch, part in zip(batches, parts, strict=True):
            if isinstance(part, BaseException):
                results.update(dict.fromkeys(batch, ItemError(str(part))))
            else:
                results.update(part)
        return results

    # --- account and catalogue ------------------------------------------

    async def async_get_balance(self) -> Balance:
        """Return the account balance and currency."""
        return Balance.from_json(await self._read("balance"))

    async def async_get_services(self) -> list[Service]:
        """Return the catalogue; entries without a readable price are skipped."""
        payload = await self._read("services")
        if not isinstance(payload, list):
            raise SmmPanelInvalidResponseError("Services reply is not a list")
        services = [Service.from_json(item) for item in payload]
        return [service for service in services if service is not None]

    # --- orders ----------------------------------------------------------

    async def async_add_order(self, request: OrderRequest) -> int:
        """Place an order and return its id. Never retried.

        Raises SmmPanelOrderStateUnknownError when the request may have reached
        the panel but no usable reply came back.
        """
        try:
            payload = await self._post("add", request.to_form())
        except (
            SmmPanelRequestError,
            SmmPanelAuthenticationError,
            SmmPanelRateLimitError,
        ):
            raise  # the panel answered and refused: nothing was placed
        except SmmPanelConnectionError as err:
            if isinstance(err.__cause__, aiohttp.ClientConnectorError):
                raise  # never connected, so nothing was sent
            raise SmmPanelOrderStateUnknownError(str(err)) from err
        except SmmPanelInvalidResponseError as err:
            raise SmmPanelOrderStateUnknownError(str(err)) from err
        order_id = (
            parse_int(payload.get("order")) if isinstance(payload, Mapping) else None
        )
        if order_id is None:
            raise SmmPanelOrderStateUnknownError("The panel's reply holds no order id")
        return order_id

    async def async_get_order_status(self, order_id: int) -> OrderStatus:
        """Return the status of one order."""
        payload = await self._read("status", order=str(order_id))
        if not isinstance(payload, Mapping) or "status" not in payload:
            raise SmmPanelInvalidResponseError("Status reply holds no status")
        return OrderStatus.from_json(order_id, payload)

    async def async_get_orders_status(
        self, order_ids: Iterable[int]
    ) -> dict[int, OrderStatus | ItemError]:
        """Return the status of any number of orders, with per-order errors."""
        return await self._bulk(order_ids, self._status_batch)

    async def _status_batch(
        self, batch: list[int]
    ) -> dict[int, OrderStatus | ItemError]:
        payload = await self._read("status", orders=",".join(map(str, batch)))
        if not isinstance(payload, Mapping):
            raise SmmPanelInvalidResponseError("Bulk status reply is not an object")
        results: dict[int, OrderStatus | ItemError] = {}
        for key, value in payload.items():
            order_id = parse_int(key)
            if order_id is None or not isinstance(value, Mapping):
                continue
            results[order_id] = _item_error(value) or OrderStatus.from_json(
                order_id, value
            )
        return results

    # --- refills ---------------------------------------------------------

    async def async_refill(self, order_id: int) -> int:
        """Ask for a refill of one order; return the refill id."""
        payload = await self._post("refill", {"order": str(order_id)})
        refill_id = (
            parse_int(payload.get("refill")) if isinstance(payload, Mapping) else None
        )
        if refill_id is None:
            raise SmmPanelInvalidResponseError("Refill reply holds no refill id")
        return refill_id

    async def async_refill_orders(
        self, order_ids: Iterable[int]
    ) -> dict[int, int | ItemError]:
        """Ask for refills of any number of orders; map order id to refill id."""
        return await self._bulk(order_ids, self._refill_batch)

    async def _refill_batch(self, batch: list[int]) -> dict[int, int | ItemError]:
        payload = await self._post("refill", {"orders": ",".join(map(str, batch))})
        return _parse_list_reply(payload, "order", "refill", _parse_refill_id)

    async def async_get_refill_status(self, refill_id: int) -> RefillStatus:
        """Return the status of one refill."""
        payload = await self._read("refill_status", refill=str(refill_id))
        if not isinstance(payload, Mapping) or "status" not in payload:
            raise SmmPanelInvalidResponseError("Refill status reply holds no status")
        return RefillStatus.from_raw(refill_id, payload["status"])

    async def async_get_refills_status(
        self, refill_ids: Iterable[int]
    ) -> dict[int, RefillStatus | ItemError]:
        """Return the status of any number of refills, with per-refill errors."""
        return await self._bulk(refill_ids, self._refill_status_batch)

    async def _refill_status_batch(
        self, batch: list[int]
    ) -> dict[int, RefillStatus | ItemError]:
        payload = await self._read("refill_status", refills=",".join(map(str, batch)))
        return _parse_list_reply(payload, "refill", "status", RefillStatus.from_raw)

    # --- cancel ----------------------------------------------------------

    async def async_cancel_orders(
        self, order_ids: Iterable[int]
    ) -> dict[int, CancelResult | ItemError]:
        """Ask to cancel any number of orders."""
        return await self._bulk(order_ids, self._cancel_batch)

    async def _cancel_batch(
        self, batch: list[int]
    ) -> dict[int, CancelResult | ItemError]:
        payload = await self._post("cancel", {"orders": ",".join(map(str, batch))})
        return _parse_list_reply(payload, "order", "cancel", _parse_cancel)


def _retry_after(header: str | None) -> float | None:
    """Read a Retry-After header given in seconds."""
    if header is None:
        return None
    try:
        return max(float(header), 0.0)
    except ValueError:
        return None


def _parse_refill_id(order_id: int, value: Any) -> int | ItemError:
    refill_id = parse_int(value)
    return (
        ItemError(f"Unexpected refill reply: {value!r}")
        if refill_id is None
        else refill_id
    )


def _parse_cancel(order_id: int, value: Any) -> CancelResult | ItemError:
    if value is True:
        return CancelResult(order_id)
    request_id = parse_int(value)
    # 0/false is no acceptance; guessing "canceled" would hide a running order.
    if request_id is None or request_id <= 0:
        return ItemError(f"Unexpected cancel reply: {value!r}")
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
        item_id = parse_int(item.get(id_field))
        if item_id is None:
            continue
        error = _item_error(item) or _item_error(item.get(value_field))
        results[item_id] = error or parse(item_id, item.get(value_field))
    return results
