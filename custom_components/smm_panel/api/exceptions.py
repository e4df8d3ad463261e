"""Exceptions raised by the SMM panel API client."""

from __future__ import annotations


class SmmPanelError(Exception):
    """Base class for every error of the client."""


class SmmPanelConnectionError(SmmPanelError):
    """The panel could not be reached (network error, timeout, HTTP 5xx).

    `request_sent` is False when the request surely never left (no connection
    could be made, or the URL is invalid).
    """

    request_sent: bool = True


class SmmPanelTimeoutError(SmmPanelConnectionError):
    """The panel did not answer in time."""


class SmmPanelRateLimitError(SmmPanelConnectionError):
    """Too many requests: the panel refused one, or the call may not wait longer.

    `retry_after` is the number of seconds the caller should wait before trying
    again: the panel's Retry-After, an estimate of the end of the panel's
    one-minute window, or the wait the client's own request budget or the
    call's `max_wait` did not allow. None when nothing is known (HTTP 429
    without Retry-After). `from_panel` is False when nothing was sent: the
    client's own request budget or `max_wait` stopped the call.
    """

    def __init__(
        self,
        retry_after: float | None = None,
        message: str | None = None,
        *,
        from_panel: bool = True,
    ) -> None:
        """Keep the delay to wait, when known."""
        self.retry_after = retry_after
        self.from_panel = from_panel
        detail = f" (retry after {retry_after:g} s)" if retry_after is not None else ""
        super().__init__(f"{message or 'Rate limited by the panel'}{detail}")


class SmmPanelRedirectError(SmmPanelError):
    """The panel answered with a redirect (HTTP 3xx), which is never followed.

    Following it would send the form, API key included, to another address.
    `location` is where it pointed, with user info and query values redacted
    (the key too); `status` is the HTTP status. For `add`, only 307 and 308
    (the request was not processed) raise this; other redirects after an
    `add` raise SmmPanelOrderStateUnknownError.
    """

    def __init__(self, location: str, status: int) -> None:
        """Keep the (redacted) location and the status."""
        self.location = location
        self.status = status
        super().__init__(f"The panel redirected to {location}")


class SmmPanelInvalidResponseError(SmmPanelError):
    """The reply is not the API's JSON (HTML page, malformed JSON, wrong shape)."""


class SmmPanelAuthenticationError(SmmPanelError):
    """The panel says the API key is invalid."""


class SmmPanelRequestError(SmmPanelError):
    """The panel rejected the request; `message` is the panel's own text."""

    def __init__(self, message: str) -> None:
        """Keep the panel's message so callers can show it to the user."""
        self.message = message
        super().__init__(message)


class SmmPanelInsufficientFundsError(SmmPanelRequestError):
    """The account balance is too low for the order."""


class SmmPanelOrderStateUnknownError(SmmPanelError):
    """An `add` request failed in transit: the order may or may not exist.

    The request is never resent, since a second `add` would place and charge a
    second order. The user has to check the panel before retrying.
    """
