"""Bump the test legs' pins to the newest test plugin and Home Assistant release.

Run through `scripts/bump_pins` (it runs this on the release leg's Python 3.14,
so pip lists only what installs there). It asks PyPI, with pip, for:

- the newest `pytest-homeassistant-custom-component`, and the `homeassistant`
  and pytest tools that release pins (its metadata, from `pip download`);
- the newest `homeassistant` release (no betas).

and rewrites requirements/ in one go:

- `newest.txt`: the plugin and the Home Assistant it pins;
- `release.txt`: the newest Home Assistant release, and the pytest tools as
  the plugin pins them (the release leg runs without the plugin);
- `oldest.txt` is left alone: it is the oldest supported version, changed by
  hand when support for it is dropped.

Then it names the other files that still mention a replaced version (README,
workflow comments), to be updated by hand. `--dry-run` prints the new files
instead of writing them. The rewriting is pure functions, tested offline
(tests/test_bump_pins.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from email.parser import HeaderParser
from pathlib import Path
import re
import subprocess
import sys
import tempfile
import zipfile

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
HOMEASSISTANT = "homeassistant"
PLUGIN = "pytest-homeassistant-custom-component"
# The pytest tools the release leg installs, pinned as the plugin pins them.
RELEASE_TOOLS = (
    "pytest",
    "pytest-asyncio",
    "pytest-cov",
    "pytest-socket",
    "pytest-timeout",
)
# Files that name the legs' versions in prose, checked after a bump.
PROSE = (
    "README.md",
    "scripts/test",
    ".ci/run",
    ".github/workflows/tests.yml",
)
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s#;]+)")
_AVAILABLE = re.compile(r"^Available versions:\s*(?P<versions>.+)$", re.MULTILINE)


class BumpError(Exception):
    """What PyPI answered cannot be used to bump the pins."""


def newest_stable(versions: Iterable[str]) -> str:
    """Return the newest final release among version texts (no beta, no dev)."""
    stable: list[Version] = []
    for text in versions:
        try:
            version = Version(text.strip())
        except InvalidVersion:
            continue
        if not (version.is_prerelease or version.is_devrelease):
            stable.append(version)
    if not stable:
        raise BumpError("no final release in the list")
    return str(max(stable))


def parse_available(pip_index_output: str) -> list[str]:
    """Return the versions listed by `pip index versions NAME`."""
    match = _AVAILABLE.search(pip_index_output)
    if match is None:
        raise BumpError("pip index printed no 'Available versions' line")
    return [part.strip() for part in match["versions"].split(",") if part.strip()]


def exact_pins(metadata: str) -> dict[str, str]:
    """Return the `name==version` requirements of a wheel's METADATA.

    Keyed by canonical name; requirements with markers or ranges are left out.
    """
    pins: dict[str, str] = {}
    for line in HeaderParser().parsestr(metadata).get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        specifiers = list(requirement.specifier)
        if requirement.marker is None and len(specifiers) == 1:
            [specifier] = specifiers
            if specifier.operator == "==":
                pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def plan_pins(
    homeassistant_versions: Iterable[str],
    plugin_versions: Iterable[str],
    plugin_requires: Mapping[str, str],
) -> dict[str, dict[str, str]]:
    """Return the new pins of each leg file, from what PyPI lists.

    `plugin_requires` is `exact_pins` of the newest plugin's metadata.
    """
    plugin = newest_stable(plugin_versions)
    release = newest_stable(homeassistant_versions)
    missing = [
        name
        for name in (HOMEASSISTANT, *RELEASE_TOOLS)
        if canonicalize_name(name) not in plugin_requires
    ]
    if missing:
        raise BumpError(f"{PLUGIN} {plugin} pins no {', '.join(missing)}")
    plugin_homeassistant = plugin_requires[HOMEASSISTANT]
    if Version(plugin_homeassistant) > Version(release):
        # PyPI listed a plugin for a release it did not list: a partial answer.
        raise BumpError(
            f"{PLUGIN} {plugin} pins {HOMEASSISTANT} {plugin_homeassistant},"
            f" newer than the newest release listed ({release})"
        )
    return {
        "newest.txt": {HOMEASSISTANT: plugin_homeassistant, PLUGIN: plugin},
        "release.txt": {
            HOMEASSISTANT: release,
            **{
                name: plugin_requires[canonicalize_name(name)] for name in RELEASE_TOOLS
            },
        },
    }


def rewrite(text: str, pins: Mapping[str, str]) -> str:
    """Return a requirements file with the given packages' `==` pins replaced.

    Comments, order and every other line stay as they are. A package that the
    file does not pin is an error: the file and the plan disagree.
    """
    wanted: dict[str, str] = {
        canonicalize_name(name): version for name, version in pins.items()
    }
    seen: set[str] = set()
    lines = []
    for line in text.splitlines(keepends=True):
        match = _PIN.match(line)
        name = canonicalize_name(match["name"]) if match else ""
        if match is None or name not in wanted:
            lines.append(line)
            continue
        seen.add(name)
        start, end = match.span("version")
        lines.append(line[:start] + wanted[name] + line[end:])
    if missing := sorted(set(wanted) - seen):
        raise BumpError(f"no pin to rewrite for {', '.join(missing)}")
    return "".join(lines)


def current_pins(text: str) -> dict[str, str]:
    """Return the `==` pins of a requirements file, by canonical name."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        if match := _PIN.match(line):
            pins[canonicalize_name(match["name"])] = match["version"]
    return pins


def replaced_versions(old: str, new: str) -> set[str]:
    """Return the versions that a rewrite of a requirements file took out."""
    before, after = current_pins(old), current_pins(new)
    return {version for name, version in before.items() if after.get(name) != version}


def mentions(text: str, version: str) -> bool:
    """Return True if the text names this version (not a longer one)."""
    return re.search(rf"(?<![\w.]){re.escape(version)}(?![\w]|\.\d)", text) is not None


# --- asking PyPI (not run by the tests) ----------------------------------------


def _pip(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pip", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def _available(name: str) -> list[str]:
    return parse_available(_pip("index", "versions", name))


def _metadata(name: str, version: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        _pip("download", "--quiet", "--no-deps", "--dest", folder, f"{name}=={version}")
        [wheel] = Path(folder).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            [path] = [
                entry
                for entry in archive.namelist()
                if entry.endswith(".dist-info/METADATA")
            ]
            return archive.read(path).decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dry-run", action="store_true", help="print the new files, write nothing"
    )
    args = parser.parse_args()
    try:
        plugin_versions = _available(PLUGIN)
        plugin = newest_stable(plugin_versions)
        plan = plan_pins(
            _available(HOMEASSISTANT),
            plugin_versions,
            exact_pins(_metadata(PLUGIN, plugin)),
        )
    except (BumpError, subprocess.CalledProcessError) as err:
        print(f"Cannot bump the pins: {err}", file=sys.stderr)
        return 1
    replaced: set[str] = set()
    for file_name, pins in plan.items():
        path = REQUIREMENTS / file_name
        old = path.read_text(encoding="utf-8")
        new = rewrite(old, pins)
        replaced |= replaced_versions(old, new)
        if args.dry_run:
            print(f"== requirements/{file_name}\n{new}")
        elif new != old:
            path.write_text(new, encoding="utf-8")
            listed = ", ".join(f"{name}=={version}" for name, version in pins.items())
            print(f"requirements/{file_name}: {listed}")
        else:
            print(f"requirements/{file_name}: up to date")
    stale = [
        f"{name} ({', '.join(sorted(v for v in replaced if mentions(text, v)))})"
        for name in PROSE
        if (text := (ROOT / name).read_text(encoding="utf-8"))
        and any(mentions(text, version) for version in replaced)
    ]
    if stale:
        print("Still naming a replaced version, update by hand: " + "; ".join(stale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
