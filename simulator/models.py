"""Data types of the simulated panel: clock, orders, refills, logged requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
import json
import time
from typing import Any

# Canonical status texts the simulator produces itself; dialects respell them.
PENDING = "Pending"
IN_PROGRESS = "In progress"
COMPLETED = "Completed"
PARTIAL = "Partial"
CANCELED = "Canceled"
FAIL = "Fail"
REFUNDED = "Refunded"

# Lower-cased raw statuses after which an order never changes again.
FINAL_STATUSES = frozenset(
    {
        "partial",
        "completed",
        "canceled",
        "cancelled",
        "refunded",
        "fail",
        "failed",
        "error",
    }
)


class SimClock:
    """Simulated time in seconds, starting at 0.

    Manual by default (only ``advance`` moves it). In realtime mode it follows the
    monotonic clock multiplied by ``speed``, and ``advance`` still jumps ahead.
    """

    def __init__(
        self,
        *,
        realtime: bool = False,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a clock at time 0."""
        self.realtime = realtime
        self.speed = speed
        self._monotonic = monotonic
        self._start = monotonic()
        self._offset = 0.0

    @property
    def now(self) -> float:
        """Current simulated time in seconds."""
        if not self.realtime:
            return self._offset
        return (self._monotonic() - self._start) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` ahead."""
        self._offset += seconds


@dataclass(slots=True)
class SimOrder:
    """An order on the simulated panel; ``status`` is the raw panel text."""

    order_id: int
    api_key: str
    service_id: int
    link: str
    quantity: int
    charge: Decimal
    start_count: int
    remains: int
    status: str
    created_at: float
    fields: dict[str, str] = field(default_factory=dict)
    runs: int = 1
    # Forced by set_order_status (or final): the clock no longer moves it.
    frozen: bool = False

    @property
    def total_quantity(self) -> int:
        """Units delivered over all drip-feed runs."""
        return self.quantity * self.runs

    @property
    def is_final(self) -> bool:
        """True once the order can no longer change on its own."""
        return self.status.lower() in FINAL_STATUSES


@dataclass(slots=True)
class SimRefill:
    """A refill request for an order."""

    refill_id: int
    order_id: int
    status: str
    created_at: float
    frozen: bool = False


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request as the panel received it, with the API key redacted."""

    action: str | None
    params: dict[str, str]
    time: float


@dataclass(slots=True)
class Response:
    """A protocol reply, independent of the HTTP layer."""

    status: int
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.body)


def json_response(data: Any, status: int = 200) -> Response:
    """Build a JSON Response."""
    return Response(status=status, body=json.dumps(data))


def error_response(message: str, status: int = 200) -> Response:
    """Build the panel's ``{"error": ...}`` reply."""
    return json_response({"error": message}, status)
