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

# The integration's choice, not an option (Home Assistant's rule for polling
# integrations): automations call homeassistant.update_entity for more.
UPDATE_INTERVAL: Final = timedelta(minutes=5)
DEFAULT_LOW_BALANCE_THRESHOLD: Final = 5.0
DEFAULT_RETENTION_HOURS: Final = 24
MAX_RETENTION_HOURS: Final = 720

SERVICES_REFRESH_INTERVAL: Final = timedelta(hours=1)

# Client settings: seconds per request, and the first backoff of read retries.
CLIENT_TIMEOUT: Final = 30.0
CLIENT_BACKOFF: Final = 2.0

EVENT_ORDER_UPDATED: Final = "smm_panel_order_updated"
EVENT_REFILL_UPDATED: Final = "smm_panel_refill_updated"

EVENT_TYPE_REFILL_COMPLETED: Final = "refill_completed"
EVENT_TYPE_REFILL_REJECTED: Final = "refill_rejected"

STORAGE_VERSION: Final = 1
