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
    assert f"{path}:2:8: piwik.url: 'ftp://nope' is not an http(s) URL" in text
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
