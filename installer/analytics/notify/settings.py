"""Notification settings: the `notify:` section of `alerts.yaml`.

Secrets (webhook URLs, SMTP user and password) come from the environment only: the file
names the environment variables, never the values, and nothing here prints or logs them.

    notify:
      digest_hour: 9                      # warnings: next business day at 09:00 UTC
      give_up_after: 3d                   # stop retrying after 3 days of failures (said once)
      channels:
        - type: slack
          webhook_url_env: DTU_INSTALL_SLACK_WEBHOOK_URL
        - type: webhook
          url_env: DTU_INSTALL_ALERT_WEBHOOK_URL
        - type: email
          host_env: DTU_INSTALL_SMTP_HOST   # or host: smtp.example.org
          port: 587
          starttls: true
          from: dtu-install@example.org
          to: [oncall@example.org]          # or to_env: a comma-separated list
          username_env: DTU_INSTALL_SMTP_USER
          password_env: DTU_INSTALL_SMTP_PASSWORD
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from installer.yaml_source.checked import Checked, KeyPath
from installer.yaml_source.choice import Tagged
from installer.yaml_source.containers import Field, Map, Seq
from installer.yaml_source.duration import Duration
from installer.yaml_source.scalars import Bool, Int, Number, Str

DEFAULT_DIGEST_HOUR = 9  # UTC; the digest goes out at the first run after this hour
DEFAULT_TIMEOUT = 10.0  # seconds per delivery attempt
# An undelivered message is retried at every run until this long after its first failure,
# then given up (and reported once): a channel removed from the settings, or one that
# refuses for days, must not fail every scheduled run forever, nor deliver an alert days
# late. Longer than a weekend.
DEFAULT_GIVE_UP_AFTER = 3 * 86400
LAST_HOUR = 23
MAX_PORT = 65535

_TEXT = Str(pattern=r"[\s\S]+", pattern_help="a non-empty text", name="a text")
_COMMON = {"type": Field(Str()), "name": Field(_TEXT)}
CHANNELS: Mapping[str, Map] = {
    "slack": Map({**_COMMON, "webhook_url_env": Field(_TEXT)}, name="a Slack channel"),
    "webhook": Map({**_COMMON, "url_env": Field(_TEXT)}, name="a webhook channel"),
    "email": Map(
        {
            **_COMMON,
            "host": Field(_TEXT),
            "host_env": Field(_TEXT),
            "port": Field(Int(minimum=1, maximum=MAX_PORT)),
            "starttls": Field(Bool()),
            "from": Field(_TEXT),
            "to": Field(Seq(_TEXT)),
            "to_env": Field(_TEXT),
            "username_env": Field(_TEXT),
            "password_env": Field(_TEXT),
            "ca_file": Field(_TEXT),
        },
        name="an email channel",
    ),
}

NOTIFY = Map(
    {
        "digest_hour": Field(Int(minimum=0, maximum=LAST_HOUR), default=DEFAULT_DIGEST_HOUR),
        "timeout": Field(Number(minimum=0, exclusive_minimum=True), default=DEFAULT_TIMEOUT),
        "give_up_after": Field(Duration(), default=DEFAULT_GIVE_UP_AFTER),
        "channels": Field(
            Seq(Tagged("type", CHANNELS, tag_name="channel type", name="a channel")), default=[]
        ),
    },
    name="the notification settings",
)


@dataclass(frozen=True)
class ChannelSettings:
    type: str
    name: str
    options: Mapping[str, object] = field(default_factory=dict)

    def env(self, option: str) -> str | None:
        """The value of the environment variable that `option` names, if set and non-empty."""
        variable = self.options.get(option)
        if not isinstance(variable, str):
            return None
        return os.environ.get(variable) or None

    def literal_or_env(self, option: str) -> str | None:
        value = self.options.get(option)
        return str(value) if value is not None else self.env(f"{option}_env")


@dataclass(frozen=True)
class NotifySettings:
    channels: tuple[ChannelSettings, ...] = ()
    digest_hour: int = DEFAULT_DIGEST_HOUR
    timeout: float = DEFAULT_TIMEOUT
    give_up_after: int = DEFAULT_GIVE_UP_AFTER  # seconds


def notify_settings(doc: Checked, value: dict[str, Any], path: KeyPath) -> NotifySettings:
    """The checked `notify:` section as settings, with the checks that span several keys."""
    channels: list[ChannelSettings] = []
    names: set[str] = set()
    for index, item in enumerate(value.get("channels", [])):
        where = (*path, "channels", index)
        if not isinstance(item, dict) or "type" not in item:
            continue
        if item["type"] == "email" and "host" not in item and "host_env" not in item:
            doc.problem(where, (*where, "host"), "missing: give host or host_env")
        name = str(item.get("name", item["type"]))
        if name in names:
            doc.problem(where, (*where, "name"), "duplicate channel name")
        names.add(name)
        options = {k: v for k, v in item.items() if k not in ("type", "name")}
        channels.append(ChannelSettings(item["type"], name, options))
    digest_hour = value.get("digest_hour", DEFAULT_DIGEST_HOUR)
    timeout = float(value.get("timeout", DEFAULT_TIMEOUT))
    give_up_after = int(value.get("give_up_after", DEFAULT_GIVE_UP_AFTER))
    return NotifySettings(tuple(channels), digest_hour, timeout, give_up_after)
