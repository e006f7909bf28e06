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
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from installer import paths
from installer.common.atomic_write import write_atomically
from installer.platform.env_flags import is_ci
from installer.regular_file import read_regular
from installer.telemetry.config import Policy, TelemetryConfig, opted_out

log = logging.getLogger(__name__)

CONSENT_FILE = "telemetry.json"
MAX_CONSENT_BYTES = 4096  # `{"enabled": true, ...}`: a bigger file is damage (not JSON)

# The question as (first-line prefix, next-lines prefix, text) paragraphs, wrapped to the
# terminal's width when it is asked: hard-wrapped text would break mid-word in an 80-column
# Terminal window (or a narrow one), which is the first thing a student reads.
QUESTION_PARAGRAPHS: tuple[tuple[str, str, str], ...] = (
    (
        "",
        "",
        "dtu-install can send a short anonymous report for each install step, so that the "
        "people who maintain it see which steps fail on which Macs and can fix them.",
    ),
    (
        "  Sent:     ",
        "            ",
        "the step's name, whether it worked (and the kind of error if not), how long it "
        "took, your macOS version, your Mac's processor type (Intel or Apple silicon), the "
        "installer's version, and a random number that is new for every run.",
    ),
    (
        "  Not sent: ",
        "            ",
        "your name, user name, computer name, files, folders, IP-based ids, or anything the "
        "install commands print.",
    ),
    ("", "", "You can change your mind at any time with `dtu-install telemetry off` (or `on`)."),
)
QUESTION_WIDTH = 78  # at most; narrower when the terminal is
MIN_QUESTION_WIDTH = 30  # below this, wrapping does more harm than the terminal's own


def question_text(width: int = QUESTION_WIDTH) -> str:
    """The question's text, each line at most `width` characters (paragraphs kept)."""
    width = max(MIN_QUESTION_WIDTH, min(width, QUESTION_WIDTH))
    blocks = []
    for first, rest, text in QUESTION_PARAGRAPHS:
        blocks.append(
            textwrap.fill(
                text,
                width,
                initial_indent=first,
                subsequent_indent=rest,
                break_on_hyphens=False,
                break_long_words=False,
            )
        )
    # A blank line around the Sent/Not sent block, as before.
    return f"{blocks[0]}\n\n{blocks[1]}\n{blocks[2]}\n\n{blocks[3]}\n"


QUESTION = question_text()


def _terminal_width() -> int:
    """The width to wrap the question to: one less than the window's, so that a full line
    does not make the terminal wrap (an empty line after it)."""
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns - 1
    except (OSError, ValueError):  # not a terminal (tests, a pipe): the full width
        return QUESTION_WIDTH


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
        data = json.loads(read_regular(consent_path(), MAX_CONSENT_BYTES))
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
    choice = {"enabled": enabled, "source": source, "decided_at": stamp}
    return write_atomically(path, json.dumps(choice) + "\n")


def ask_on_terminal() -> bool | None:
    """The one-time question, on stderr (stdout stays the install's). None: no answer (EOF)."""
    sys.stderr.write("\n" + question_text(_terminal_width()) + "\n")
    sys.stderr.flush()
    try:
        answer = input(PROMPT)
    except EOFError:
        # Ctrl-D: the terminal echoes nothing, so end the prompt's line ourselves; the live
        # progress would otherwise start drawing on it and leave it garbled.
        sys.stderr.write("\n(no answer: nothing is sent; you will be asked next time)\n")
        sys.stderr.flush()
        return None
    except KeyboardInterrupt:
        # Ctrl-C: the CLI exits 130 without a word (typer turns the interrupt into an exit),
        # which would leave the shell's prompt on the question's line.
        sys.stderr.write("\nInterrupted: nothing was installed; you will be asked next time.\n")
        sys.stderr.flush()
        raise
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
    if ci or is_ci(environ):
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
