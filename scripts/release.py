#!/usr/bin/env python3
"""What the release workflow (.github/workflows/release.yml) runs, testable offline.

    python3 scripts/release.py check TAG   the tag is v<manifest version>, and
                                           CHANGELOG.md has a section for it
    python3 scripts/release.py zip OUT     build the zip HACS installs
    python3 scripts/release.py notes TAG   print the CHANGELOG section of TAG

The wrappers scripts/check_release_tag and scripts/build_release_zip call the
first two. Only the standard library: the workflow runs it on a bare Python.

The zip (hacs.json: `zip_release`, `filename`): HACS extracts a release's zip
into `custom_components/<domain>/`, so the integration's files sit at the
zip's root, with no folder above them. It holds exactly the files git tracks
under custom_components/smm_panel (no caches, nothing left untracked), in a
fixed order with fixed dates, so the same commit gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import re
import subprocess
import sys
import zipfile

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = "smm_panel"
INTEGRATION = Path("custom_components") / DOMAIN
CHANGELOG = "CHANGELOG.md"
# Zip entries get this date (the earliest a zip can hold) and these modes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
# A semantic version: MAJOR.MINOR.PATCH, with an optional pre-release.
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")


class ReleaseError(Exception):
    """The release cannot go ahead; the message says why."""


def manifest_version(root: Path = ROOT) -> str:
    """Return the integration's version, from its manifest."""
    manifest = json.loads((root / INTEGRATION / "manifest.json").read_text("utf-8"))
    version = manifest.get("version")
    if not isinstance(version, str) or not _SEMVER.match(version):
        raise ReleaseError(f"manifest.json: version {version!r} is not semantic")
    return version


def changelog_section(text: str, version: str) -> str:
    """Return the body of the CHANGELOG section of a version (Keep a Changelog).

    The heading is `## [VERSION] - YYYY-MM-DD`; the body runs to the next
    `## ` heading or the link definitions at the end.
    """
    heading = re.compile(
        rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}[ \t]*$", re.MULTILINE
    )
    match = heading.search(text)
    if match is None:
        raise ReleaseError(f"{CHANGELOG} has no section '## [{version}] - YYYY-MM-DD'")
    rest = text[match.end() :]
    end = re.search(r"^(## |\[[^\]]+\]: )", rest, flags=re.MULTILINE)
    body = (rest[: end.start()] if end else rest).strip()
    if not body:
        raise ReleaseError(f"{CHANGELOG}: the section of {version} is empty")
    return body


def check_tag(tag: str, root: Path = ROOT) -> str:
    """Check a tag against the manifest and the changelog; return the version."""
    version = manifest_version(root)
    if tag != f"v{version}":
        raise ReleaseError(
            f"The tag {tag!r} does not match the manifest's version {version}:"
            f" tag v{version}, or change the manifest"
        )
    changelog_section((root / CHANGELOG).read_text("utf-8"), version)
    return version


def integration_files(root: Path = ROOT) -> list[str]:
    """Return the integration's files, relative to its folder, sorted.

    The files git tracks; without git (e.g. the Python 3.14 root of the tests,
    which has none), every file of the folder but Python's caches.
    """
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", INTEGRATION.as_posix()],
            cwd=root,
            check=True,
            capture_output=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        files = sorted(
            path.relative_to(root / INTEGRATION).as_posix()
            for path in (root / INTEGRATION).rglob("*")
            if path.is_file() and not is_cache(path)
        )
    else:
        prefix = f"{INTEGRATION.as_posix()}/"
        files = sorted(path[len(prefix) :] for path in listed.split("\0") if path)
    if "manifest.json" not in files:
        raise ReleaseError(f"git tracks no {prefix}manifest.json")
    return files


def is_cache(path: Path) -> bool:
    """Return True for Python's byte-code caches, which are never shipped."""
    return "__pycache__" in path.parts or path.suffix in {".pyc", ".pyo"}


def build_zip(out: Path, root: Path = ROOT) -> list[str]:
    """Write the release zip; return the names it holds."""
    names = integration_files(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = (0o100000 | FILE_MODE) << 16  # a regular file
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (root / INTEGRATION / name).read_bytes())
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="check a tag").add_argument("tag")
    commands.add_parser("zip", help="build the zip").add_argument("out", type=Path)
    commands.add_parser("notes", help="print a tag's notes").add_argument("tag")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            version = check_tag(args.tag)
            print(f"{args.tag}: manifest version {version}, changelog section found")
        elif args.command == "zip":
            names = build_zip(args.out)
            print(f"{args.out}: {len(names)} files of {INTEGRATION.as_posix()}/")
        else:
            version = check_tag(args.tag)
            text = (ROOT / CHANGELOG).read_text("utf-8")
            print(changelog_section(text, version))
    except ReleaseError as err:
        print(f"Release refused: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
