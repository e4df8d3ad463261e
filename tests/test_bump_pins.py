"""scripts/bump_pins: its rewriting of requirements/, fed version lists offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.bump_pins import (
    HOMEASSISTANT,
    PLUGIN,
    BumpError,
    current_pins,
    exact_pins,
    mentions,
    newest_stable,
    parse_available,
    plan_pins,
    replaced_versions,
    rewrite,
)

REQUIREMENTS = Path(__file__).parents[1] / "requirements"

# What `pip index versions` prints (pip 24 to 26), newest first.
PIP_INDEX_OUTPUT = """\
pytest-homeassistant-custom-component (0.13.380)
Available versions: 0.13.380, 0.13.379, 0.13.375, 0.13.236
"""

# The METADATA of a plugin release, as pip downloads it (trimmed).
PLUGIN_METADATA = """\
Metadata-Version: 2.4
Name: pytest-homeassistant-custom-component
Version: 0.13.380
Requires-Python: >=3.14
Requires-Dist: sqlalchemy
Requires-Dist: coverage==7.16.3
Requires-Dist: pytest-asyncio==1.5.0
Requires-Dist: pytest-cov==7.2.0
Requires-Dist: pytest-socket==0.8.1
Requires-Dist: pytest-timeout==2.4.1
Requires-Dist: pytest==9.1.0
Requires-Dist: numpy==2.3.2; python_version < "3.15"
Requires-Dist: syrupy>=6
Requires-Dist: homeassistant==2026.11.1

The plugin's description.
"""

HOMEASSISTANT_VERSIONS = [
    "2026.12.0b3",
    "2026.12.0",
    "2026.11.1",
    "2026.11.0",
    "2026.12.1.dev202612240301",
    "2026.10.4",
    "2025.4.4",
]
PLUGIN_VERSIONS = ["0.13.380", "0.13.379", "0.13.375", "0.13.236"]


def test_newest_stable_compares_versions_and_skips_betas() -> None:
    """Newest by version order (2026.10 after 2026.9), never a beta or a dev."""
    assert newest_stable(HOMEASSISTANT_VERSIONS) == "2026.12.0"
    assert newest_stable(["2026.9.4", "2026.10.0", "2026.1.0"]) == "2026.10.0"
    assert newest_stable(["0.13.99", "0.13.100", "not a version"]) == "0.13.100"
    with pytest.raises(BumpError):
        newest_stable(["2027.1.0b0", "2027.1.0.dev1"])


def test_parse_available() -> None:
    """The versions of `pip index versions`, in its order."""
    assert parse_available(PIP_INDEX_OUTPUT) == PLUGIN_VERSIONS
    with pytest.raises(BumpError):
        parse_available("ERROR: No matching distribution found for nothing")


def test_exact_pins_of_the_plugin() -> None:
    """Only unconditional `==` pins, by canonical name."""
    pins = exact_pins(PLUGIN_METADATA)
    assert pins[HOMEASSISTANT] == "2026.11.1"
    assert pins["pytest"] == "9.1.0"
    assert pins["pytest-asyncio"] == "1.5.0"
    assert "numpy" not in pins  # a marker
    assert "syrupy" not in pins  # a range
    assert "sqlalchemy" not in pins  # no version


def test_bump_rewrites_every_leg_file_at_once() -> None:
    """The newest leg follows the plugin, the release leg the newest release.

    Comments, order and the lines without a pin stay as they were; the oldest
    leg is not in the plan (it is the oldest supported version).
    """
    plan = plan_pins(
        HOMEASSISTANT_VERSIONS, PLUGIN_VERSIONS, exact_pins(PLUGIN_METADATA)
    )
    assert set(plan) == {"newest.txt", "release.txt"}
    old_newest = (REQUIREMENTS / "newest.txt").read_text(encoding="utf-8")
    old_release = (REQUIREMENTS / "release.txt").read_text(encoding="utf-8")

    new_newest = rewrite(old_newest, plan["newest.txt"])
    new_release = rewrite(old_release, plan["release.txt"])

    assert current_pins(new_newest) == {
        HOMEASSISTANT: "2026.11.1",
        PLUGIN: "0.13.380",
    }
    assert current_pins(new_release) == {
        HOMEASSISTANT: "2026.12.0",
        "pytest": "9.1.0",
        "pytest-asyncio": "1.5.0",
        "pytest-cov": "7.2.0",
        "pytest-socket": "0.8.1",
        "pytest-timeout": "2.4.1",
    }
    for old, new in ((old_newest, new_newest), (old_release, new_release)):
        unpinned = [line for line in old.splitlines() if "==" not in line]
        assert [line for line in new.splitlines() if "==" not in line] == unpinned
        assert len(new.splitlines()) == len(old.splitlines())
    assert replaced_versions(old_release, new_release) >= {
        current_pins(old_release)[HOMEASSISTANT]
    }


def test_bump_of_pins_already_newest_changes_nothing() -> None:
    """Fed the versions the files pin, the rewrite is the files themselves."""
    newest = (REQUIREMENTS / "newest.txt").read_text(encoding="utf-8")
    release = (REQUIREMENTS / "release.txt").read_text(encoding="utf-8")
    newest_pins, release_pins = current_pins(newest), current_pins(release)
    plugin_requires = {
        name: version for name, version in release_pins.items() if name != HOMEASSISTANT
    } | {HOMEASSISTANT: newest_pins[HOMEASSISTANT]}
    plan = plan_pins(
        [release_pins[HOMEASSISTANT], newest_pins[HOMEASSISTANT]],
        [newest_pins[PLUGIN]],
        plugin_requires,
    )
    assert rewrite(newest, plan["newest.txt"]) == newest
    assert rewrite(release, plan["release.txt"]) == release
    assert replaced_versions(newest, newest) == set()


def test_bump_refuses_what_does_not_add_up() -> None:
    """A plugin without the pins needed, or ahead of the releases listed."""
    requires = exact_pins(PLUGIN_METADATA)
    without_pytest = {k: v for k, v in requires.items() if k != "pytest"}
    with pytest.raises(BumpError, match="pins no pytest"):
        plan_pins(HOMEASSISTANT_VERSIONS, PLUGIN_VERSIONS, without_pytest)
    with pytest.raises(BumpError, match="newer than the newest release listed"):
        plan_pins(["2026.11.0"], PLUGIN_VERSIONS, requires)
    with pytest.raises(BumpError, match="no pin to rewrite for pytest"):
        rewrite("homeassistant==2026.10.4\n", {"pytest": "9.1.0"})


def test_rewrite_keeps_comments_on_a_pinned_line() -> None:
    """Only the version changes; names are matched however they are spelled."""
    text = "# Leg\nHomeAssistant==2026.10.4  # the plugin's\n-r tools.txt\n"
    assert rewrite(text, {"homeassistant": "2026.11.1"}) == (
        "# Leg\nHomeAssistant==2026.11.1  # the plugin's\n-r tools.txt\n"
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("tested on 2026.10.4 and newer", True),
        ("(2026.10.4, Python 3.14)", True),
        ("`homeassistant==2026.10.4`.", True),
        ("2026.10.45", False),
        ("2026.10.4.1", False),
        ("12026.10.4", False),
    ],
)
def test_mentions_a_version_not_a_longer_one(text: str, found: bool) -> None:
    """The prose check names a file only for the very version."""
    assert mentions(text, "2026.10.4") is found
