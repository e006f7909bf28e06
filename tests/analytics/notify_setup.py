"""Shared by the notify tests: a rules file whose channels point at local servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.analytics.alerts.load import shipped_text

SLACK_ENV = "TEST_SLACK_WEBHOOK_URL"
WEBHOOK_ENV = "TEST_ALERT_WEBHOOK_URL"


def rules_file(
    tmp_path: Path,
    *,
    slack: bool = False,
    webhook: bool = False,
    email: tuple[str, int, Path] | None = None,
) -> Path:
    """The shipped rules with a `notify:` section of our own."""
    text = shipped_text().split("\nnotify:")[0]
    channels = []
    if slack:
        channels.append(f"    - type: slack\n      webhook_url_env: {SLACK_ENV}\n")
    if webhook:
        channels.append(f"    - type: webhook\n      url_env: {WEBHOOK_ENV}\n")
    if email:
        host, port, ca = email
        channels.append(
            "    - type: email\n"
            f"      host: {host}\n      port: {port}\n      starttls: true\n"
            f"      ca_file: {ca}\n      from: alerts@example.org\n"
            "      to: [oncall@example.org, team@example.org]\n"
            "      username_env: TEST_SMTP_USER\n      password_env: TEST_SMTP_PASSWORD\n"
        )
    path = tmp_path / "alerts.yaml"
    path.write_text(text + "\nnotify:\n  channels:\n" + "".join(channels), encoding="utf-8")
    return path


def point(monkeypatch: pytest.MonkeyPatch, env: str, url: str) -> None:
    monkeypatch.setenv(env, url)
