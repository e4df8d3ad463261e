"""Fault injection and panel dialects: the ways real panels misbehave or differ."""

from __future__ import annotations

from dataclasses import dataclass, fields
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
