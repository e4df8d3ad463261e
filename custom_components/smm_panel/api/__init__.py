"""Async client for SMM reseller panels speaking the "API v2" protocol.

Self-contained: no Home Assistant import, so it can be published on its own.
"""

from .client import BATCH_SIZE, DEFAULT_API_URL, SmmPanelClient
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
    LIST_FIELDS,
    Balance,
    CancelResult,
    ItemError,
    OrderRequest,
    OrderStatus,
    RefillStatus,
    Service,
)
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
    "FINAL_ORDER_STATES",
    "LIST_FIELDS",
    "Balance",
    "CancelResult",
    "ItemError",
    "OrderRequest",
    "OrderState",
    "OrderStatus",
    "RefillState",
    "RefillStatus",
    "Service",
    "SmmPanelAuthenticationError",
    "SmmPanelClient",
    "SmmPanelConnectionError",
    "SmmPanelError",
    "SmmPanelInsufficientFundsError",
    "SmmPanelInvalidResponseError",
    "SmmPanelOrderStateUnknownError",
    "SmmPanelRateLimitError",
    "SmmPanelRequestError",
    "SmmPanelTimeoutError",
    "normalize_order_status",
    "normalize_refill_status",
]
