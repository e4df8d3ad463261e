"""Constants of the SMM Panel integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

LOGGER = logging.getLogger(__package__)

DOMAIN: Final = "smm_panel"

CONF_API_URL: Final = "api_url"
CONF_LOW_BALANCE_THRESHOLD: Final = "low_balance_threshold"
CONF_RETENTION_HOURS: Final = "retention_hours"
CONF_SPENDING_LIMIT: Final = "spending_limit"
CONF_DUPLICATE_WINDOW: Final = "duplicate_window"

DEFAULT_LOW_BALANCE_THRESHOLD: Final = 5.0
DEFAULT_RETENTION_HOURS: Final = 24
MAX_RETENTION_HOURS: Final = 720
# Spending limit per 24 hours, in the account's currency; 0 = no limit.
DEFAULT_SPENDING_LIMIT: Final = 0.0
SPENDING_WINDOW: Final = timedelta(hours=24)
# Minutes within which the same order is refused again; 0 = no guard.
DEFAULT_DUPLICATE_WINDOW: Final = 10
MAX_DUPLICATE_WINDOW: Final = 1440

CATALOGUE_REFRESH_INTERVAL: Final = timedelta(hours=1)
# With nothing on its way, the catalogue (for its change events) is asked for
# less often: an idle account costs the panel little.
CATALOGUE_IDLE_REFRESH_INTERVAL: Final = timedelta(hours=3)

# Client settings: seconds per request, and the first backoff of read retries.
CLIENT_TIMEOUT: Final = 30.0
CLIENT_BACKOFF: Final = 2.0

EVENT_ORDER_UPDATED: Final = "smm_panel_order_updated"
EVENT_REFILL_UPDATED: Final = "smm_panel_refill_updated"
EVENT_CATALOGUE_CHANGED: Final = "smm_panel_catalogue_changed"

EVENT_TYPE_REFILL_COMPLETED: Final = "refill_completed"
EVENT_TYPE_REFILL_REJECTED: Final = "refill_rejected"

STORAGE_VERSION: Final = 1

# Actions.
SERVICE_ADD_ORDER: Final = "add_order"
SERVICE_ORDER_STATUS: Final = "order_status"
SERVICE_REFILL: Final = "refill"
SERVICE_REFILL_STATUS: Final = "refill_status"
SERVICE_CANCEL: Final = "cancel"
SERVICE_LIST_SERVICES: Final = "list_services"
SERVICE_TRACK_ORDERS: Final = "track_orders"
SERVICE_UNTRACK_ORDERS: Final = "untrack_orders"

# Fields of the actions. ATTR_CONFIG_ENTRY_ID is not in homeassistant.const
# of Home Assistant 2025.4, so it is defined here.
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_ORDERS: Final = "orders"
ATTR_REFILLS: Final = "refills"
ATTR_TRACK: Final = "track"
ATTR_DRY_RUN: Final = "dry_run"
ATTR_CATEGORY: Final = "category"
ATTR_SEARCH: Final = "search"
ATTR_TYPE: Final = "type"
ATTR_REFILL: Final = "refill"
ATTR_CANCEL: Final = "cancel"
ATTR_MAX_RATE: Final = "max_rate"
ATTR_SORT: Final = "sort"
ATTR_ALLOW_DUPLICATE: Final = "allow_duplicate"
# Fields of add_order, as the panel's `add` request names them.
ATTR_SERVICE: Final = "service"
ATTR_LINK: Final = "link"
ATTR_QUANTITY: Final = "quantity"
ATTR_RUNS: Final = "runs"
ATTR_INTERVAL: Final = "interval"
ATTR_USERNAME: Final = "username"
ATTR_POSTS: Final = "posts"
ATTR_OLD_POSTS: Final = "old_posts"
ATTR_MIN: Final = "min"
ATTR_MAX: Final = "max"
ATTR_TYPE_OF_TRAFFIC: Final = "type_of_traffic"

ISSUE_ORDER_STATE_UNKNOWN: Final = "order_state_unknown"
SERVICE_ESTIMATE_ORDER: Final = "estimate_order"
ATTR_ALLOW_INEXACT_ESTIMATE: Final = "allow_inexact_estimate"
