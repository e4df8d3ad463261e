"""What HACS and Home Assistant need from the shipped files.

These tests read the files as they are shipped, without Home Assistant, so a
missing translation, icon or manifest key fails here before a user sees it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
import json
from pathlib import Path
import re
import string
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.util.yaml import load_yaml_dict
from PIL import Image
import pytest
import voluptuous as vol
from voluptuous.humanize import humanize_error
import yaml

ROOT = Path(__file__).parents[3]
INTEGRATION = ROOT / "custom_components" / "smm_panel"
TRANSLATIONS = INTEGRATION / "translations"
SERVICES_YAML = INTEGRATION / "services.yaml"

PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Errors shown to users: each must name its translation.
TRANSLATED_ERRORS = frozenset(
    {
        "HomeAssistantError",
        "ServiceValidationError",
        "ConfigEntryAuthFailed",
        "ConfigEntryError",
        "ConfigEntryNotReady",
        "UpdateFailed",
    }
)
ENTITY_PLATFORMS = ("binary_sensor", "button", "event", "select", "sensor", "switch")


def _load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _leaves(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Yield (dotted key, text) for every string of a translation file."""
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            yield from _leaves(value, path)
        else:
            yield path, value


def _service_names() -> set[str]:
    """Return the actions of services.yaml: every top-level key is one.

    No "."-prefixed anchor keys: Home Assistant skips them, but hassfest
    refuses them in a custom integration (see test_services_yaml_hassfest).
    """
    if not SERVICES_YAML.exists():
        return set()
    data = yaml.safe_load(SERVICES_YAML.read_text(encoding="utf-8")) or {}
    return set(data)


def _source_files() -> list[Path]:
    return sorted(INTEGRATION.rglob("*.py"))


@pytest.fixture(scope="module")
def en() -> dict[str, Any]:
    """Return the English translation."""
    return _load_json(TRANSLATIONS / "en.json")


@pytest.fixture(scope="module")
def ar() -> dict[str, Any]:
    """Return the Arabic translation."""
    return _load_json(TRANSLATIONS / "ar.json")


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    """Return the integration manifest."""
    return _load_json(INTEGRATION / "manifest.json")


@pytest.fixture(scope="module")
def icons() -> dict[str, Any]:
    """Return icons.json."""
    return _load_json(INTEGRATION / "icons.json")


# --- translations -----------------------------------------------------------


def test_translation_files_are_well_formed(
    en: dict[str, Any], ar: dict[str, Any]
) -> None:
    """Every value is a non-empty string; the files end with a newline."""
    for name, data in (("en", en), ("ar", ar)):
        text = (TRANSLATIONS / f"{name}.json").read_text(encoding="utf-8")
        assert text.endswith("\n"), name
        for key, value in _leaves(data):
            assert isinstance(value, str), f"{name}: {key}"
            assert value.strip(), f"{name}: {key} is empty"


def test_arabic_has_every_english_key_and_no_other(
    en: dict[str, Any], ar: dict[str, Any]
) -> None:
    """The Arabic translation is complete and holds no stale keys."""
    en_keys = dict(_leaves(en)).keys()
    ar_keys = dict(_leaves(ar)).keys()
    assert sorted(en_keys - ar_keys) == [], "missing in ar.json"
    assert sorted(ar_keys - en_keys) == [], "missing in en.json"


def test_placeholders_match(en: dict[str, Any], ar: dict[str, Any]) -> None:
    """A translated text keeps exactly the placeholders of the English one."""
    ar_texts = dict(_leaves(ar))
    mismatches = {
        key: (sorted(PLACEHOLDER.findall(text)), sorted(PLACEHOLDER.findall(other)))
        for key, text in _leaves(en)
        if (other := ar_texts.get(key)) is not None
        and sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(other))
    }
    assert mismatches == {}


def test_arabic_is_translated(en: dict[str, Any], ar: dict[str, Any]) -> None:
    """Arabic texts are in Arabic: none is left as the English original."""
    ar_texts = dict(_leaves(ar))
    arabic = re.compile(r"[\u0600-\u06FF]")
    untranslated = [
        key
        for key, text in _leaves(en)
        if key in ar_texts and not arabic.search(ar_texts[key])
    ]
    assert untranslated == []


def test_services_are_translated(en: dict[str, Any]) -> None:
    """Every action of services.yaml, its fields and its sections have a name."""
    texts = en.get("services", {})
    data = (
        yaml.safe_load(SERVICES_YAML.read_text(encoding="utf-8"))
        if SERVICES_YAML.exists()
        else {}
    )
    missing = []
    for name in _service_names():
        text = texts.get(name, {})
        missing.extend(f"{name}.{k}" for k in ("name", "description") if k not in text)
        for field, spec in ((data[name] or {}).get("fields") or {}).items():
            if isinstance(spec, Mapping) and "fields" in spec:
                # A collapsible section: its own name, its fields translated
                # next to the action's other fields.
                if "name" not in text.get("sections", {}).get(field, {}):
                    missing.append(f"{name}.sections.{field}")
                fields = list(spec["fields"])
            else:
                fields = [field]
            missing.extend(
                f"{name}.fields.{f}"
                for f in fields
                if "name" not in text.get("fields", {}).get(f, {})
            )
    assert missing == []


# --- manifest and HACS ------------------------------------------------------


def test_manifest(manifest: dict[str, Any]) -> None:
    """The manifest holds what Home Assistant and HACS require."""
    assert manifest["domain"] == "smm_panel" == INTEGRATION.name
    assert manifest["name"] == "SMM Panel"
    assert isinstance(manifest["codeowners"], list)
    assert manifest["codeowners"]
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    assert manifest["config_flow"] is True
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"].startswith("https://")
    assert manifest["integration_type"] == "service"
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["requirements"] == []
    version = AwesomeVersion(manifest["version"])
    assert version.valid
    assert version.strategy != "unknown"


def test_hacs_json() -> None:
    """hacs.json names the integration and its minimum Home Assistant version."""
    hacs = _load_json(ROOT / "hacs.json")
    assert hacs["name"] == "SMM Panel"
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum.valid
    assert minimum >= AwesomeVersion("2025.4.0")
    # Keys HACS knows; anything else is a typo HACS would ignore.
    known = {
        "name",
        "content_in_root",
        "zip_release",
        "filename",
        "hide_default_branch",
        "country",
        "homeassistant",
        "hacs",
        "persistent_directory",
        "render_readme",
    }
    assert set(hacs) <= known


@pytest.mark.parametrize("name", ["icon.png", "logo.png", "dark_logo.png"])
def test_brand_images(name: str) -> None:
    """The brand images are trimmed PNGs of the sizes Home Assistant expects.

    As in Home Assistant's brands repository: the icon is square, 256 px; a
    logo's shortest side is 128 to 256 px; no transparent margin around either.
    """
    with Image.open(INTEGRATION / "brand" / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"  # a transparent background
        width, height = image.size
        if name.endswith("icon.png"):
            assert (width, height) == (256, 256)
        else:
            assert 128 <= min(width, height) <= 256
            assert width >= height  # logos are landscape or square
        # Trimmed: something opaque touches every edge.
        assert image.getchannel("A").getbbox() == (0, 0, width, height)


def test_dark_logo_matches_logo() -> None:
    """The dark-theme logo is the same size as the logo it replaces."""
    with (
        Image.open(INTEGRATION / "brand" / "logo.png") as logo,
        Image.open(INTEGRATION / "brand" / "dark_logo.png") as dark,
    ):
        assert dark.size == logo.size


# --- icons ------------------------------------------------------------------


def test_icons_are_material_design(icons: dict[str, Any]) -> None:
    """Every icon is a Material Design icon."""
    for key, value in _leaves(icons):
        assert value.startswith("mdi:"), key


def test_icons_cover_entities(icons: dict[str, Any], en: dict[str, Any]) -> None:
    """Each entity translation key has an icon, and no icon is left over."""
    entity_keys = {
        (platform, key) for platform, keys in en["entity"].items() for key in keys
    }
    icon_keys = {
        (platform, key)
        for platform, keys in icons.get("entity", {}).items()
        for key in keys
    }
    assert sorted(entity_keys - icon_keys) == []
    assert sorted(icon_keys - entity_keys) == []
    for platform, key in icon_keys:
        assert "default" in icons["entity"][platform][key]


def test_icons_cover_services(icons: dict[str, Any]) -> None:
    """Each action of services.yaml has an icon, and no icon is left over."""
    names = _service_names()
    if not names:
        pytest.skip("services.yaml is not written yet")
    service_icons = icons.get("services", {})
    assert sorted(names - service_icons.keys()) == []
    assert sorted(service_icons.keys() - names) == []
    for name in names:
        assert service_icons[name]["service"].startswith("mdi:")


# --- the code against the translations --------------------------------------


def _constants(trees: list[ast.Module]) -> dict[str, str]:
    """Return module-level string constants (NAME: Final = "...") of the code."""
    found: dict[str, str] = {}
    for tree in trees:
        for node in tree.body:
            target: ast.expr | None = None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            elif isinstance(node, ast.AnnAssign):
                target = node.target
            value = getattr(node, "value", None)
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                found[target.id] = value.value
    return found


def _patterns(node: ast.expr, constants: Mapping[str, str]) -> list[str]:
    """Return the translation keys an expression can take, as regexes.

    An f-string such as f"{kind}_below_min" gives a pattern: at least one
    key of that shape must exist.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [re.escape(node.value)]
    if isinstance(node, ast.Name) and node.id in constants:
        return [re.escape(constants[node.id])]
    if isinstance(node, ast.IfExp):
        return _patterns(node.body, constants) + _patterns(node.orelse, constants)
    if isinstance(node, ast.JoinedStr):
        return [
            "".join(
                re.escape(part.value) if isinstance(part, ast.Constant) else r"\w+"
                for part in node.values
            )
        ]
    return []


def _key_helpers(tree: ast.Module) -> dict[str, int]:
    """Return functions that pass one of their parameters on as translation_key.

    Maps the function name to the position of that parameter, so that calls
    such as `_invalid("unknown_service", ...)` are checked too.
    """
    helpers: dict[str, int] = {}
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = [arg.arg for arg in func.args.posonlyargs + func.args.args]
        for node in ast.walk(func):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "translation_key"
                and isinstance(node.value, ast.Name)
                and node.value.id in params
            ):
                helpers[func.name] = params.index(node.value.id)
    return helpers


def _translation_keys_in_code() -> list[tuple[str, int, str, str]]:
    """Return (file, line, platform file or "", key pattern) for each key used."""
    files = _source_files()
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in files]
    constants = _constants(trees)
    helpers: dict[str, int] = {}
    for tree in trees:
        helpers |= _key_helpers(tree)
    found: list[tuple[str, int, str, str]] = []
    for path, tree in zip(files, trees, strict=True):
        platform = path.stem if path.stem in ENTITY_PLATFORMS else ""
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.keyword) and node.arg == "translation_key":
                values.append(node.value)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = (
                    node.targets if isinstance(node, ast.Assign) else [node.target]
                )
                if node.value is not None and any(
                    isinstance(t, ast.Name) and t.id == "_attr_translation_key"
                    for t in targets
                ):
                    values.append(node.value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in helpers
                and len(node.args) > helpers[node.func.id]
            ):
                values.append(node.args[helpers[node.func.id]])
            for value in values:
                found.extend(
                    (path.name, value.lineno, platform, key)
                    for key in _patterns(value, constants)
                )
    return found


def test_code_translation_keys_exist(en: dict[str, Any]) -> None:
    """Every translation_key used in the code has an English text."""
    used = _translation_keys_in_code()
    # The keys of client errors are in errors.ERROR_TABLE (see test_errors.py).
    assert {pattern for *_, pattern in used} >= {"update_failed", "order"}
    missing = []
    for name, line, platform, pattern in used:
        places: list[Mapping[str, Any]] = [
            en.get("exceptions", {}),
            en.get("issues", {}),
        ]
        if platform:
            places.append(en.get("entity", {}).get(platform, {}))
        if not any(re.fullmatch(pattern, key) for place in places for key in place):
            missing.append(f"{name}:{line} {pattern}")
    assert missing == []


def test_errors_name_their_translation() -> None:
    """Errors for users are built with translation_domain and translation_key."""
    untranslated = []
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in TRANSLATED_ERRORS
            ):
                keywords = {keyword.arg for keyword in node.keywords}
                if not {"translation_domain", "translation_key"} <= keywords:
                    untranslated.append(f"{path.name}:{node.lineno} {node.func.id}")
    assert untranslated == []


# --- what hassfest checks ---------------------------------------------------
#
# The repository's Validate workflow runs hassfest (home-assistant/actions),
# which is not installable from PyPI: it lives in Home Assistant core's
# script/hassfest/. These tests mirror its services and translations checks for
# custom integrations (services.py, translations.py there), built from the same
# Home Assistant validators (cv.slug, selector.validate_selector, ...), so a
# file hassfest would refuse fails here first.

# hassfest's URL pattern (translations.py, RE_URL), plus anything with "://".
HASSFEST_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
ANY_URL = re.compile(r"[a-z][a-z0-9+.\-]*://|www\.", re.IGNORECASE)
COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
SINGLE_QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")


def _hassfest_services_schema() -> vol.Schema:
    """Return hassfest's schema of a custom integration's services.yaml."""

    def exists(value: Any) -> Any:
        if value is None:
            raise vol.Invalid("Value cannot be None")
        return value

    texts = {vol.Optional("description"): str, vol.Optional("name"): str}
    field = vol.Schema(
        {
            vol.Optional("example"): exists,
            vol.Optional("default"): exists,
            vol.Optional("required"): bool,
            vol.Optional("advanced"): bool,
            vol.Optional("selector"): selector.validate_selector,
            **texts,
        }
    )
    section = vol.Schema(
        {
            vol.Optional("collapsed"): bool,
            vol.Required("fields"): vol.Schema({str: field}),
            **texts,
        }
    )

    def unique_fields(fields: dict[str, Any]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, value in fields.items():
            names = list(value["fields"]) if value and "fields" in value else [key]
            for name in names:
                if name in seen:
                    raise vol.Invalid(f"Duplicate use of field {name} in service.")
                seen.add(name)
        return fields

    fields = vol.All(vol.Schema({str: vol.Any(field, section)}), unique_fields)
    not_targeted = vol.Schema({vol.Optional("fields"): fields, **texts})
    targeted = not_targeted.extend(
        {vol.Required("target"): vol.Any(selector.TargetSelector.CONFIG_SCHEMA, None)}
    )
    # No vol.Remove of "."-keys: that exception is for core integrations only.
    return vol.Schema({cv.slug: vol.Any(targeted, not_targeted, None)})


def _field_keys(services: Mapping[str, Any]) -> Iterator[str]:
    for spec in services.values():
        for key, value in ((spec or {}).get("fields") or {}).items():
            yield key
            if isinstance(value, Mapping) and "fields" in value:
                yield from value["fields"]


def test_services_yaml_hassfest() -> None:
    """services.yaml passes hassfest: slug keys only, valid fields and selectors."""
    # Loaded as hassfest loads it (Home Assistant's YAML loader).
    data = load_yaml_dict(str(SERVICES_YAML))
    try:
        _hassfest_services_schema()(data)
    except vol.Invalid as err:
        pytest.fail(f"Invalid services.yaml: {humanize_error(data, err)}")
    # Stricter than hassfest, as Home Assistant's own integrations are: every
    # field and section key is a slug too.
    assert [key for key in _field_keys(data) if cv.slug(key) != key] == []


@pytest.mark.parametrize(
    "services",
    [
        {".order_ids": {"required": True}, "cancel": {"fields": {}}},
        {"cancel": {"fields": {"orders": {"selector": {"no_such_selector": {}}}}}},
        {"cancel": {"fields": {"orders": {"required": "yes"}}}},
        {"cancel": {"fields": {"orders": {}, "more": {"fields": {"orders": {}}}}}},
    ],
    ids=["anchor_key", "unknown_selector", "not_a_bool", "duplicate_field"],
)
def test_hassfest_services_schema_refuses(services: dict[str, Any]) -> None:
    """The mirrored schema refuses what hassfest refuses (it checks something)."""
    with pytest.raises(vol.Invalid):
        _hassfest_services_schema()(services)


def _hassfest_translation_problem(text: str) -> str | None:
    """Return why hassfest would refuse a translation string, or None."""
    try:
        cv.string_with_no_html(text)
    except vol.Invalid:
        return "HTML"
    if SINGLE_QUOTED_PLACEHOLDER.search(text):
        return "placeholder inside single quotes"
    for _, name, _, _ in string.Formatter().parse(text):
        if name and not name.isidentifier():
            return f"placeholder {name!r} is not an identifier"
    if COMBINED_REFERENCE.search(text):
        return "combined translations"
    if text != text.strip():
        return "leading or trailing spaces"
    if HASSFEST_URL.search(text) or ANY_URL.search(text):
        return "a URL (use a description placeholder)"
    return None


@pytest.mark.parametrize("language", ["en", "ar"])
def test_translation_strings_hassfest(language: str) -> None:
    """No translation string holds a URL, HTML or a badly written placeholder.

    hassfest refuses URLs in translation strings since early 2026 ("please use
    description placeholders instead"); the flow passes them as placeholders.
    """
    data = _load_json(TRANSLATIONS / f"{language}.json")
    problems = {
        key: problem
        for key, text in _leaves(data)
        if (problem := _hassfest_translation_problem(text)) is not None
    }
    assert problems == {}


RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")


def _hassfest_structure_problems(data: Mapping[str, Any]) -> list[str]:
    """Return what hassfest's translation schema refuses in a file's shape."""
    problems = []
    for flow in ("config", "options"):
        for step_id, step in data.get(flow, {}).get("step", {}).items():
            extra = set(step.get("data_description", {})) - set(step.get("data", {}))
            problems.extend(
                f"{flow}.step.{step_id}.data_description.{key} is not in data"
                for key in sorted(extra)
            )
    keys: list[tuple[str, str]] = [
        *((f"exceptions.{key}", key) for key in data.get("exceptions", {})),
        *((f"issues.{key}", key) for key in data.get("issues", {})),
    ]
    for name, service in data.get("services", {}).items():
        keys.append((f"services.{name}", name))
        for part in ("fields", "sections"):
            keys.extend(
                (f"services.{name}.{part}.{key}", key) for key in service.get(part, {})
            )
    for platform, entities in data.get("entity", {}).items():
        for key, entity in entities.items():
            keys.append((f"entity.{platform}.{key}", key))
            states = dict(entity.get("state", {}))
            for attribute in entity.get("state_attributes", {}).values():
                states |= attribute.get("state", {})
            for state, text in states.items():
                keys.append((f"entity.{platform}.{key}.state.{state}", state))
                if PLACEHOLDER.search(text):
                    problems.append(
                        f"entity.{platform}.{key}.state.{state}: placeholder"
                    )
    problems.extend(
        f"{where}: invalid translation key"
        for where, key in keys
        if not RE_TRANSLATION_KEY.match(key)
    )
    return problems


@pytest.mark.parametrize("language", ["en", "ar"])
def test_translation_structure_hassfest(language: str) -> None:
    """The translation files have the shape hassfest's schema wants."""
    data = _load_json(TRANSLATIONS / f"{language}.json")
    assert _hassfest_structure_problems(data) == []


def test_hassfest_structure_check_refuses() -> None:
    """The structure check finds what hassfest refuses."""
    bad = {
        "options": {
            "step": {
                "init": {
                    "data": {"a": "A"},
                    "data_description": {"scan_interval": "gone"},
                }
            }
        },
        "exceptions": {"Bad-Key_": {"message": "x"}},
        "entity": {"sensor": {"order": {"state": {"done": "Done {x}"}}}},
    }
    assert len(_hassfest_structure_problems(bad)) == 3


@pytest.mark.parametrize(
    "text",
    [
        "for example https://smmqueen.com/api/v2",
        "see www.example.com",
        "http://[::1]:8080/api/v2",
        "<b>bold</b>",
        "'{host}'",
        " padded",
    ],
)
def test_hassfest_translation_check_refuses(text: str) -> None:
    """The mirrored translation check refuses what hassfest refuses."""
    assert _hassfest_translation_problem(text) is not None


# --- strict typing: the typed config entry ----------------------------------


def _annotations(tree: ast.Module) -> Iterator[ast.expr]:
    """Yield every annotation of a module, and the type given to cast()."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            for arg in (
                *args.posonlyargs,
                *args.args,
                *args.kwonlyargs,
                args.vararg,
                args.kwarg,
            ):
                if arg is not None and arg.annotation is not None:
                    yield arg.annotation
            if node.returns is not None:
                yield node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.annotation
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "cast"
            and node.args
        ):
            yield node.args[0]


def _names_plain_config_entry(annotation: ast.expr) -> bool:
    for node in ast.walk(annotation):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                continue
            if _names_plain_config_entry(parsed):
                return True
        elif (isinstance(node, ast.Name) and node.id == "ConfigEntry") or (
            isinstance(node, ast.Attribute) and node.attr == "ConfigEntry"
        ):
            return True
    return False


def _plain_config_entry_annotations(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    return [
        f"{name}:{annotation.lineno}"
        for annotation in _annotations(tree)
        if _names_plain_config_entry(annotation)
    ]


def test_config_entries_are_typed() -> None:
    """Only SmmPanelConfigEntry annotates a config entry (strict-typing: done).

    The one place plain ConfigEntry may appear is the alias itself,
    `type SmmPanelConfigEntry = ConfigEntry[SmmPanelCoordinator]`.
    """
    plain = []
    aliases = []
    for path in _source_files():
        source = path.read_text(encoding="utf-8")
        plain.extend(_plain_config_entry_annotations(source, path.name))
        aliases.extend(
            f"{path.name}:{ast.unparse(node.value)}"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.TypeAlias)
            and isinstance(node.name, ast.Name)
            and node.name.id == "SmmPanelConfigEntry"
        )
    assert plain == []
    assert aliases == ["coordinator.py:ConfigEntry[SmmPanelCoordinator]"]


@pytest.mark.parametrize(
    "source",
    [
        "def f(entry: ConfigEntry) -> None: ...",
        "def f(entry: 'ConfigEntry') -> None: ...",
        "def f() -> config_entries.ConfigEntry: ...",
        "async def f(*, entry: ConfigEntry[Any] | None = None) -> None: ...",
        "entry: ConfigEntry",
        "x = cast(ConfigEntry, y)",
    ],
)
def test_plain_config_entry_is_found(source: str) -> None:
    """The check above finds a plain ConfigEntry wherever it can be written."""
    assert _plain_config_entry_annotations(source, "m.py") == ["m.py:1"]


# --- quality scale ----------------------------------------------------------

# The rules of hassfest's quality_scale.py (ALL_RULES, as of 2026).
QUALITY_SCALE_RULES = frozenset(
    {
        # Bronze
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
        # Silver
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
        # Gold
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
        # Platinum
        "async-dependency",
        "inject-websession",
        "strict-typing",
    }
)


def test_quality_scale_file() -> None:
    """quality_scale.yaml has hassfest's shape and a status for every rule.

    As in hassfest: a rule is "todo" or "done", or a mapping with a status and
    a comment; "exempt" always needs a comment saying why.
    """
    data = load_yaml_dict(str(INTEGRATION / "quality_scale.yaml"))
    schema = vol.Schema(
        {
            vol.Required("rules"): {
                vol.Optional(rule): vol.Any(
                    vol.In(["todo", "done"]),
                    {
                        vol.Required("status"): vol.In(["todo", "done"]),
                        vol.Required("comment"): str,
                    },
                    {vol.Required("status"): "exempt", vol.Required("comment"): str},
                )
                for rule in QUALITY_SCALE_RULES
            }
        }
    )
    try:
        schema(data)
    except vol.Invalid as err:
        pytest.fail(f"Invalid quality_scale.yaml: {humanize_error(data, err)}")
    assert sorted(QUALITY_SCALE_RULES - data["rules"].keys()) == []


def _rule(name: str) -> tuple[str, str]:
    """Return a quality-scale rule's (status, comment); comment "" when none."""
    rules = load_yaml_dict(str(INTEGRATION / "quality_scale.yaml"))["rules"]
    rule = rules[name]
    if isinstance(rule, str):
        return rule, ""
    return rule["status"], " ".join(rule.get("comment", "").split())


def _readme_section(title: str) -> str:
    """Return a "## " section of the README (its text up to the next one)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", readme, flags=re.MULTILINE)
    found = [part for part in sections if part.startswith(f"{title}\n")]
    assert found, f"README has no section {title!r}"
    return found[0]


def _anchor(heading: str) -> str:
    """Return GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_dependency_rules_are_exempt_without_a_dependency(
    manifest: dict[str, Any],
) -> None:
    """With no requirement, the dependency rules are exempt, saying so.

    "done" would claim a transparent (or async) published dependency that does
    not exist; the client ships inside the integration.
    """
    assert manifest["requirements"] == []
    for name in ("dependency-transparency", "async-dependency"):
        status, comment = _rule(name)
        assert status == "exempt", name
        assert "There is no dependency" in comment, name
        assert "api/" in comment, name


def test_brands_rule_says_from_which_version() -> None:
    """brands holds from 2026.3 only: the rule and the README both say so."""
    status, comment = _rule("brands")
    assert status == "done"
    assert "2026.3" in comment
    for name in ("icon.png", "logo.png"):
        assert (INTEGRATION / "brand" / name).is_file()
        assert name in comment
    installation = _readme_section("Installation")
    assert "custom_components/smm_panel/brand/" in installation
    assert "2026.3" in installation


def test_use_cases_rule_has_its_section() -> None:
    """docs-use-cases is backed by a README section naming the three cases.

    Every blueprint and the dashboard card are linked from it, and every link
    of the section leads somewhere: a file of the repository or a heading of
    the README.
    """
    status, _ = _rule("docs-use-cases")
    assert status == "done"
    section = _readme_section("Use cases")
    cases = re.findall(r"^### (.+)$", section, flags=re.MULTILINE)
    assert cases == [
        "A reseller watching spend",
        "A creator topping up automatically",
        "A shop reordering when a campaign ends",
    ]
    links = set(re.findall(r"\]\(([^)\s]+)\)", section))
    blueprints = sorted((ROOT / "blueprints").rglob("*.yaml"))
    assert blueprints
    assert {path.relative_to(ROOT).as_posix() for path in blueprints} <= links
    assert "#dashboard-card" in links
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    anchors = {
        _anchor(heading)
        for heading in re.findall(r"^#{2,3} (.+)$", readme, flags=re.MULTILINE)
    }
    for link in links:
        if link.startswith("#"):
            assert link[1:] in anchors, link
        else:
            assert (ROOT / link).is_file(), link
    # Each case's automation is valid YAML.
    for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL):
        assert yaml.safe_load(block)["automation"]


def test_manifest_keys_in_hassfest_order(manifest: dict[str, Any]) -> None:
    """hassfest wants domain, name, then the other keys in alphabetical order."""
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_license() -> None:
    """The repository has a licence (HACS refuses a repository without one)."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text


# --- what the HACS action checks in the repository's files ------------------
#
# Mirrors hacs/integration's custom_components/hacs/utils/validate.py; the
# action's other checks (description, topics, issues, brands registration,
# the licence GitHub detects) are repository settings on GitHub.


def test_hacs_schemas(manifest: dict[str, Any]) -> None:
    """hacs.json and the manifest pass the schemas the HACS action applies."""
    hacs_json = vol.Schema(
        {
            vol.Optional("content_in_root"): bool,
            vol.Optional("country"): vol.Any(str, [str]),
            vol.Optional("filename"): str,
            vol.Optional("hacs"): str,
            vol.Optional("hide_default_branch"): bool,
            vol.Optional("homeassistant"): str,
            vol.Optional("persistent_directory"): str,
            vol.Optional("render_readme"): bool,
            vol.Optional("zip_release"): bool,
            vol.Required("name"): str,
        },
        extra=vol.PREVENT_EXTRA,
    )
    integration_manifest = vol.Schema(
        {
            vol.Required("codeowners"): list,
            vol.Required("documentation"): cv.url,
            vol.Required("domain"): str,
            vol.Required("issue_tracker"): cv.url,
            vol.Required("name"): str,
            vol.Required("version"): vol.Coerce(AwesomeVersion),
        },
        extra=vol.ALLOW_EXTRA,
    )
    hacs_json(_load_json(ROOT / "hacs.json"))
    integration_manifest(manifest)
    assert (ROOT / "README.md").is_file()  # render_readme
