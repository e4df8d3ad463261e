"""Async client for SMM reseller panels speaking the "API v2" protocol.

Self-contained: no Home Assistant import, so it can be published on its own.
"""

from .catalogue import Catalogue, CatalogueItems
from .client import (
    BATCH_SIZE,
    DEFAULT_API_URL,
    DEFAULT_MAX_REQUESTS_PER_MINUTE,
    DEFAULT_RATE_WINDOW,
    MAX_REPLY_BYTES,
    SmmPanelClient,
)
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
    LIST_FIELDS,
    MAX_COUNT,
    MAX_ID,
    MAX_MONEY,
    MAX_MONEY_DECIMALS,
    Balance,
    CancelResult,
    CatalogueItem,
    ItemError,
    NumberRangeError,
    OrderRequest,
    OrderStatus,
    RefillStatus,
    parse_id,
)
from .redact import redact_url
from .status import (
    FINAL_ORDER_STATES,
    OrderState,
    RefillState,
    normalize_order_status,
    normalize_refill_status,
)

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_API_URL",
    "DEFAULT_MAX_REQUESTS_PER_MINUTE",
    "DEFAULT_RATE_WINDOW",
    "FINAL_ORDER_STATES",
    "LIST_FIELDS",
    "MAX_COUNT",
    "MAX_ID",
    "MAX_MONEY",
    "MAX_MONEY_DECIMALS",
    "MAX_REPLY_BYTES",
    "Balance",
    "CancelResult",
    "Catalogue",
    "CatalogueItem",
    "CatalogueItems",
    "ItemError",
    "NumberRangeError",
    "OrderRequest",
    "OrderState",
    "OrderStatus",
    "RefillState",
    "RefillStatus",
    "SmmPanelAuthenticationError",
    "SmmPanelClient",
    "SmmPanelConnectionError",
    "SmmPanelError",
    "SmmPanelInsufficientFundsError",
    "SmmPanelInvalidResponseError",
    "SmmPanelOrderStateUnknownError",
    "SmmPanelRateLimitError",
    "SmmPanelRedirectError",
    "SmmPanelRequestError",
    "SmmPanelTimeoutError",
    "normalize_order_status",
    "normalize_refill_status",
    "parse_id",
    "redact_url",
]
