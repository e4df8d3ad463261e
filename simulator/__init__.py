"""A local SMM panel ("API v2") simulator for tests, benchmarks and demos.

Never shipped to users: it lives outside ``custom_components``.
"""

from .catalogue import SimService, build_catalogue
from .faults import (
    ERROR,
    FAULT_KINDS,
    HTML,
    HTTP429,
    HTTP500,
    KEY_REVOKED,
    LATENCY,
    MALFORMED_JSON,
    RESET,
    TIMEOUT,
    WRONG_SHAPE,
    Dialect,
    Fault,
    FaultInjector,
    RateLimit,
)
from .models import LoggedRequest, Response, SimClock, SimOrder, SimRefill
from .panel import PanelSimulator
from .server import SimulatorServer

__all__ = [
    "ERROR",
    "FAULT_KINDS",
    "HTML",
    "HTTP429",
    "HTTP500",
    "KEY_REVOKED",
    "LATENCY",
    "MALFORMED_JSON",
    "RESET",
    "TIMEOUT",
    "WRONG_SHAPE",
    "Dialect",
    "Fault",
    "FaultInjector",
    "LoggedRequest",
    "PanelSimulator",
    "RateLimit",
    "Response",
    "SimClock",
    "SimOrder",
    "SimRefill",
    "SimService",
    "SimulatorServer",
    "build_catalogue",
]
