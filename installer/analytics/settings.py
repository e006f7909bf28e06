"""Analytics configuration: where Piwik PRO is, which dimension slots and category names.

One YAML file (`--config FILE`, else `$DTU_INSTALL_ANALYTICS_CONFIG`, else
`<config dir>/analytics.yaml`; a missing default file means "all defaults") plus the
environment, which wins over the file:

    piwik:
      url: https://dtu.piwik.pro             # PIWIK_PRO_URL
      website_id: 8e2f...-uuid               # PIWIK_PRO_WEBSITE_ID
      page_size: 100000                      # rows per events request (Piwik: at most 100000)
      settle_days: 2                         # see installer/analytics/pull.py
    dimensions: {os: 1, arch: 2, sha: 3, duration: 4, error: 5, run: 6}
    categories: {production: Installer, ci: Installer_CI, test: Installer_TEST}

Credentials come only from the environment (`PIWIK_PRO_CLIENT_ID`,
`PIWIK_PRO_CLIENT_SECRET`); a secret in the file is refused, and `Secret` never prints its
value. Other parts add their own top-level section: declare it in `SECTIONS` (name -> parser
of the raw YAML value) and read it with `settings.section(name)`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from installer import event_schema, paths
from installer.errors import InputFileError, Problem, UsageError
from installer.event_schema import DEFAULT_DIMENSIONS

if TYPE_CHECKING:
    import yaml  # imported when a file is read: the usual case, no file, stays fast

CONFIG_ENV = "DTU_INSTALL_ANALYTICS_CONFIG"
CONFIG_NAME = "analytics.yaml"

ENV_URL = "PIWIK_PRO_URL"
ENV_WEBSITE_ID = "PIWIK_PRO_WEBSITE_ID"
ENV_CLIENT_ID = "PIWIK_PRO_CLIENT_ID"
ENV_CLIENT_SECRET = "PIWIK_PRO_CLIENT_SECRET"

MAX_PAGE_SIZE = 100_000  # Piwik PRO's documented maximum `limit` for raw events
DEFAULT_SETTLE_DAYS = 2  # Piwik PRO accepts hits backdated by ~24 h, and processes with delay
MAX_DIMENSION_SLOT = 999
SECRET_KEYS = frozenset({"client_id", "client_secret", "secret", "password", "token"})


class Secret:
    """A credential: its value is only handed out by `reveal()`, never by str/repr/logging."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class PiwikSettings:
    url: str | None = None  # base URL of the account, e.g. https://dtu.piwik.pro
    website_id: str | None = None
    client_id: Secret | None = None
    client_secret: Secret | None = None
    page_size: int = MAX_PAGE_SIZE
    settle_days: int = DEFAULT_SETTLE_DAYS

    def missing(self) -> list[str]:
        """What a pull still needs, named as the user sets it."""
        needed = (
            (self.url, f"piwik.url or {ENV_URL}"),
            (self.website_id, f"piwik.website_id or {ENV_WEBSITE_ID}"),
            (self.client_id, ENV_CLIENT_ID),
            (self.client_secret, ENV_CLIENT_SECRET),
        )
        return [name for value, name in needed if not value]


@dataclass(frozen=True)
class Categories:
    production: str = event_schema.PRODUCTION
    ci: str = event_schema.CI
    test: str = event_schema.TEST


@dataclass(frozen=True)
class AnalyticsSettings:
    piwik: PiwikSettings = field(default_factory=PiwikSettings)
    dimensions: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_DIMENSIONS))
    categories: Categories = field(default_factory=Categories)
    source: Path | None = None  # the file they came from, if any
    sections: Mapping[str, Any] = field(default_factory=dict)  # parsed extra sections

    def section(self, name: str) -> Any:
        """A section declared in `SECTIONS` by another part (parsed value, or its default)."""
        if name not in SECTIONS:
            raise KeyError(f"unknown analytics settings section {name!r}")
        return self.sections.get(name, SECTIONS[name](None, _Reporter("", None, [])))


class _Reporter:
    """Collects problems with the file, line and column of the offending YAML node."""

    def __init__(self, file: str, root: yaml.Node | None, problems: list[Problem]) -> None:
        self.file, self.root, self.problems = file, root, problems

    def add(self, key_path: str, message: str) -> None:
        line, column = _locate(self.root, key_path)
        self.problems.append(Problem(self.file, line, column, key_path, message))


def _locate(root: yaml.Node | None, key_path: str) -> tuple[int, int]:
    import yaml

    node = root
    for part in key_path.split(".") if key_path else []:
        if not isinstance(node, yaml.MappingNode):
            break
        for key_node, value_node in node.value:
            if key_node.value == part:
                node = value_node
                break
        else:
            break
    if node is None:
        return 1, 1
    return node.start_mark.line + 1, node.start_mark.column + 1


# Parsers of extra top-level sections, owned by other parts: name -> (raw value or None,
# reporter) -> parsed value. None means "absent": return the section's defaults.
SectionParser = Callable[[Any, _Reporter], Any]
SECTIONS: dict[str, SectionParser] = {}

_OWN_SECTIONS = ("piwik", "dimensions", "categories")
_PIWIK_KEYS = ("url", "website_id", "page_size", "settle_days")


def default_config_path() -> Path:
    override = os.environ.get(CONFIG_ENV)
    return Path(override) if override else paths.config_dir() / CONFIG_NAME


def load_settings(
    config: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> AnalyticsSettings:
    """Settings from the file (optional unless named explicitly) and the environment."""
    env = os.environ if environ is None else environ
    explicit = config is not None or bool(env.get(CONFIG_ENV))
    path = Path(config) if config is not None else default_config_path()
    raw: Any = None
    root: yaml.Node | None = None
    if path.exists():
        import yaml

        try:
            text = path.read_text(encoding="utf-8")
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            raw = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read analytics settings {path}: {exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise InputFileError(
                [Problem(str(path), line, column, "", f"not YAML: {exc}")]
            ) from None
    elif explicit:
        raise UsageError(f"analytics settings file {path} does not exist")
    problems: list[Problem] = []
    report = _Reporter(str(path), root, problems)
    settings = _parse(raw, report, path if path.exists() else None, env)
    if problems:
        raise InputFileError(problems)
    return settings


def _parse(
    raw: Any, report: _Reporter, source: Path | None, env: Mapping[str, str]
) -> AnalyticsSettings:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        report.add("", "the analytics settings must be a mapping of sections")
        raw = {}
    for key in raw:
        if key not in _OWN_SECTIONS and key not in SECTIONS:
            known = ", ".join(sorted((*_OWN_SECTIONS, *SECTIONS)))
            report.add(str(key), f"unknown section (known: {known})")
    piwik = _piwik(raw.get("piwik"), report, env)
    dimensions = _dimensions(raw.get("dimensions"), report)
    categories = _categories(raw.get("categories"), report)
    sections = {name: parse(raw.get(name), report) for name, parse in SECTIONS.items()}
    return AnalyticsSettings(piwik, dimensions, categories, source, sections)


def _mapping(value: Any, key: str, report: _Reporter) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        report.add(key, "must be a mapping")
        return {}
    return value


def _piwik(value: Any, report: _Reporter, env: Mapping[str, str]) -> PiwikSettings:
    raw = _mapping(value, "piwik", report)
    for key in raw:
        if key in SECRET_KEYS:
            report.add(
                f"piwik.{key}",
                f"credentials are read only from the environment ({ENV_CLIENT_ID}, "
                f"{ENV_CLIENT_SECRET}); remove it from the file",
            )
        elif key not in ("url", "website_id", "page_size", "settle_days"):
            report.add(
                f"piwik.{key}", "unknown key (known: url, website_id, page_size, settle_days)"
            )
    url = env.get(ENV_URL) or _string(raw.get("url"), "piwik.url", report)
    if url:
        url = url.rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            where = ENV_URL if env.get(ENV_URL) else "piwik.url"
            if where == ENV_URL:
                raise UsageError(f"{ENV_URL}: {url!r} is not an http(s) URL")
            report.add(where, f"{url!r} is not an http(s) URL, e.g. https://dtu.piwik.pro")
    website_id = env.get(ENV_WEBSITE_ID) or _string(
        raw.get("website_id"), "piwik.website_id", report
    )
    page_size = _int(raw.get("page_size"), "piwik.page_size", report, 1, MAX_PAGE_SIZE)
    settle = _int(raw.get("settle_days"), "piwik.settle_days", report, 0, 30)
    client_id, client_secret = env.get(ENV_CLIENT_ID), env.get(ENV_CLIENT_SECRET)
    return PiwikSettings(
        url=url or None,
        website_id=website_id or None,
        client_id=Secret(client_id) if client_id else None,
        client_secret=Secret(client_secret) if client_secret else None,
        page_size=MAX_PAGE_SIZE if page_size is None else page_size,
        settle_days=DEFAULT_SETTLE_DAYS if settle is None else settle,
    )


def _string(value: Any, key: str, report: _Reporter) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value).strip() == "":
        report.add(key, "must be a non-empty string")
        return None
    return str(value).strip()


def _int(value: Any, key: str, report: _Reporter, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        report.add(key, f"must be a whole number from {low} to {high}")
        return None
    return value


def _dimensions(value: Any, report: _Reporter) -> dict[str, int]:
    slots = dict(DEFAULT_DIMENSIONS)
    for name, slot in _mapping(value, "dimensions", report).items():
        key = f"dimensions.{name}"
        if name not in DEFAULT_DIMENSIONS:
            report.add(key, f"unknown field (known: {', '.join(DEFAULT_DIMENSIONS)})")
            continue
        checked = _int(slot, key, report, 1, MAX_DIMENSION_SLOT)
        if checked is not None:
            slots[name] = checked
    seen: dict[int, str] = {}
    for name, slot in slots.items():
        if slot in seen:
            report.add(f"dimensions.{name}", f"slot {slot} is also used by {seen[slot]}")
        seen[slot] = name
    return slots


def _categories(value: Any, report: _Reporter) -> Categories:
    defaults = Categories()
    chosen: dict[str, str] = {}
    for name, text in _mapping(value, "categories", report).items():
        key = f"categories.{name}"
        if name not in ("production", "ci", "test"):
            report.add(key, "unknown category role (known: production, ci, test)")
            continue
        checked = _string(text, key, report)
        if checked is not None:
            chosen[name] = checked
    return Categories(
        production=chosen.get("production", defaults.production),
        ci=chosen.get("ci", defaults.ci),
        test=chosen.get("test", defaults.test),
    )
