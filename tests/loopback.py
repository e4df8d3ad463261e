"""The API key and timeouts of tests that talk to a panel on loopback HTTP.

Plain Python, no Home Assistant: the client's tests (tests/api) import these,
since the client and its tests stay free of Home Assistant. The values are the
ones of tests/conftest.py, which serves the simulated panel with API_KEY.

No test may depend on how fast the machine is:
- every client waits PATIENT seconds for a reply (the integration's own
  default), far above any delay a busy machine adds;
- a timeout is tested against a panel that never answers (a "timeout" fault
  that stalls NEVER seconds: the simulator lets it go only when it stops),
  with a SHORT client timeout in that test only. The other requests of such
  a test must still fit in SHORT, hence not shorter.
"""

from __future__ import annotations

API_KEY = "sk-test-0123456789abcdef"
PATIENT = 30.0
SHORT = 1.0
NEVER = 3600.0


def client_timeout(fault_kind: str | None) -> float:
    """Return the client timeout of a test whose panel has this fault."""
    return SHORT if fault_kind == "timeout" else PATIENT
