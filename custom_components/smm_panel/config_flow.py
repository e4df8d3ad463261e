"""Config flow: add a panel account, reauthenticate, reconfigure, options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import hashlib
import ipaddress
import math
from typing import Any, Final
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_API_KEY, CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .account import account_host, create_client, panel_host
from .api import DEFAULT_API_URL, SmmPanelError
from .const import (
    CONF_API_URL,
    CONF_DUPLICATE_WINDOW,
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_RETENTION_HOURS,
    CONF_SPENDING_LIMIT,
    DEFAULT_DUPLICATE_WINDOW,
    DEFAULT_LOW_BALANCE_THRESHOLD,
    DEFAULT_RETENTION_HOURS,
    DEFAULT_SPENDING_LIMIT,
    DOMAIN,
    LOGGER,
    MAX_DUPLICATE_WINDOW,
    MAX_RETENTION_HOURS,
)
from .coordinator import SmmPanelConfigEntry
from .errors import form_error

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
TEXT_SELECTOR = TextSelector()

# The longest the form waits out a rate-limited panel (retries, Retry-After)
# before saying when to try again: a person is watching a spinner.
FORM_MAX_WAIT: Final = 10.0

# URLs go into the form texts as placeholders: hassfest refuses a URL written
# in a translation string.
URL_PLACEHOLDERS = {"default_url": DEFAULT_API_URL}


def _account_schema(
    api_url: str = DEFAULT_API_URL, *, name: bool = False, key_required: bool = True
) -> vol.Schema:
    """Return the form of an account: URL, key, and (when adding) a name."""
    key = vol.Required(CONF_API_KEY) if key_required else vol.Optional(CONF_API_KEY)
    fields: dict[vol.Marker, Any] = {
        vol.Required(CONF_API_URL, default=api_url): URL_SELECTOR,
        key: KEY_SELECTOR,
    }
    if name:
        fields[vol.Optional(CONF_NAME)] = TEXT_SELECTOR
    return vol.Schema(fields)


def account_unique_id(api_url: str, api_key: str) -> str:
    """Return the id of a panel account: its host and a digest of its key.

    API v2 has no account id, so this is the best there is: it cannot tell a
    regenerated key of the same account from another account. The host is
    normalised (`account_host`): `www.smmqueen.com.` is `smmqueen.com`.

    An entry keeps the id it was created with; reauthentication and
    reconfiguration change its key and URL, not its id. Entries made before
    hosts were normalised keep their id too: accounts are compared on the id
    of each entry's current URL and key as well (`_account_in_use`), so no
    migration is needed. The key itself never goes into the id.
    """
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return f"{account_host(api_url)}-{digest}"


def account_title(api_url: str, entries: Iterable[SmmPanelConfigEntry]) -> str:
    """Return the host of a panel, numbered when other entries are on it."""
    host = panel_host(api_url)
    entries = list(entries)
    others = [
        e
        for e in entries
        if account_host(e.data[CONF_API_URL]) == account_host(api_url)
    ]
    if not others:
        return host
    titles = {entry.title for entry in entries}
    number = len(others) + 1
    while f"{host} ({number})" in titles:
        number += 1
    return f"{host} ({number})"


@callback
def retitle_key_ending(hass: HomeAssistant, entry: SmmPanelConfigEntry) -> None:
    """Rename an entry an older version titled with the end of its key.

    Versions before 1.3 titled a second account on a host "host (…3210)":
    part of the key, shown in logs, diagnostics and `list_services`. Such a
    title is numbered instead; a title the user chose is left alone.
    """
    host = panel_host(entry.data[CONF_API_URL])
    if entry.title != f"{host} (\u2026{str(entry.data[CONF_API_KEY])[-4:]})":
        return
    others: list[SmmPanelConfigEntry] = [
        other
        for other in hass.config_entries.async_entries(DOMAIN)
        if other.entry_id != entry.entry_id
    ]
    hass.config_entries.async_update_entry(
        entry, title=account_title(entry.data[CONF_API_URL], others)
    )


def _entry_account_id(entry: SmmPanelConfigEntry) -> str:
    """Return the account id of an entry's current URL and key."""
    return account_unique_id(entry.data[CONF_API_URL], entry.data[CONF_API_KEY])


def is_local_host(host: str) -> bool:
    """Return True for a host on the user's own machine or network.

    Addresses that are not routed on the internet (loopback, private ranges,
    link-local, the shared 100.64.0.0/10 range of VPNs such as Tailscale),
    `localhost` and mDNS `.local` names. Any other name is taken as public:
    where it resolves is not known here.
    """
    host = host.casefold().rstrip(".")
    if host == "localhost" or host.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def url_error(api_url: str) -> str | None:
    """Return the form error of an API URL, or None when it can be used.

    Checked before anything is sent: a malformed URL is refused at once, and
    plain http only reaches the user's own network, because every request
    carries the API key in its body.
    """
    try:
        parts = urlsplit(api_url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return "invalid_url"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "invalid_url"
    if parts.scheme == "http" and not is_local_host(parts.hostname):
        return "insecure_url"
    return None


async def _async_check_account(
    hass: HomeAssistant, api_url: str, api_key: str, placeholders: dict[str, str]
) -> dict[str, str]:
    """Check the key with a balance request; return the form errors.

    When the panel answered in its own words ("Account suspended"), they go
    into `placeholders` for the error text to show.
    """
    try:
        await create_client(hass, api_url, api_key).async_get_balance(
            max_wait=FORM_MAX_WAIT
        )
    except SmmPanelError as err:
        error, words = form_error(err)
        placeholders.update(words)
        return {"base": error}
    except Exception:  # the form must show something, never crash
        LOGGER.exception("Unexpected error while checking the panel account")
        return {"base": "unknown"}
    return {}


def _clean(user_input: Mapping[str, Any]) -> tuple[str, str]:
    return (
        str(user_input[CONF_API_URL]).strip(),
        str(user_input.get(CONF_API_KEY) or "").strip(),
    )


def _form_errors(api_url: str, api_key: str) -> dict[str, str]:
    """Return what is wrong with the form itself, before asking the panel."""
    if (error := url_error(api_url)) is not None:
        return {CONF_API_URL: error}
    if not api_key:
        return {CONF_API_KEY: "empty_key"}
    return {}


class SmmPanelConfigFlow(ConfigFlow, domain=DOMAIN):
    """Adds an SMM panel account."""

    VERSION = 1
    # 1.2: the polling interval is no longer an option.
    # 1.3: no title holds the end of the key (`retitle_key_ending`).
    MINOR_VERSION = 3

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: SmmPanelConfigEntry,
    ) -> SmmPanelOptionsFlow:
        """Return the options flow."""
        return SmmPanelOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the panel URL and the API key."""
        errors: dict[str, str] = {}
        placeholders = dict(URL_PLACEHOLDERS)
        api_url = DEFAULT_API_URL
        if user_input is not None:
            api_url, api_key = _clean(user_input)
            errors = _form_errors(api_url, api_key)
            if not errors:
                # A panel first: an address that is not one (a wrong path,
                # Home Assistant's own) is said so, not "already set up".
                errors = await _async_check_account(
                    self.hass, api_url, api_key, placeholders
                )
            if not errors:
                unique_id = account_unique_id(api_url, api_key)
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_configured()
                if self._account_in_use(unique_id):
                    return self.async_abort(reason="already_configured")
                return self.async_create_entry(
                    title=self._account_title(
                        api_url, str(user_input.get(CONF_NAME) or "")
                    ),
                    data={CONF_API_URL: api_url, CONF_API_KEY: api_key},
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _account_schema(api_url, name=True), user_input or {}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _account_title(self, api_url: str, name: str) -> str:
        """Return the name a person recognises the account by.

        The name given, else the panel's host; a second account on the same
        host gets a number, "smmqueen.com (2)" (API v2 has no account name).
        Never any part of the key: the title shows in logs and diagnostics.
        """
        if name := name.strip():
            return name
        return account_title(api_url, self._async_current_entries(include_ignore=False))

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after the panel refused the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API key."""
        entry: SmmPanelConfigEntry = self._get_reauth_entry()
        api_url = entry.data[CONF_API_URL]
        errors: dict[str, str] = {}
        placeholders = {"host": panel_host(api_url)}
        if user_input is not None:
            api_key = str(user_input.get(CONF_API_KEY) or "").strip()
            errors = await self._async_check_replacement(
                entry, api_url, api_key, placeholders
            )
            if not errors:
                return self._async_update_and_reload(
                    entry, "reauth_successful", data_updates={CONF_API_KEY: api_key}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_API_KEY): KEY_SELECTOR}),
            description_placeholders=placeholders,
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the panel URL and the key of an account."""
        entry: SmmPanelConfigEntry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders = dict(URL_PLACEHOLDERS)
        api_url = entry.data[CONF_API_URL]
        if user_input is not None:
            api_url, api_key = _clean(user_input)
            # An empty key field keeps the current key: change only the URL.
            api_key = api_key or entry.data[CONF_API_KEY]
            errors = await self._async_check_replacement(
                entry, api_url, api_key, placeholders
            )
            if not errors:
                return self._async_update_and_reload(
                    entry,
                    "reconfigure_successful",
                    data_updates={CONF_API_URL: api_url, CONF_API_KEY: api_key},
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_account_schema(api_url, key_required=False),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _async_update_and_reload(
        self,
        entry: SmmPanelConfigEntry,
        reason: str,
        *,
        data_updates: Mapping[str, Any],
    ) -> ConfigFlowResult:
        """Store new credentials, schedule a reload with them, and finish.

        The unique id stays: it names the entry, not the key. Not
        `async_update_reload_and_abort`: the entry has an update listener
        (options apply live), and Home Assistant reports that helper when the
        entry has one ("has an update listener and should use it for
        scheduling a reload"), which stops working in 2026.12.0. The listener
        ignores data changes.
        """
        self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, **data_updates}
        )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(reason=reason)

    async def _async_check_replacement(
        self,
        entry: SmmPanelConfigEntry,
        api_url: str,
        api_key: str,
        placeholders: dict[str, str],
    ) -> dict[str, str]:
        """Check new credentials of an entry; they may not be another entry's."""
        if errors := _form_errors(api_url, api_key):
            return errors
        # A panel first, as when adding an account.
        if errors := await _async_check_account(
            self.hass, api_url, api_key, placeholders
        ):
            return errors
        if self._account_in_use(account_unique_id(api_url, api_key), entry.entry_id):
            return {"base": "already_configured"}
        return {}

    def _account_in_use(
        self, account_id: str, skip_entry_id: str | None = None
    ) -> bool:
        """Return True when another entry is this account.

        An entry keeps its first unique id (see `account_unique_id`): its
        current URL and key are compared too.
        """
        return any(
            other.entry_id != skip_entry_id
            and account_id in (other.unique_id, _entry_account_id(other))
            for other in self._async_current_entries(include_ignore=False)
        )


@dataclass(frozen=True, slots=True)
class NumberOption:
    """One option of the options form: a number from 0, whole or not."""

    key: str
    default: float
    kind: type[int] | type[float]
    maximum: int | None = None

    def selector_config(self) -> NumberSelectorConfig:
        """Return the form field: a box, whole numbers or not.

        No min or max: the selector would refuse a value out of range with an
        untranslated "Value 721.0 is too large"; `error` says it in words.
        """
        return NumberSelectorConfig(
            step=1 if self.kind is int else "any", mode=NumberSelectorMode.BOX
        )

    def error(self, value: float) -> str | None:
        """Return the form error of a value out of range (`<key>_range`), or None."""
        if (
            not math.isfinite(value)
            or value < 0
            or (self.maximum is not None and value > self.maximum)
            or (self.kind is int and not value.is_integer())
        ):
            return f"{self.key}_range"
        return None


OPTIONS: tuple[NumberOption, ...] = (
    NumberOption(CONF_LOW_BALANCE_THRESHOLD, DEFAULT_LOW_BALANCE_THRESHOLD, float),
    NumberOption(
        CONF_RETENTION_HOURS, DEFAULT_RETENTION_HOURS, int, MAX_RETENTION_HOURS
    ),
    NumberOption(CONF_SPENDING_LIMIT, DEFAULT_SPENDING_LIMIT, float),
    NumberOption(
        CONF_DUPLICATE_WINDOW, DEFAULT_DUPLICATE_WINDOW, int, MAX_DUPLICATE_WINDOW
    ),
)


class SmmPanelOptionsFlow(OptionsFlow):
    """Low-balance threshold and retention of finished orders.

    Not the polling interval: that is the integration's choice (Home
    Assistant's rule for polling integrations); an automation can call
    `homeassistant.update_entity` for a fresher view.
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options; a value out of range is said in words."""
        errors: dict[str, str] = {}
        if user_input is not None:
            for option in OPTIONS:
                if error := option.error(float(user_input[option.key])):
                    errors[option.key] = error
            if not errors:
                return self.async_create_entry(
                    data={
                        option.key: option.kind(user_input[option.key])
                        for option in OPTIONS
                    }
                )
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    option.key, default=options.get(option.key, option.default)
                ): NumberSelector(option.selector_config())
                for option in OPTIONS
            }
        )
        return self.async_show_form(
            step_id="init",
            # What was typed stays in the form next to its error.
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders={
                "max_retention_hours": str(MAX_RETENTION_HOURS),
                "max_duplicate_window": str(MAX_DUPLICATE_WINDOW),
            },
        )
