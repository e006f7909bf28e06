"""Normalising a tracking hit into an event, shared by collector, import and pull.

SPEC section 6, "Event store and sources" and "Definitions". Identity (`Event.ident`, the
store's UNIQUE key): an event with a run id (dimension 6) is (run id, `e_n`), so the same step
of the same run is stored once whichever source brings it first; any other hit is all of its
parameters except cache busters.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass

from installer.common.datetimes import NoSuchTime, parse_written_time
from installer.events.outcome import ERROR_CATEGORY_NAMES
from installer.events.schema import DEFAULT_DIMENSIONS

# Cache busters are not part of an event's identity (SPEC 6): the same hit twice is one event.
CACHE_BUSTERS = frozenset({"r", "rand"})

MAX_FIELD_LENGTH = 500
MAX_PARAMETERS = 100  # a tracker hit has ~20; more is not one of ours
MAX_UNIX_SECONDS = (
    32503680000  # year 3000  # longer values are rejected, not truncated: they are not our events
)


class InvalidHit(ValueError):
    """A hit that cannot be an installer event; the message says why, for a 4xx or a log."""


@dataclass(frozen=True)
class Event:
    ident: bytes  # 16-byte digest of the hit's parameters without cache busters
    ts: int  # UTC unix seconds
    category: str
    action: str
    name: str  # raw e_n
    component: str  # e_n without one trailing known error-category suffix
    value: float | None  # e_v
    success: bool  # value > 0 and no error suffix
    os: str | None
    arch: str | None
    sha: str | None
    duration: float | None
    error: str | None  # dimension 5, or the suffix
    run: str | None  # dimension 6


_ERROR_SUFFIXES = tuple("_" + category for category in ERROR_CATEGORY_NAMES)


def split_component(name: str) -> tuple[str, str | None]:
    """`homebrew_install_network_error` -> (`homebrew_install`, `network_error`)."""
    if not name.endswith(_ERROR_SUFFIXES):  # most events succeed: one C-level test
        return name, None
    for category in ERROR_CATEGORY_NAMES:
        suffix = "_" + category
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], category
    return name, None


def parse_cdt(text: str) -> int:
    """`cdt` as unix seconds (optionally fractional) or `YYYY-MM-DD hh:mm:ss` in UTC (read
    by the one date-time parser, installer/common/datetimes.py, in its plain form only)."""
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            written = parse_written_time(value)
        except NoSuchTime:
            raise InvalidHit(f"cdt {text!r} is not a valid date and time") from None
        if written is None or not written.plain:
            raise InvalidHit(
                f"cdt {text[:40]!r} is neither unix seconds nor 'YYYY-MM-DD hh:mm:ss'"
            ) from None
        # The range unix seconds are held to (below): a year-1 or year-9999 date was stored,
        # with a negative ts or one past the year 3000, though the same moment in seconds
        # was refused.
        seconds = written.utc_seconds()
        if not 0 <= seconds < MAX_UNIX_SECONDS:
            raise InvalidHit(f"cdt {text[:40]!r} is out of range") from None
        return seconds
    if not math.isfinite(seconds) or not 0 <= seconds < MAX_UNIX_SECONDS:
        raise InvalidHit(f"cdt {text[:40]!r} is out of range")
    return int(seconds)


def hit_identity(params: Mapping[str, str]) -> bytes:
    """A 16-byte digest of every parameter except cache busters.

    Keys and values alternate, separated by NUL; `normalise_hit` rejects NUL in hits, so
    two different hits cannot give the same text (unlike `k=v&k=v`, where a value may hold
    `&`). Computed with C-level joins: the import of a million hits spends its time here.
    """
    if "r" in params or "rand" in params:
        params = {k: v for k, v in params.items() if k not in CACHE_BUSTERS}
    return _digest(_canonical(params))


def _canonical(params: Mapping[str, str]) -> str:
    """Keys in order, each followed by its value, NUL between. Keys are unique, so sorting
    the keys orders the pairs as sorting the (key, value) items would, at a fifth of the
    cost (strings compare in C; tuples compare through their items)."""
    keys = sorted(params)
    parts = keys * 2
    parts[::2] = keys
    parts[1::2] = map(params.__getitem__, keys)
    return "\x00".join(parts)


_BLAKE2B_16 = hashlib.blake2b(digest_size=16)  # copied per hit: no keyword parsing
# The identity of an event with a run id: its own personalisation, so that it can never equal
# the digest of a hit's parameters (stored events of both kinds share one UNIQUE column).
_RUN_IDENT = hashlib.blake2b(digest_size=16, person=b"dtu-run-ident")


def run_identity(run: str, name: str) -> bytes:
    """The identity of the event `name` (`e_n`) of run `run` (dimension 6): a step reports
    once per run, so the same event collected, imported and pulled is one (SPEC 6). NUL
    cannot occur in either (`normalise_row` rejects it), so the pair is read back unchanged."""
    state = _RUN_IDENT.copy()
    state.update(f"{run}\x00{name}".encode())
    return state.digest()


def _digest(canonical: str) -> bytes:
    return _digest_bytes(canonical.encode("utf-8"))


def _digest_bytes(encoded: bytes) -> bytes:
    state = _BLAKE2B_16.copy()
    state.update(encoded)
    return state.digest()


def _encoded(params: Mapping[str, str], canonical: str) -> bytes:
    """`canonical` as UTF-8; `InvalidHit` unless every key and value is valid Unicode.
    A JSON escape such as `\\ud800` (a lone surrogate) decodes to a str that SQLite cannot
    store as UTF-8: it passed every other check, then failed the whole group commit, 503
    for every request that shared the transaction (issue 14 item 1). One C-level encode of
    the canonical text, which holds every key and value; the slow search only names it."""
    try:
        return canonical.encode("utf-8")
    except UnicodeEncodeError:
        for key, value in params.items():
            for text in (key, value):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    shown = key.encode("utf-8", "backslashreplace").decode()[:40]
                    raise InvalidHit(
                        f"parameter {shown!r} holds a lone surrogate (not valid Unicode)"
                    ) from None
        raise InvalidHit("a parameter holds a lone surrogate (not valid Unicode)") from None


def _check_field_lengths(params: Mapping[str, str]) -> None:
    if params and max(map(len, params.values())) > MAX_FIELD_LENGTH:
        key = next(k for k, v in params.items() if len(v) > MAX_FIELD_LENGTH)
        raise InvalidHit(f"parameter {key[:40]!r} is longer than {MAX_FIELD_LENGTH} characters")


def _float_or_none(text: str | None, what: str) -> float | None:
    if text is None or text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        raise InvalidHit(f"{what} {text[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise InvalidHit(f"{what} {text[:40]!r} is not a finite number")
    return number


def _duration_or_none(text: str | None, what: str) -> float | None:
    """A step's duration in seconds (SPEC 5, dimension 4); no step takes negative time, and
    such a value passed before and was stored as it came."""
    seconds = _float_or_none(text, what)
    if seconds is not None and seconds < 0:
        raise InvalidHit(f"{what} {text!r} is a negative duration")
    return seconds


def normalise_hit(
    params: Mapping[str, str],
    *,
    received_at: int | None,
    dimensions: Mapping[str, int] = DEFAULT_DIMENSIONS,
) -> Event:
    """One tracking hit (its query parameters) -> one `Event`, or `InvalidHit`.

    `received_at` is the collector's receipt time, used when the hit has no `cdt`;
    importers pass `None`, and a hit without `cdt` is then invalid (SPEC 6).
    """
    return Event(*normalise_row(params, received_at=received_at, dimensions=dimensions))


EventRow = tuple[
    bytes, int, str, str, str, str, "float | None", bool, "str | None", "str | None",
    "str | None", "float | None", "str | None", "str | None",
]  # fmt: skip


def normalise_row(
    params: Mapping[str, str],
    *,
    received_at: int | None,
    dimensions: Mapping[str, int] = DEFAULT_DIMENSIONS,
) -> EventRow:
    """`normalise_hit` as a plain tuple in `Event`'s field order, which is also the store's
    column order (`store.event_row`): the collector and the import store millions of these,
    and building a frozen dataclass per hit costs as much as parsing it.

    Checks in this order, so that a hit with several faults always gets the same reason:
    parameter count, field length, NUL, missing fields, cdt, numbers."""
    if len(params) > MAX_PARAMETERS:
        raise InvalidHit(f"more than {MAX_PARAMETERS} parameters in one hit")
    get = params.get
    cdt = get("cdt")
    ident_params = params
    if not cdt and received_at is not None:
        # The original bash utility sends no cdt, no visitor id and no run id, so two students
        # on identical Macs send identical hits: the receipt time joins the identity (as if
        # the hit had carried it as cdt), or every such event after the first would vanish.
        ident_params = {**params, "cdt": str(received_at)}
    canonical = _canonical(ident_params)
    if len(canonical) > MAX_FIELD_LENGTH:  # shorter: no field in it can be longer
        _check_field_lengths(params)
    # The canonical text of n parameters holds 2n - 1 NUL separators: any more is a NUL
    # inside a parameter (which would let two different hits share one text).
    if ident_params and canonical.count("\x00") > 2 * len(ident_params) - 1:
        raise InvalidHit("a parameter contains a NUL character")
    encoded = _encoded(ident_params, canonical)
    category, action, name = get("e_c"), get("e_a"), get("e_n")
    if not (category and action and name):
        missing = [k for k, v in (("e_c", category), ("e_a", action), ("e_n", name)) if not v]
        raise InvalidHit(f"not an installer event: missing {', '.join(missing)}")
    if cdt:
        ts = parse_cdt(cdt)
    elif received_at is not None:
        ts = received_at
    else:
        raise InvalidHit("no cdt: an imported hit must carry its time")

    os_key, arch_key, sha_key, duration_key, error_key, run_key = (
        _DEFAULT_KEYS if dimensions is DEFAULT_DIMENSIONS else _dimension_keys(dimensions)
    )
    run = get(run_key)
    if run:
        # (run id, e_n): the collector, the import and the pull give the same event different
        # parameters (the pull has no `_id`, `url`, `rec`; `e_v` may come back as 1.0).
        ident = run_identity(run, name)
    elif "r" in ident_params or "rand" in ident_params:
        ident = hit_identity(ident_params)  # without the cache busters
    else:
        ident = _digest_bytes(encoded)
    event_value = _float_or_none(get("e_v"), "e_v")
    component, suffix = split_component(name)
    return (
        ident,
        ts,
        category,
        action,
        name,
        component,
        event_value,
        event_value is not None and event_value > 0 and suffix is None,  # success
        get(os_key) or None,
        get(arch_key) or None,
        get(sha_key) or None,
        _duration_or_none(get(duration_key) or None, duration_key),
        get(error_key) or suffix,
        run or None,
    )


_EVENT_DIMENSIONS = ("os", "arch", "sha", "duration", "error", "run")


def _dimension_keys(dimensions: Mapping[str, int]) -> tuple[str, str, str, str, str, str]:
    """The parameter names of the event fields os, arch, sha, duration, error and run
    (`os` -> `dimension1`)."""
    os_key, arch_key, sha_key, duration_key, error_key, run_key = (
        f"dimension{dimensions[field_name]}" for field_name in _EVENT_DIMENSIONS
    )
    return os_key, arch_key, sha_key, duration_key, error_key, run_key


_DEFAULT_KEYS = _dimension_keys(DEFAULT_DIMENSIONS)  # computed once: normalising is hot
