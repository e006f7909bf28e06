"""Analytics configuration: where Piwik PRO is, which dimension slots and category names.

One YAML file (`--config FILE`, else `$DTU_INSTALL_ANALYTICS_CONFIG`, else
`<config dir>/analytics.yaml`; a missing default file means "all defaults") plus the
environment, which wins over the file:

    piwik:
      url: https://dtu.piwik.pro             # PIWIK_PRO_URL (https only: credentials go there)
      website_id: 8e2f...-uuid               # PIWIK_PRO_WEBSITE_ID
      timezone: Europe/Copenhagen            # PIWIK_PRO_TIMEZONE; the website's, default UTC
      page_size: 100000                      # rows per events request (Piwik: at most 100000)
      settle_days: 2                         # see installer/analytics/pull.py
      columns: {run: session_custom_dimension_2}   # API column per field (default below)
    dimensions: {os: 1, arch: 2, sha: 3, duration: 4, error: 5, run: 6}
    categories: {production: Installer, ci: Installer_CI, test: Installer_TEST}

`dimensions` are the tracking ids (the hit's `dimensionN`); `piwik.columns` names the API
column each field is read from, `event_custom_dimension_<slot>` or
`session_custom_dimension_<slot>` (Piwik PRO numbers a dimension's column slot apart from its
tracking id; default: `event_custom_dimension_<tracking id>`).

Credentials come only from the environment (`PIWIK_PRO_CLIENT_ID`,
`PIWIK_PRO_CLIENT_SECRET`); a secret in the file is refused, and `Secret` never prints its
value. The file is checked with `installer.yaml_source` (as recipes and alert rules are).
Other parts add their own top-level section: declare it in `SECTIONS` (name -> a
`yaml_source.containers.Field` with its default) and read it with `settings.section(name)`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from installer import paths
from installer.errors import InputFileError, UsageError
from installer.events import schema as event_schema
from installer.events.schema import DEFAULT_DIMENSIONS

if TYPE_CHECKING:
    # Imported when a file is read: the usual case, no file, stays fast.
    from installer.yaml_source.checked import Checked
    from installer.yaml_source.containers import Field, Map

CONFIG_ENV = "DTU_INSTALL_ANALYTICS_CONFIG"
CONFIG_NAME = "analytics.yaml"

ENV_URL = "PIWIK_PRO_URL"
ENV_WEBSITE_ID = "PIWIK_PRO_WEBSITE_ID"
ENV_CLIENT_ID = "PIWIK_PRO_CLIENT_ID"
ENV_CLIENT_SECRET = "PIWIK_PRO_CLIENT_SECRET"
ENV_TIMEZONE = "PIWIK_PRO_TIMEZONE"
DEFAULT_TIMEZONE = "UTC"
# The API columns a custom dimension can be read from (PiwikPRO/PPMS-PublicDocs,
# custom_reports/columns__dimensions.rst: "Event custom dimension *" and "Session custom
# dimension *", both available in the Raw data API).
DIMENSION_COLUMN = r"(event|session)_custom_dimension_[1-9][0-9]{0,2}"

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
    timezone: str = DEFAULT_TIMEZONE  # the website's time zone (IANA), see pull.py
    columns: Mapping[str, str] = field(default_factory=dict)  # field -> API column id

    def column_for(self, name: str, tracking_id: int) -> str:
        """The API column of an event field (`run` -> `event_custom_dimension_6`)."""
        return self.columns.get(name) or f"event_custom_dimension_{tracking_id}"

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
        """A section declared in `SECTIONS` by another part (checked value, or its default)."""
        if name not in SECTIONS:
            raise KeyError(f"unknown analytics settings section {name!r}")
        return self.sections.get(name, SECTIONS[name].default)


# Extra top-level sections, owned by other parts: name -> its schema and default.
SECTIONS: dict[str, Field] = {}

ROLES = ("production", "ci", "test")
MAX_SETTLE_DAYS = 30


def _schema() -> Map:
    """The file's format (built on first use: yaml_source imports PyYAML)."""
    from installer.yaml_source.choice import Either
    from installer.yaml_source.containers import AnyValue, Field, Map
    from installer.yaml_source.scalars import Int, Str

    text = Str(pattern=r"[\s\S]*\S[\s\S]*", pattern_help="a non-blank text", name="a text")
    piwik = Map(
        {
            "url": Field(text),
            "website_id": Field(Either([text, Int()], name="a text")),
            "page_size": Field(Int(minimum=1, maximum=MAX_PAGE_SIZE)),
            "settle_days": Field(Int(minimum=0, maximum=MAX_SETTLE_DAYS)),
            "timezone": Field(text),
            "columns": Field(
                Map(
                    {
                        n: Field(
                            Str(
                                pattern=DIMENSION_COLUMN,
                                pattern_help="event_custom_dimension_N or "
                                "session_custom_dimension_N",
                                name="an API column",
                            )
                        )
                        for n in DEFAULT_DIMENSIONS
                    },
                    name="the API column of each field",
                )
            ),
            # Accepted by the schema only to be refused with a clear message (`_refuse_secrets`).
            **{key: Field(AnyValue()) for key in sorted(SECRET_KEYS)},
        },
        name="the Piwik PRO settings",
    )
    slot = Int(minimum=1, maximum=MAX_DIMENSION_SLOT)
    return Map(
        {
            "piwik": Field(piwik, default={}),
            "dimensions": Field(Map({n: Field(slot) for n in DEFAULT_DIMENSIONS}), default={}),
            "categories": Field(Map({role: Field(text) for role in ROLES}), default={}),
            **SECTIONS,
        },
        name="the analytics settings (piwik, dimensions, categories)",
    )


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
    if not path.exists():
        if explicit:
            raise UsageError(f"analytics settings file {path} does not exist")
        return _settings({}, None, env)
    from installer.yaml_source.document import read_yaml_file
    from installer.yaml_source.schema import check_document

    root, problems = read_yaml_file(path, str(path), empty_ok=True)
    if problems:
        raise InputFileError(problems)
    if root is None:  # an empty file: all defaults
        return _settings({}, path, env)
    doc = check_document(root, _schema(), str(path))
    settings = _settings(doc.value, path, env, doc) if isinstance(doc.value, dict) else None
    if doc.problems or settings is None:
        raise InputFileError(doc.problems)
    return settings


def _settings(
    value: dict[str, Any], source: Path | None, env: Mapping[str, str], doc: Checked | None = None
) -> AnalyticsSettings:
    """The checked file's values with the environment's overrides, and the checks that
    span several keys (reported into `doc`)."""
    piwik = _piwik(value.get("piwik", {}), env, doc)
    dimensions = {**DEFAULT_DIMENSIONS, **value.get("dimensions", {})}
    seen: dict[int, str] = {}
    for name, slot in dimensions.items():
        if slot in seen and doc is not None:
            doc.report(("dimensions", name), f"slot {slot} is also used by {seen[slot]}")
        seen[slot] = name
    columns: dict[str, str] = {}
    for name, slot in dimensions.items():
        column = piwik.column_for(name, slot)
        other = columns.get(column)
        # Only columns set in the file: two equal tracking ids are reported above already.
        if other is not None and doc is not None and {name, other} & set(piwik.columns):
            at, of = (name, other) if name in piwik.columns else (other, name)
            doc.report(("piwik", "columns", at), f"{column} is also the column of {of}")
        columns[column] = name
    given = {role: text.strip() for role, text in value.get("categories", {}).items()}
    categories = Categories(**given)
    sections = {name: value[name] for name in SECTIONS if name in value}
    return AnalyticsSettings(piwik, dimensions, categories, source, sections)


def _piwik(value: dict[str, Any], env: Mapping[str, str], doc: Checked | None) -> PiwikSettings:
    for key in sorted(SECRET_KEYS & set(value)):
        if doc is not None:
            doc.report(
                ("piwik", key),
                f"credentials are read only from the environment ({ENV_CLIENT_ID}, "
                f"{ENV_CLIENT_SECRET}); remove it from the file",
            )
    url = env.get(ENV_URL) or _text(value.get("url"))
    if url:
        url = url.rstrip("/")
        problem = url_problem(url)
        if problem:
            if env.get(ENV_URL):
                raise UsageError(f"{ENV_URL}: {problem}")
            if doc is not None:
                doc.report(("piwik", "url"), problem)
    timezone = env.get(ENV_TIMEZONE) or _text(value.get("timezone")) or DEFAULT_TIMEZONE
    problem = timezone_problem(timezone)
    if problem:
        if env.get(ENV_TIMEZONE) or doc is None:
            raise UsageError(f"{ENV_TIMEZONE}: {problem}")
        doc.report(("piwik", "timezone"), problem)
    website_id = env.get(ENV_WEBSITE_ID) or _text(value.get("website_id"))
    client_id, client_secret = env.get(ENV_CLIENT_ID), env.get(ENV_CLIENT_SECRET)
    return PiwikSettings(
        url=url or None,
        website_id=website_id or None,
        client_id=Secret(client_id) if client_id else None,
        client_secret=Secret(client_secret) if client_secret else None,
        page_size=value.get("page_size", MAX_PAGE_SIZE),
        settle_days=value.get("settle_days", DEFAULT_SETTLE_DAYS),
        timezone=timezone,
        columns=dict(value.get("columns", {})),
    )


def url_problem(url: str) -> str | None:
    """Why the API's base URL cannot be used, or None. The client credentials and the bearer
    token go there, so only HTTPS: `http://` would send them in clear text."""
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.netloc:
        return (
            f"{url!r} is plain http: the API credentials would cross the network unencrypted; "
            f"use https://{parts.netloc}{parts.path}"
        )
    if parts.scheme != "https" or not parts.netloc:
        return f"{url!r} is not an https URL, e.g. https://dtu.piwik.pro"
    if parts.query or parts.fragment or parts.username or parts.password:
        return f"{url!r}: give only https://host[/path], without a user, query or fragment"
    return None


def timezone_problem(name: str) -> str | None:
    """Why `name` is not a usable IANA time zone, or None."""
    from installer.analytics.timezones import zone

    try:
        zone(name)
    except ValueError as exc:
        return str(exc)
    return None


def _text(value: object) -> str | None:
    return None if value is None else str(value).strip()
