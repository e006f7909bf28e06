"""The `download` kind's dataclass, apart from the download machinery (download.py) that takes
it: the recipe schema and `plan` need the type without loading the HTTP stack (requests)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DownloadAction:
    """Fetch `url` (HTTPS only) to `dest`, verified against a sha256.

    Exactly one of: `sha256` (pinned), `sha256_url` (the publisher's checksum file, fetched
    over HTTPS, for `latest` URLs), or `unverified_reason` (why nothing can be checked).
    """

    url: str
    dest: str
    sha256: str | None = None
    version: str | None = None  # the pinned upstream version (or commit) in `url`
    sha256_url: str | None = None
    # When `sha256_url` answers JSON (VS Code's update API returns {"sha256hash": ...}),
    # the key holding the digest; otherwise the first token of the text is the digest.
    sha256_json_key: str | None = None
    unverified_reason: str | None = None
    min_size: int | None = None  # a floor for unverified downloads
    max_size: int | None = None  # a ceiling for any download; None: download.DEFAULT_MAX_SIZE
    mode: int | None = None  # e.g. 0o755 for an installer script
