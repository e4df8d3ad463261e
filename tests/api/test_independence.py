"""The client stays free of Home Assistant, and so do its tests.

The client package (custom_components/smm_panel/api) is ready to be published on
its own; its tests (tests/api) go with it, so they import the client, the
simulator and plain test helpers only: never Home Assistant, its test plugin, or
tests/conftest.py (which imports that plugin).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

ROOT = Path(__file__).parents[2]
CLIENT = ROOT / "custom_components" / "smm_panel" / "api"
CLIENT_TESTS = Path(__file__).parent
# The plain helpers the client's tests import.
HELPERS = (ROOT / "tests" / "loopback.py", ROOT / "tests" / "protocol_samples.py")
FORBIDDEN = ("homeassistant", "pytest_homeassistant_custom_component", "tests.conftest")


def imported_modules(path: Path, package: str) -> Iterator[str]:
    """Yield every module a source file imports, relative imports made absolute."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def forbidden(module: str, prefixes: tuple[str, ...]) -> bool:
    """Return True when `module` is one of `prefixes` or inside one."""
    return any(module == p or module.startswith(f"{p}.") for p in prefixes)


def test_imported_modules_resolves_relative_imports(tmp_path: Path) -> None:
    """The scanner sees plain, from and relative imports (else it proves nothing)."""
    source = tmp_path / "module.py"
    source.write_text(
        "import homeassistant.core\n"
        "from ..conftest import API_KEY\n"
        "from . import helpers\n"
        "def f():\n"
        "    from pytest_homeassistant_custom_component import common\n"
    )
    modules = set(imported_modules(source, "tests.api"))
    assert {
        "homeassistant.core",
        "tests.conftest",
        "tests.conftest.API_KEY",
        "tests.api.helpers",
        "pytest_homeassistant_custom_component",
    } <= modules
    assert [m for m in sorted(modules) if forbidden(m, FORBIDDEN)] == [
        "homeassistant.core",
        "pytest_homeassistant_custom_component",
        "pytest_homeassistant_custom_component.common",
        "tests.conftest",
        "tests.conftest.API_KEY",
    ]


@pytest.mark.parametrize(
    "path",
    [*sorted(CLIENT_TESTS.glob("*.py")), *HELPERS],
    ids=lambda path: path.relative_to(ROOT).as_posix(),
)
def test_client_tests_import_no_home_assistant(path: Path) -> None:
    """No module of the client's tests imports Home Assistant, even indirectly."""
    package = "tests.api" if path.parent == CLIENT_TESTS else "tests"
    found = [m for m in imported_modules(path, package) if forbidden(m, FORBIDDEN)]
    assert found == []


@pytest.mark.parametrize(
    "path", sorted(CLIENT.glob("*.py")), ids=lambda path: path.name
)
def test_client_imports_nothing_of_the_integration(path: Path) -> None:
    """The client imports no Home Assistant and nothing of the integration around it."""
    package = "custom_components.smm_panel.api"
    found = [
        module
        for module in imported_modules(path, package)
        if forbidden(module, ("homeassistant", "custom_components"))
        and not forbidden(module, (package,))
    ]
    assert found == []


def test_client_imports_on_its_own(tmp_path: Path) -> None:
    """A copy of the package, alone on the path, imports without Home Assistant."""
    shutil.copytree(CLIENT, tmp_path / "smm_panel_api")
    check = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "import smm_panel_api\n"
        "assert smm_panel_api.SmmPanelClient\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] == 'homeassistant']\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run(
        [sys.executable, "-I", "-c", check], cwd=tmp_path, check=True, timeout=60
    )


def test_client_is_typed_and_documented() -> None:
    """The package ships a py.typed marker and a README of its API."""
    assert (CLIENT / "py.typed").is_file()
    readme = (CLIENT / "README.md").read_text(encoding="utf-8")
    assert "SmmPanelClient" in readme
