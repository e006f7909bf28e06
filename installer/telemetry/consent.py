"""Whether this run may send telemetry (SPEC 4, "Consent and privacy").

Order, first match wins:
1. `DO_NOT_TRACK=1` or `DTU_INSTALL_NO_TELEMETRY=1`: never send (nothing is stored either).
2. The user's own choice, remembered in the config dir (`telemetry on|off`, or the question).
3. The maintainer's policy `on` or `off`.
4. Policy `ask`: CI runs send (SPEC: "CI runs send unless opted out"); an interactive run asks
   once and remembers the answer; any other run without a TTY (`--yes`, a pipe) does not send
   and does not store anything, so the question comes at the next interactive run. Nobody
   is counted without having been asked, except CI machines, which are not people.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from installer import paths
from installer.telemetry.config import CI_FLAGS, Policy, TelemetryConfig, any_flag, opted_out

log = logging.getLogger(__name__)

CONSENT_FILE = "telemetry.json"

QUESTION = """\
dtu-install can send a short anonymous report for each install step, so that the people
who maintain it see which steps fail on which Macs and can fix them.

  Sent:     the step's name, whether it worked (and the kind of error if not), how long it
            took, your macOS version, your Mac's processor type (Intel or Apple silicon),
            the installer's version, and a random number that is new for every run.
  Not sent: your name, user name, computer name, files, folders, IP-based ids, or anything
            the install commands print.

You can change your mind at any time with `dtu-install telemetry off` (or `on`).
"""
PROMPT = "Send these anonymous reports? [y/N] "
YES = frozenset({"y", "yes"})

Asker = Callable[[], "bool | None"]


@dataclass(frozen=True)
class Decision:
    send: bool
    reason: str  # one line for `telemetry status` and the run's log
    ask_and_store: bool = False  # the interactive question decided it


def consent_path() -> Path:
    return paths.config_dir() / CONSENT_FILE


def stored_choice() -> bool | None:
    """The user's remembered answer; None if there is none or it cannot be read."""
    try:
        data = json.loads(consent_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.info("telemetry consent file unreadable, ignored: %s", exc)
        return None
    enabled = data.get("enabled") if isinstance(data, dict) else None
    return enabled if isinstance(enabled, bool) else None


def store_choice(enabled: bool, source: str) -> Path:
    """Remember the choice (atomic write). Raises OSError; callers decide what that means."""
    path = consent_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps({"enabled": enabled, "source": source, "decided_at": stamp}) + "\n",
        encoding="utf-8",
    )
    os.replace(tmp, path)
    return path


def ask_on_terminal() -> bool | None:
    """The one-time question, on stderr (stdout stays the install's). None: no answer (EOF)."""
    sys.stderr.write("\n" + QUESTION + "\n")
    sys.stderr.flush()
    try:
        answer = input(PROMPT)
    except EOFError:
        return None
    return answer.strip().lower() in YES


def decide(
    environ: Mapping[str, str],
    config: TelemetryConfig,
    *,
    interactive: bool,
    ci: bool,
    ask: Asker | None = None,
) -> Decision:
    blocker = opted_out(environ)
    if blocker:
        return Decision(False, f"off: {blocker} is set")
    choice = stored_choice()
    if choice is not None:
        return Decision(choice, f"{'on' if choice else 'off'}: your choice ({consent_path()})")
    if config.policy is Policy.ON:
        return Decision(True, "on: the maintainers' default (turn off: dtu-install telemetry off)")
    if config.policy is Policy.OFF:
        return Decision(False, "off: the maintainers' default (turn on: dtu-install telemetry on)")
    if ci or any_flag(environ, CI_FLAGS):
        return Decision(True, "on: CI run (opt out with DO_NOT_TRACK=1)")
    if not interactive:
        return Decision(False, "off: not asked yet (no terminal); the next interactive run asks")
    answer = (ask or ask_on_terminal)()
    if answer is None:
        return Decision(False, "off: the question got no answer")
    try:
        store_choice(answer, "question")
    except OSError as exc:
        log.info("telemetry consent not stored: %s", exc)
    return Decision(answer, f"{'on' if answer else 'off'}: your answer", ask_and_store=True)
