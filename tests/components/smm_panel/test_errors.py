"""The one table from the client's exceptions to what Home Assistant shows."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from custom_components.smm_panel import api
from custom_components.smm_panel.api import (
    SmmPanelError,
    SmmPanelRateLimitError,
    SmmPanelRedirectError,
    SmmPanelRequestError,
)
from custom_components.smm_panel.errors import ERROR_TABLE, action_error, error_row

TRANSLATIONS = Path(__file__).parents[3] / "custom_components/smm_panel/translations"
EXCEPTION_CLASSES = sorted(
    (
        cls
        for _, cls in inspect.getmembers(api, inspect.isclass)
        if issubclass(cls, SmmPanelError)
    ),
    key=lambda cls: cls.__name__,
)


def test_every_client_exception_has_its_own_row() -> None:
    """A new exception class in the client must be given a row."""
    assert len(EXCEPTION_CLASSES) >= 9
    rows = {row.exception for row in ERROR_TABLE}
    assert set(EXCEPTION_CLASSES) <= rows, "client exceptions without a row"


def test_rows_go_from_specific_to_general() -> None:
    """No row is hidden behind a row of one of its base classes."""
    for index, row in enumerate(ERROR_TABLE):
        for earlier in ERROR_TABLE[:index]:
            assert not issubclass(row.exception, earlier.exception), row


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_row_is_translated(language: str) -> None:
    """Each row's action error and form error has a text, with its placeholders."""
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    for row in ERROR_TABLE:
        assert row.key in strings["exceptions"], row
        assert row.form_error in strings["config"]["error"], row


@pytest.mark.parametrize(
    ("err", "key", "placeholders"),
    [
        (SmmPanelRequestError("Incorrect request"), "panel_rejected",
         {"message": "Incorrect request"}),
        (SmmPanelRateLimitError(retry_after=12.2), "rate_limited",
         {"retry_after": "13"}),
        (SmmPanelRateLimitError(), "rate_limited", {"retry_after": "60"}),
        (SmmPanelRedirectError("https://elsewhere.example/", 307),
         "panel_redirected", {"location": "https://elsewhere.example/"}),
    ],
)  # fmt: skip
def test_action_error_carries_key_and_placeholders(
    err: SmmPanelError, key: str, placeholders: dict[str, str]
) -> None:
    """The translated error of an action names the row's key and placeholders."""
    error = action_error(err)
    assert (error.translation_key, error.translation_placeholders) == (
        key,
        placeholders,
    )
    assert error_row(err).key == key
