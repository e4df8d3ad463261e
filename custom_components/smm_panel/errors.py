"""One table from the client's exceptions to what Home Assistant shows.

The coordinator (a failed refresh), the actions (a translated error) and the
config flow (a form error) all read it: a new exception class is one row.

An action raises `ServiceValidationError` when the panel refused the request
itself (it answered, with an error about what was asked: "Incorrect link",
"Quantity less than minimal 50", "Not enough funds"): like bad input, that is
the caller's to correct, and Home Assistant shows it without a traceback. It
raises `HomeAssistantError` for transport failures, unknown outcomes and the
panel's own faults (HTTP 5xx, a garbled reply, a refused key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math
from typing import Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    NumberRangeError,
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
from .const import DOMAIN

# When a rate-limited panel does not say how long to wait: its window is a minute.
DEFAULT_RETRY_AFTER: Final = 60


def _no_placeholders(err: SmmPanelError) -> dict[str, str]:
    return {}


def _panel_message(err: SmmPanelError) -> dict[str, str]:
    assert isinstance(err, SmmPanelRequestError)
    return {"message": err.message}


def _detail(err: SmmPanelError) -> dict[str, str]:
    return {"error": str(err)}


def _retry_after(err: SmmPanelError) -> dict[str, str]:
    assert isinstance(err, SmmPanelRateLimitError)
    seconds = DEFAULT_RETRY_AFTER
    if err.retry_after is not None:
        seconds = max(1, math.ceil(min(err.retry_after, 3600)))
    return {"retry_after": str(seconds)}


def _location(err: SmmPanelError) -> dict[str, str]:
    assert isinstance(err, SmmPanelRedirectError)
    return {"location": err.location}


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """How one exception class is shown.

    `key` is the translation key of the action error (`exceptions` in the
    translations), `form_error` the config flow's error (`config.error`).
    `refusal`: the panel refused what was asked, in its own words (an action
    raises ServiceValidationError).
    """

    exception: type[SmmPanelError]
    key: str
    form_error: str
    placeholders: Callable[[SmmPanelError], dict[str, str]] = _no_placeholders
    refusal: bool = False


# Most specific class first: the first row the exception is an instance of wins.
ERROR_TABLE: Final[tuple[ErrorRow, ...]] = (
    # The placeholders of this one name the order; the actions add them.
    ErrorRow(SmmPanelOrderStateUnknownError, "order_state_unknown", "cannot_connect"),
    ErrorRow(SmmPanelAuthenticationError, "invalid_auth", "invalid_auth"),
    ErrorRow(
        SmmPanelInsufficientFundsError,
        "panel_insufficient_funds",
        "panel_refused",
        _panel_message,
        refusal=True,
    ),
    # The panel answered in its own words ("Incorrect link"): show them.
    ErrorRow(
        SmmPanelRequestError,
        "panel_rejected",
        "panel_refused",
        _panel_message,
        refusal=True,
    ),
    ErrorRow(SmmPanelRateLimitError, "rate_limited", "rate_limited", _retry_after),
    ErrorRow(SmmPanelRedirectError, "panel_redirected", "not_smm_panel", _location),
    ErrorRow(SmmPanelTimeoutError, "cannot_connect", "cannot_connect", _detail),
    ErrorRow(SmmPanelConnectionError, "cannot_connect", "cannot_connect", _detail),
    ErrorRow(NumberRangeError, "invalid_response", "not_smm_panel", _detail),
    ErrorRow(
        SmmPanelInvalidResponseError, "invalid_response", "not_smm_panel", _detail
    ),
    ErrorRow(SmmPanelError, "invalid_response", "not_smm_panel", _detail),
)


def error_row(err: SmmPanelError) -> ErrorRow:
    """Return the row of an exception."""
    return next(row for row in ERROR_TABLE if isinstance(err, row.exception))


def action_error(
    err: SmmPanelError, placeholders: dict[str, str] | None = None
) -> HomeAssistantError:
    """Return the translated error an action raises for a client exception.

    A ServiceValidationError when the panel refused the request (see above).
    """
    row = error_row(err)
    error = ServiceValidationError if row.refusal else HomeAssistantError
    return error(
        translation_domain=DOMAIN,
        translation_key=row.key,
        translation_placeholders={**row.placeholders(err), **(placeholders or {})},
    )


def coordinator_error(err: SmmPanelError) -> ConfigEntryAuthFailed | UpdateFailed:
    """Return what a failed refresh raises: reauthentication, or a failed update."""
    row = error_row(err)
    if isinstance(err, SmmPanelAuthenticationError):
        return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key=row.key)
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="update_failed",
        translation_placeholders={"error": str(err)},
    )


def form_error(err: SmmPanelError) -> tuple[str, dict[str, str]]:
    """Return the config flow's form error for a client exception, and its words."""
    row = error_row(err)
    return row.form_error, row.placeholders(err)
