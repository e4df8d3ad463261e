"""The release: workflows, the zip HACS installs, the tag, the changelog (offline)."""

from __future__ import annotations

import json
from pathlib import Path
import re
import shutil
import stat
from typing import Any
import zipfile

import pytest
import yaml

from scripts.release import (
    CHANGELOG,
    DOMAIN,
    INTEGRATION,
    ReleaseError,
    build_zip,
    changelog_section,
    check_tag,
    integration_files,
    is_cache,
    manifest_version,
)

ROOT = Path(__file__).parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def _runs(workflow: dict[str, Any]) -> list[str]:
    return [
        step["run"]
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


def _hacs() -> dict[str, Any]:
    return json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))


def _legs_of_scripts_test() -> list[str]:
    text = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    match = re.search(r"^\s*for leg in ([\w ]+); do$", text, flags=re.MULTILINE)
    assert match is not None
    return match[1].split()


# --- workflows ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", sorted(path.name for path in WORKFLOWS.glob("*.yml")), ids=str
)
def test_workflow_files_parse(name: str) -> None:
    """Every workflow is YAML with triggers and jobs, each job running something."""
    workflow = _workflow(name)
    assert workflow["on"]
    assert workflow["jobs"]
    for job in workflow["jobs"].values():
        assert "uses" in job or (job["runs-on"] and job["steps"])


def test_release_workflow_on_a_tag() -> None:
    """A tag v* is checked, tested, validated, then published with the zip."""
    workflow = _workflow("release.yml")
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    jobs = workflow["jobs"]
    assert jobs["tests"] == {"needs": "check", "uses": "./.github/workflows/tests.yml"}
    assert jobs["validate"] == {
        "needs": "check",
        "uses": "./.github/workflows/validate.yml",
    }
    assert set(jobs["publish"]["needs"]) == {"tests", "validate"}
    assert jobs["publish"]["permissions"] == {"contents": "write"}
    assert workflow["permissions"] == {"contents": "read"}
    [check] = _runs({"jobs": {"check": jobs["check"]}})
    assert check == 'scripts/check_release_tag "$GITHUB_REF_NAME"'
    publish = "\n".join(_runs({"jobs": {"publish": jobs["publish"]}}))
    zip_path = f"dist/{_hacs()['filename']}"
    assert f"scripts/build_release_zip {zip_path}" in publish
    assert f'gh release create "$GITHUB_REF_NAME" {zip_path}' in publish
    assert f'gh release upload "$GITHUB_REF_NAME" {zip_path}' in publish


@pytest.mark.parametrize("name", ["tests.yml", "validate.yml"])
def test_called_workflows_are_callable(name: str) -> None:
    """The release runs the test and validation workflows: they take workflow_call."""
    assert "workflow_call" in _workflow(name)["on"]


def test_validate_runs_hassfest_and_hacs() -> None:
    """The validation the release waits for is hassfest and the HACS action."""
    jobs = _workflow("validate.yml")["jobs"]
    uses = {step.get("uses", "") for job in jobs.values() for step in job["steps"]}
    assert "home-assistant/actions/hassfest@master" in uses
    assert "hacs/action@main" in uses
    [hacs] = [job for job in jobs.values() if "hacs/action@main" in str(job)]
    assert hacs["steps"][-1]["with"] == {"category": "integration"}


def test_test_workflow_runs_every_leg() -> None:
    """The GitHub matrix, scripts/test and requirements/ name the same legs."""
    matrix = _workflow("tests.yml")["jobs"]["test"]["strategy"]["matrix"]["include"]
    legs = [entry["leg"] for entry in matrix]
    assert legs == _legs_of_scripts_test() == ["oldest", "newest", "release"]
    files = {path.stem for path in (ROOT / "requirements").glob("*.txt")}
    assert files - {"tools"} == set(legs)


def test_scripts_the_workflows_call_exist() -> None:
    """Each script a workflow runs is in the repository and executable."""
    called = {
        match
        for name in ("release.yml", "tests.yml")
        for run in _runs(_workflow(name))
        for match in re.findall(r"scripts/[\w.]+", run)
    }
    assert called >= {"scripts/check_release_tag", "scripts/build_release_zip"}
    for path in called:
        mode = (ROOT / path).stat().st_mode
        assert mode & stat.S_IXUSR, path


# --- the zip HACS installs ----------------------------------------------------------


def _shipped_files() -> list[str]:
    folder = ROOT / INTEGRATION
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and not is_cache(path)
    )


def test_hacs_installs_the_release_zip() -> None:
    """hacs.json asks HACS for the release's zip, named after the domain."""
    hacs = _hacs()
    assert hacs["zip_release"] is True
    assert hacs["filename"] == f"{DOMAIN}.zip"


def test_zip_holds_exactly_the_integration_at_its_root(tmp_path: Path) -> None:
    """The integration's files at the zip's root, byte for byte, and nothing else.

    HACS extracts the zip into custom_components/smm_panel/: a folder above
    the files would install custom_components/smm_panel/custom_components/...
    """
    out = tmp_path / "dist" / _hacs()["filename"]
    names = build_zip(out)

    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == names == _shipped_files()
        assert "manifest.json" in names
        assert "translations/en.json" in names
        assert all(not name.startswith(("/", "custom_components")) for name in names)
        assert all(".." not in Path(name).parts for name in names)
        assert all(not info.is_dir() for info in archive.infolist())
        installed = tmp_path / "config" / "custom_components" / DOMAIN
        archive.extractall(installed)
    for name in names:
        source = ROOT / INTEGRATION / name
        assert (installed / name).read_bytes() == source.read_bytes(), name
    manifest = json.loads((installed / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["domain"] == DOMAIN


def test_zip_is_the_same_for_the_same_files(tmp_path: Path) -> None:
    """Fixed order, dates and modes: building twice gives the same bytes."""
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    build_zip(first)
    build_zip(second)
    assert first.read_bytes() == second.read_bytes()


def test_zip_leaves_out_caches(tmp_path: Path) -> None:
    """Python's caches in the folder are not shipped (without git: the walk)."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / INTEGRATION, root / INTEGRATION)
    cache = root / INTEGRATION / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "const.cpython-313.pyc").write_bytes(b"\0")
    (root / INTEGRATION / "stray.pyc").write_bytes(b"\0")

    names = build_zip(tmp_path / "out.zip", root)

    assert names == integration_files(root) == _shipped_files()


# --- the tag, the manifest and the changelog -----------------------------------------


def test_tag_matches_the_manifest_and_the_changelog() -> None:
    """The version of this release has its tag and its changelog section."""
    version = manifest_version()
    assert check_tag(f"v{version}") == version
    section = changelog_section((ROOT / CHANGELOG).read_text(encoding="utf-8"), version)
    assert section.startswith("### ")


def _repo_copy(tmp_path: Path, version: str, changelog: str) -> Path:
    root = tmp_path / "repo"
    (root / INTEGRATION).mkdir(parents=True)
    (root / INTEGRATION / "manifest.json").write_text(
        json.dumps({"domain": DOMAIN, "version": version}), encoding="utf-8"
    )
    (root / CHANGELOG).write_text(changelog, encoding="utf-8")
    return root


CHANGELOG_TEXT = """\
# Changelog

## [Unreleased]

## [1.2.0] - 2027-01-05

### Added

- Something.

## [1.1.0] - 2026-12-24

### Fixed

- Another thing.

[Unreleased]: https://example.org/compare/v1.2.0...HEAD
[1.2.0]: https://example.org/releases/tag/v1.2.0
"""


@pytest.mark.parametrize(
    ("version", "tag", "changelog", "message"),
    [
        ("1.2.0", "v1.2.1", CHANGELOG_TEXT, "does not match the manifest's version"),
        ("1.2.0", "1.2.0", CHANGELOG_TEXT, "does not match the manifest's version"),
        ("1.3.0", "v1.3.0", CHANGELOG_TEXT, r"no section '## \[1.3.0\]"),
        (
            "1.2.0",
            "v1.2.0",
            CHANGELOG_TEXT.replace("- Something.", "").replace("### Added", ""),
            "the section of 1.2.0 is empty",
        ),
        (
            "1.2.0",
            "v1.2.0",
            CHANGELOG_TEXT.replace("[1.2.0] - 2027-01-05", "[1.2.0]"),
            r"no section '## \[1.2.0\] - YYYY-MM-DD'",
        ),
        ("1.2", "v1.2", CHANGELOG_TEXT, "is not semantic"),
    ],
    ids=[
        "other-version",
        "no-v",
        "no-section",
        "empty-section",
        "no-date",
        "not-semantic",
    ],
)
def test_tag_check_refuses(
    tmp_path: Path, version: str, tag: str, changelog: str, message: str
) -> None:
    """A tag that is not v<manifest version>, or a version without its notes."""
    root = _repo_copy(tmp_path, version, changelog)
    with pytest.raises(ReleaseError, match=message):
        check_tag(tag, root)


def test_changelog_section_ends_at_the_next_version() -> None:
    """The notes of a version are its own section, not the next one's."""
    assert changelog_section(CHANGELOG_TEXT, "1.2.0") == "### Added\n\n- Something."
    assert changelog_section(CHANGELOG_TEXT, "1.1.0") == "### Fixed\n\n- Another thing."


def test_changelog_is_keep_a_changelog() -> None:
    """Unreleased first, then one dated section per version, newest first."""
    text = (ROOT / CHANGELOG).read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?", text, re.M)
    assert headings[0] == ("Unreleased", "")
    versions = [version for version, _ in headings[1:]]
    assert all(date for _, date in headings[1:])
    as_tuples = [tuple(int(part) for part in v.split(".")) for v in versions]
    assert as_tuples == sorted(as_tuples, reverse=True)
    assert len(set(versions)) == len(versions)
    assert versions[0] == manifest_version()
    for version in versions:
        section = changelog_section(text, version)
        kinds = re.findall(r"^### (\w+)$", section, re.M)
        assert kinds, version
        assert set(kinds) <= {
            "Added",
            "Changed",
            "Deprecated",
            "Removed",
            "Fixed",
            "Security",
        }
