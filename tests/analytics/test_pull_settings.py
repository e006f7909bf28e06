"""Analytics settings: the file, the environment, located errors, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.analytics.settings import Secret, load_settings
from installer.errors import InputFileError, UsageError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "analytics.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    s = load_settings(environ={})
    assert s.source is None and s.piwik.url is None
    assert dict(s.dimensions) == {"os": 1, "arch": 2, "sha": 3, "duration": 4, "error": 5, "run": 6}
    assert (s.categories.production, s.categories.ci) == ("Installer", "Installer_CI")
    assert s.piwik.missing() == [
        "piwik.url or PIWIK_PRO_URL",
        "piwik.website_id or PIWIK_PRO_WEBSITE_ID",
        "PIWIK_PRO_CLIENT_ID",
        "PIWIK_PRO_CLIENT_SECRET",
    ]


def test_file_and_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
piwik:
  url: https://dtu.piwik.pro/
  website_id: site-from-file
  page_size: 5000
dimensions: {run: 7}
categories: {ci: Installer_GHA}
""",
    )
    s = load_settings(
        path,
        environ={"PIWIK_PRO_WEBSITE_ID": "site-from-env", "PIWIK_PRO_CLIENT_SECRET": "hunter2"},
    )
    assert s.piwik.url == "https://dtu.piwik.pro"
    assert s.piwik.website_id == "site-from-env"  # the environment wins
    assert s.piwik.page_size == 5000 and s.dimensions["run"] == 7
    assert s.categories.ci == "Installer_GHA"
    assert s.piwik.client_secret == Secret("hunter2")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.piwik.client_secret)


def test_the_default_file_comes_from_the_config_dir(isolated_home: Path) -> None:
    path = isolated_home / ".config" / "dtu-install" / "analytics.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("piwik: {url: 'https://a.piwik.pro'}\n", encoding="utf-8")
    assert load_settings(environ={}).piwik.url == "https://a.piwik.pro"


def test_errors_are_located_and_secrets_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """piwik:
  url: ftp://nope
  client_secret: do-not-put-me-here
  page_size: 500000
dimensions: {os: 2, colour: 9}
extra: 1
""",
    )
    with pytest.raises(InputFileError) as info:
        load_settings(path, environ={})
    text = str(info.value)
    assert f"{path}:2:8: piwik.url: 'ftp://nope' is not an https URL" in text
    assert "piwik.client_secret: credentials are read only from the environment" in text
    assert "do-not-put-me-here" not in text
    assert "4:14: piwik.page_size: must be at most 100000, got 500000" in text
    assert "5:21: dimensions.colour: unknown key" in text
    assert "slot 2 is also used by os" in text
    assert f"{path}:6:1: extra: unknown key" in text


def test_a_named_file_must_exist_and_be_yaml(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_settings(tmp_path / "missing.yaml", environ={})
    with pytest.raises(InputFileError, match="malformed YAML"):
        load_settings(write(tmp_path, "piwik: [unclosed\n"), environ={})


def test_an_empty_file_means_all_defaults(tmp_path: Path) -> None:
    for text in ("", "# nothing set yet\n"):
        s = load_settings(write(tmp_path, text), environ={})
        assert s.source is not None and s.piwik.url is None and s.dimensions["run"] == 6


def test_values_are_checked_by_type(tmp_path: Path) -> None:
    path = write(tmp_path, "piwik: {url: ' ', website_id: 12}\ncategories: {prod: X}\n- 1\n")
    with pytest.raises(InputFileError, match="malformed YAML"):
        load_settings(path, environ={})
    path = write(tmp_path, "piwik: {url: ' ', website_id: 12}\ncategories: {prod: X}\n")
    with pytest.raises(InputFileError) as info:
        load_settings(path, environ={})
    assert "1:14: piwik.url: ' ' is not a non-blank text" in str(info.value)
    assert "2:14: categories.prod: unknown key" in str(info.value)
    s = load_settings(write(tmp_path, "piwik: {website_id: 12}\n"), environ={})
    assert s.piwik.website_id == "12"


def test_http_is_refused_with_the_https_address(tmp_path: Path) -> None:
    # The client secret and the bearer token go to this host: never in clear text.
    with pytest.raises(InputFileError) as info:
        load_settings(write(tmp_path, "piwik: {url: 'http://dtu.piwik.pro'}\n"), environ={})
    assert "plain http" in str(info.value) and "use https://dtu.piwik.pro" in str(info.value)
    with pytest.raises(UsageError) as env_info:
        load_settings(environ={"PIWIK_PRO_URL": "http://dtu.piwik.pro"})
    assert "PIWIK_PRO_URL: 'http://dtu.piwik.pro' is plain http" in str(env_info.value)


def test_timezone_and_columns_are_read_and_checked(tmp_path: Path) -> None:
    text = (
        "piwik:\n  timezone: Europe/Copenhagen\n"
        "  columns: {run: session_custom_dimension_2, os: event_custom_dimension_11}\n"
    )
    s = load_settings(write(tmp_path, text), environ={})
    assert s.piwik.timezone == "Europe/Copenhagen"
    assert s.piwik.column_for("run", 6) == "session_custom_dimension_2"
    assert s.piwik.column_for("os", 1) == "event_custom_dimension_11"
    assert s.piwik.column_for("arch", 2) == "event_custom_dimension_2"  # the default
    assert load_settings(environ={}).piwik.timezone == "UTC"
    env = {"PIWIK_PRO_TIMEZONE": "America/New_York"}
    assert load_settings(write(tmp_path, text), environ=env).piwik.timezone == "America/New_York"
    bad = (
        "piwik:\n  timezone: Mars/Olympus\n"
        "  columns: {run: custom_dimension_2, os: event_custom_dimension_2}\n"
    )
    with pytest.raises(InputFileError) as info:
        load_settings(write(tmp_path, bad), environ={})
    message = str(info.value)
    assert "2:13: piwik.timezone: unknown time zone 'Mars/Olympus'" in message
    assert "piwik.columns.run: " in message and "session_custom_dimension_N" in message
    assert "piwik.columns.os: event_custom_dimension_2 is also the column of arch" in message
    with pytest.raises(UsageError, match="PIWIK_PRO_TIMEZONE: unknown time zone 'CEST'"):
        load_settings(environ={"PIWIK_PRO_TIMEZONE": "CEST"})
