"""Hits as the telemetry client sends them, for the collector tests."""

from __future__ import annotations

from urllib.parse import urlencode

BASE = {
    "idsite": "0bc7bce7-fb4d-4159-a809-e6bab2b3a431",
    "rec": "1",
    "e_c": "Installer",
    "e_a": "Event",
    "e_n": "homebrew_install",
    "e_v": "1",
    "dimension1": "Darwin24.1",
    "dimension2": "arm64",
    "dimension3": "abc1234",
    "dimension4": "1.250",
    "dimension6": "run-1",
    "_id": "0123456789abcdef",
    "cdt": "1700000000",
}


def params(**extra: str) -> dict[str, str]:
    result = dict(BASE)
    result.update(extra)
    return {k: v for k, v in result.items() if v is not None}


def query(**extra: str) -> str:
    return urlencode(params(**extra))
