"""Notification settings: the `notify:` section of `alerts.yaml`.

Secrets (webhook URLs, SMTP user and password) come from the environment only: the file
names the environment variables, never the values, and nothing here prints or logs them.

    notify:
      digest_hour: 9                      # warnings: next business day at 09:00 UTC
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

import yaml

from installer.analytics.alerts.yamlnodes import Reader

DEFAULT_DIGEST_HOUR = 9  # UTC; the digest goes out at the first run after this hour
DEFAULT_TIMEOUT = 10.0  # seconds per delivery attempt

CHANNEL_FIELDS: Mapping[str, tuple[str, ...]] = {
    "slack": ("type", "name", "webhook_url_env"),
    "webhook": ("type", "name", "url_env"),
    "email": (
        "type",
        "name",
        "host",
        "host_env",
        "port",
        "starttls",
        "from",
        "to",
        "to_env",
        "username_env",
        "password_env",
        "ca_file",
    ),
}


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


def parse_notify(reader: Reader, node: yaml.Node, path: str) -> NotifySettings:
    fields = reader.mapping(node, path) or {}
    reader.unknown_keys(fields, ["channels", "digest_hour", "timeout"], path)
    digest_hour = DEFAULT_DIGEST_HOUR
    if "digest_hour" in fields:
        hour = reader.number(fields["digest_hour"], f"{path}.digest_hour", integer=True)
        if hour is not None and hour > 23:
            reader.problem(fields["digest_hour"], f"{path}.digest_hour", "an hour is 0..23")
        elif hour is not None:
            digest_hour = int(hour)
    timeout = DEFAULT_TIMEOUT
    if "timeout" in fields:
        timeout = reader.number(fields["timeout"], f"{path}.timeout") or timeout
    channels: list[ChannelSettings] = []
    names: set[str] = set()
    for index, item in enumerate(reader.sequence(fields.get("channels", _EMPTY), path) or []):
        channel = _channel(reader, item, f"{path}.channels[{index}]")
        if channel is None:
            continue
        if channel.name in names:
            reader.problem(item, f"{path}.channels[{index}].name", "duplicate channel name")
        names.add(channel.name)
        channels.append(channel)
    return NotifySettings(tuple(channels), digest_hour, timeout)


_EMPTY = yaml.SequenceNode("tag:yaml.org,2002:seq", [])


def _channel(reader: Reader, node: yaml.Node, path: str) -> ChannelSettings | None:
    fields = reader.mapping(node, path)
    if fields is None:
        return None
    kind = reader.string(fields["type"], f"{path}.type") if "type" in fields else None
    if kind is None or kind not in CHANNEL_FIELDS:
        where = fields.get("type", node)
        reader.problem(where, f"{path}.type", f"expected one of {', '.join(CHANNEL_FIELDS)}")
        return None
    reader.unknown_keys(fields, list(CHANNEL_FIELDS[kind]), path)
    options: dict[str, object] = {}
    for key, value_node in fields.items():
        if key in ("type", "name") or key not in CHANNEL_FIELDS[kind]:
            continue
        at = f"{path}.{key}"
        if key == "port":
            port = reader.number(value_node, at, integer=True)
            options[key] = int(port) if port is not None else None
        elif key == "starttls":
            options[key] = reader.boolean(value_node, at)
        elif key == "to":
            items = reader.sequence(value_node, at) or []
            options[key] = [reader.string(n, f"{at}[{i}]") for i, n in enumerate(items)]
        else:
            options[key] = reader.string(value_node, at)
    if kind == "email" and "host" not in options and "host_env" not in options:
        reader.problem(node, f"{path}.host", "missing: give host or host_env")
    name = reader.string(fields["name"], f"{path}.name") if "name" in fields else None
    return ChannelSettings(kind, name or kind, options)
