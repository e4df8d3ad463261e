"""Config flow: add a panel account, reauthenticate, reconfigure, options."""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.typing import UNDEFINED, UndefinedType
import voluptuous as vol

from .api import (
    DEFAULT_API_URL,
    SmmPanelAuthenticationError,
    SmmPanelConnectionError,
    SmmPanelError,
    SmmPanelInvalidResponseError,
)
from .const import (
    CONF_API_URL,
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_RETENTION_HOURS,
    CONF_SCAN_INTERVAL,
    DEFAULT_LOW_BALANCE_THRESHOLD,
    DEFAULT_RETENTION_HOURS,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_RETENTION_HOURS,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)
from .coordinator import create_client
from .entity import panel_host

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

# URLs go into the form texts as placeholders: hassfest refuses a URL written
# in a translation string.
URL_PLACEHOLDERS = {"default_url": DEFAULT_API_URL}


def _account_schema(api_url: str = DEFAULT_API_URL) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_API_URL, default=api_url): URL_SELECTOR,
            vol.Required(CONF_API_KEY): KEY_SELECTOR,
        }
    )


def account_unique_id(api_url: str, api_key: str) -> str:
    """Return the id of a panel account: its host and a digest of its key.

    The key itself never goes into the unique id, which is not a secret.
    """
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return f"{panel_host(api_url).casefold()}-{digest}"


async def _async_check_account(
    hass: HomeAssistant, api_url: str, api_key: str
) -> dict[str, str]:
    """Check the key with a balance request; return the form errors."""
    try:
        await create_client(hass, api_url, api_key).async_get_balance()
    except SmmPanelAuthenticationError:
        return {"base": "invalid_auth"}
    except SmmPanelConnectionError:
        return {"base": "cannot_connect"}
    except SmmPanelInvalidResponseError:
        return {"base": "not_smm_panel"}
    except SmmPanelError:
        # A panel error other than the key (e.g. "Incorrect request").
        return {"base": "not_smm_panel"}
    except Exception:  # the form must show something, never crash
        LOGGER.exception("Unexpected error while checking the panel account")
        return {"base": "unknown"}
    return {}


def _clean(user_input: Mapping[str, Any]) -> tuple[str, str]:
    return str(user_input[CONF_API_URL]).strip(), str(user_input[CONF_API_KEY]).strip()


class SmmPanelConfigFlow(ConfigFlow, domain=DOMAIN):
    """Adds an SMM panel account."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmmPanelOptionsFlow:
        """Return the options flow."""
        return SmmPanelOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the panel URL and the API key."""
        errors: dict[str, str] = {}
        api_url = DEFAULT_API_URL
        if user_input is not None:
            api_url, api_key = _clean(user_input)
            await self.async_set_unique_id(account_unique_id(api_url, api_key))
            self._abort_if_unique_id_configured()
            errors = await _async_check_account(self.hass, api_url, api_key)
            if not errors:
                return self.async_create_entry(
                    title=panel_host(api_url),
                    data={CONF_API_URL: api_url, CONF_API_KEY: api_key},
                )
        return self.async_show_form(
            step_id="user",
            data_schema=_account_schema(api_url),
            errors=errors,
            description_placeholders=URL_PLACEHOLDERS,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after the panel refused the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API key."""
        entry = self._get_reauth_entry()
        api_url = entry.data[CONF_API_URL]
        errors: dict[str, str] = {}
        if user_input is not None:
            api_key = str(user_input[CONF_API_KEY]).strip()
            errors = await self._async_check_replacement(entry, api_url, api_key)
            if not errors:
                return self._async_update_and_reload(
                    entry,
                    "reauth_successful",
                    unique_id=account_unique_id(api_url, api_key),
                    data_updates={CONF_API_KEY: api_key},
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_API_KEY): KEY_SELECTOR}),
            description_placeholders={"host": panel_host(api_url)},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the panel URL and the key of an account."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        api_url = entry.data[CONF_API_URL]
        if user_input is not None:
            api_url, api_key = _clean(user_input)
            errors = await self._async_check_replacement(entry, api_url, api_key)
            if not errors:
                return self._async_update_and_reload(
                    entry,
                    "reconfigure_successful",
                    unique_id=account_unique_id(api_url, api_key),
                    title=panel_host(api_url),
                    data_updates={CONF_API_URL: api_url, CONF_API_KEY: api_key},
                )
        return self.async_show_form(
            step_id="reconfigure", data_schema=_account_schema(api_url), errors=errors
        )

    def _async_update_and_reload(
        self,
        entry: ConfigEntry,
        reason: str,
        *,
        unique_id: str,
        data_updates: Mapping[str, Any],
        title: str | UndefinedType = UNDEFINED,
    ) -> ConfigFlowResult:
        """Store new credentials, schedule a reload with them, and finish.

        Not `async_update_reload_and_abort`: the entry has an update listener
        (options apply live), and Home Assistant 2026.8+ reports that helper
        when the entry has one. The listener ignores data changes.
        """
        self.hass.config_entries.async_update_entry(
            entry,
            unique_id=unique_id,
            title=title,
            data={**entry.data, **data_updates},
        )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(reason=reason)

    async def _async_check_replacement(
        self, entry: ConfigEntry, api_url: str, api_key: str
    ) -> dict[str, str]:
        """Check new credentials of an entry; they may not be another entry's."""
        unique_id = account_unique_id(api_url, api_key)
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                return {"base": "already_configured"}
        return await _async_check_account(self.hass, api_url, api_key)


class SmmPanelOptionsFlow(OptionsFlow):
    """Polling interval, low-balance threshold and retention of finished orders."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL]),
                    CONF_LOW_BALANCE_THRESHOLD: float(
                        user_input[CONF_LOW_BALANCE_THRESHOLD]
                    ),
                    CONF_RETENTION_HOURS: int(user_input[CONF_RETENTION_HOURS]),
                }
            )
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_SCAN_INTERVAL,
                    default=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_SCAN_INTERVAL,
                        max=MAX_SCAN_INTERVAL,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                ),
                vol.Required(
                    CONF_LOW_BALANCE_THRESHOLD,
                    default=options.get(
                        CONF_LOW_BALANCE_THRESHOLD, DEFAULT_LOW_BALANCE_THRESHOLD
                    ),
                ): NumberSelector(
                    NumberSelectorConfig(min=0, step="any", mode=NumberSelectorMode.BOX)
                ),
                vol.Required(
                    CONF_RETENTION_HOURS,
                    default=options.get(CONF_RETENTION_HOURS, DEFAULT_RETENTION_HOURS),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=MAX_RETENTION_HOURS,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="h",
                    )
                ),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
