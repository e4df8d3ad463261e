"""Real replies of API v2 panels, kept once as JSON files for every test suite.

The files live in tests/fixtures/protocol/ (docs/protocol.md describes them all):

- `examples/`: the example replies of the SMM Queen API page, verbatim
  (docs/protocol.md, section 2);
- `dialects/`: the variants other panels send (docs/protocol.md, sections 3 and 5);
- `errors/`: error replies seen in the wild (docs/protocol.md, section 6).

The client's tests (tests/api) serve them byte for byte and parse them; the
simulator's tests (tests/simulator) check the simulator answers in the same
shapes. Plain Python: no Home Assistant import.
"""

from __future__ import annotations

from collections.abc import Hashable
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "protocol"


def sample_text(name: str) -> str:
    """Return the text of a sample, e.g. `sample_text("examples/status")`."""
    return (FIXTURES / f"{name}.json").read_text(encoding="utf-8")


def sample(name: str) -> Any:
    """Return a sample decoded, e.g. `sample("errors/invalid_key")`."""
    return json.loads(sample_text(name))


def sample_names(folder: str) -> list[str]:
    """Return the names of every sample in a folder, e.g. `errors/invalid_key`."""
    return sorted(
        f"{folder}/{path.stem}" for path in (FIXTURES / folder).glob("*.json")
    )


def shape(value: Any) -> Hashable:
    """Describe the shape of a decoded reply, its values left out.

    Objects keep their field names, except objects keyed by ids (a bulk status)
    whose keys are all "<id>"; a list is the set of its items' shapes. Strings,
    integers, floats and booleans differ: a panel sends numbers as one or the
    other, and a sample says which.
    """
    if isinstance(value, dict):
        if value and all(isinstance(key, str) and key.isdigit() for key in value):
            return ("by id", frozenset(shape(item) for item in value.values()))
        return ("object", frozenset((key, shape(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("list", frozenset(shape(item) for item in value))
    if value is None:
        return "null"
    return type(value).__name__
