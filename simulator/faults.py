"""Fault injection and panel dialects: the ways real panels misbehave or differ."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
import time
from typing import Any

LATENCY = "latency"
TIMEOUT = "timeout"
RESET = "reset"
HTTP500 = "http500"
HTML = "html"
MALFORMED_JSON = "malformed_json"
WRONG_SHAPE = "wrong_shape"
HTTP429 = "http429"
ERROR = "error"
KEY_REVOKED = "key_revoked"

FAULT_KINDS: frozenset[str] = frozenset(
    {
        LATENCY,
        TIMEOUT,
        RESET,
        HTTP500,
        HTML,
        MALFORMED_JSON,
        WRONG_SHAPE,
        HTTP429,
        ERROR,
        KEY_REVOKED,
    }
)

# How long a "timeout" fault stalls when no delay is given: longer than any client
# timeout, so the client's own timer is what fires.
DEFAULT_TIMEOUT_DELAY = 30.0


@dataclass(slots=True)
class Fault:
    """One injected misbehaviour.

    ``action`` None matches every action; ``times`` None never runs out.
    """

    kind: str
    action: str | None = None
    times: int | None = 1
    delay: float = 0.0
    message: str | None = None
    retry_after: int | None = None
    status: int | None = None

    def __post_init__(self) -> None:
        """Reject unknown kinds early: a typo would otherwise silently do nothing."""
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault kind: {self.kind!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build a fault from JSON-like data (the ``/_sim/fault`` endpoint)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def matches(self, action: str | None) -> bool:
        """Return True if this fault applies to a request with ``action``."""
        return self.action is None or self.action == action


@dataclass(slots=True)
class FaultPlan:
    """What the server must do for one request: total latency plus one fault."""

    latency: float = 0.0
    fault: Fault | None = None


class FaultInjector:
    """Ordered list of pending faults, consumed as requests arrive."""

    def __init__(self) -> None:
        """Start with no faults."""
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault; faults are matched in the order they were added."""
        self._faults.append(fault)

    def clear(self) -> None:
        """Remove every pending fault."""
        self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        """A copy of the faults still waiting to fire."""
        return list(self._faults)

    def take(self, action: str | None) -> FaultPlan:
        """Consume the faults that apply to one request.

        Every matching latency fault adds its delay (so a forever-latency can be
        combined with other faults); the first matching non-latency fault is used.
        """
        plan = FaultPlan()
        for fault in list(self._faults):
            if not fault.matches(action):
                continue
            if fault.kind == LATENCY:
                plan.latency += fault.delay
            elif plan.fault is None:
                plan.fault = fault
            else:
                continue
            self._consume(fault)
        return plan

    def _consume(self, fault: Fault) -> None:
        if fault.times is None:
            return
        fault.times -= 1
        if fault.times <= 0:
            self._faults.remove(fault)


@dataclass(slots=True)
class Dialect:
    """Differences between panels that all claim to speak API v2."""

    numbers_as_numbers: bool = False
    lowercase_status: bool = False
    cancelled_spelling: str = "Canceled"
    failed_spelling: str = "Fail"
    use_refunded: bool = False
    flat_bulk_errors: bool = False
    cancel_returns_id: bool = False
    truncate_bulk_at: int | None = None
    money_decimals: int = 5
    # A PHP reseller panel: a Package order needs `quantity` (within the
    # catalogue's min and max), else HTTP 400 "Missing required parameters".
    package_needs_quantity: bool = False


RATE_LIMIT_MESSAGE = "Rate limit exceeded"


@dataclass(slots=True)
class RateLimit:
    """A per-key request limit in fixed windows of real time, as some panels have.

    ``limit`` requests per ``window`` seconds; windows start when the limit is
    set. Every arriving request counts (refused ones too). Over the limit the
    panel answers HTTP 200 ``{"error": "Rate limit exceeded"}`` (``as_text``,
    the common form) or HTTP 429, with ``Retry-After`` (seconds to the end of
    the window, rounded up) when ``retry_after`` is set.
    ``counts`` maps (key, window index) to the requests that arrived in it.
    """

    limit: int = 120
    window: float = 60.0
    as_text: bool = True
    retry_after: bool = False
    message: str = RATE_LIMIT_MESSAGE
    clock: Callable[[], float] = time.monotonic
    counts: dict[tuple[str, int], int] = field(default_factory=dict)
    refused: int = 0
    start: float | None = None

    def arrive(self, key: str) -> float | None:
        """Count a request; return None if allowed, else seconds to the window end."""
        now = self.clock()
        if self.start is None:
            self.start = now
        index = int((now - self.start) // self.window)
        slot = (key, index)
        self.counts[slot] = self.counts.get(slot, 0) + 1
        if self.counts[slot] <= self.limit:
            return None
        self.refused += 1
        return self.start + (index + 1) * self.window - now

    def max_per_window(self) -> int:
        """Return the most requests that arrived in one window (for one key)."""
        return max(self.counts.values(), default=0)
