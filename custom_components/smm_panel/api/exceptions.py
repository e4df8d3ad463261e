"""Exceptions raised by the SMM panel API client."""

from __future__ import annotations


class SmmPanelError(Exception):
    """Base class for every error of the client."""


class SmmPanelConnectionError(SmmPanelError):
    """The panel could not be reached (network error, timeout, HTTP 5xx)."""


class SmmPanelTimeoutError(SmmPanelConnectionError):
    """The panel did not answer in time."""


class SmmPanelRateLimitError(SmmPanelConnectionError):
    """The panel refused the request because too many were sent (HTTP 429)."""

    def __init__(self, retry_after: float | None = None) -> None:
        """Keep the delay the panel asked for, when it gave one."""
        self.retry_after = retry_after
        detail = f" (retry after {retry_after:g} s)" if retry_after is not None else ""
        super().__init__(f"Rate limited by the panel{detail}")


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
