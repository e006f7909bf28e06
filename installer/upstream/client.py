"""Every request `upstream` makes: HTTPS only, through the mirrors (the URL asked for and every
absolute redirect target), answers remembered for one run, and two kinds of failure kept
apart: the network or the publisher's server is not there (`Unreachable`, the whole command
stops with exit 1) versus the publisher answered, but not what a pin needs (`Unexpected`:
that pin is broken).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests

from installer.errors import DtuInstallError
from installer.mirrors import Mirrors
from installer.steps.download import MAX_REDIRECTS, REDIRECT_STATUS, redirect_target

MAX_BODY = 4 << 20  # a checksum file, a releases API page or an update answer is small
READ_BLOCK = 1 << 20
# GitHub's API allows 60 unauthenticated requests an hour; CI passes its GITHUB_TOKEN. The
# token goes to api.github.com itself only, never to a mirror or another host.
TOKEN_VARIABLE = "GITHUB_TOKEN"
TOKEN_HOST = "api.github.com"
# Statuses that say the server is there but cannot answer now: not the pin's fault.
SERVER_TROUBLE = frozenset({429, 500, 502, 503, 504})


class Unreachable(DtuInstallError):
    """The network, a mirror or a publisher's server did not answer (exit 1)."""


class Unexpected(Exception):
    """The publisher answered, but not what the pin needs: that pin is broken."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason} ({url})")
        self.url = url
        self.reason = reason


class Client:
    def __init__(
        self,
        mirrors: Mirrors,
        verify: bool | str = True,
        timeout: tuple[float, float] = (15.0, 60.0),
        environ: dict[str, str] | None = None,
    ) -> None:
        self.mirrors = mirrors
        self.verify = verify
        self.timeout = timeout
        self.session = requests.Session()
        # Checksums are of the bytes as published.
        self.session.headers["Accept-Encoding"] = "identity"
        self.session.headers["User-Agent"] = "dtu-install upstream"
        env = os.environ if environ is None else environ
        self._token = env.get(TOKEN_VARIABLE, "").strip()
        self._memo: dict[tuple[str, str], Any] = {}
        self.fetched: list[str] = []  # every URL requested, as fetched (for tests and logs)

    # ------------------------------------------------------------ plumbing
    def _headers(self, fetched_url: str, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        host = urlsplit(fetched_url).hostname or ""
        if self._token and host == TOKEN_HOST:
            headers["Authorization"] = f"Bearer {self._token}"
        if host == TOKEN_HOST:
            headers.setdefault("Accept", "application/vnd.github+json")
        return headers

    def _send(self, url: str, fetched: str, headers: dict[str, str] | None) -> requests.Response:
        if urlsplit(fetched).scheme != "https":
            raise Unexpected(url, f"refused {fetched}: only HTTPS is allowed")
        self.fetched.append(fetched)
        try:
            return self.session.get(
                fetched,
                headers=self._headers(fetched, headers),
                stream=True,
                allow_redirects=False,
                verify=self.verify,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            host = urlsplit(fetched).netloc
            via = "" if fetched == url else f" (the mirror of {url})"
            raise Unreachable(
                f"cannot reach {host}{via}: {type(exc).__name__}. Check the network "
                "connection, or DTU_INSTALL_MIRRORS / the settings' mirrors."
            ) from exc
        except OSError as exc:  # e.g. REQUESTS_CA_BUNDLE names a file that is not there
            raise Unreachable(f"cannot connect securely to {fetched}: {exc}") from exc

    @contextmanager
    def _get(
        self, url: str, headers: dict[str, str] | None = None, follow: bool = True
    ) -> Iterator[requests.Response]:
        """GET `url` through the mirrors (redirects followed by hand, each target through the
        mirrors too); the answer must be 2xx, or 3xx when `follow` is off."""
        fetched = self.mirrors.rewrite(url)
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._send(url, fetched, headers)
            if follow and resp.status_code in REDIRECT_STATUS:
                location = resp.headers.get("Location", "")
                resp.close()
                fetched = redirect_target(self.mirrors, fetched, location)
                continue
            try:
                self._accept(resp, url, follow)
                yield resp
            finally:
                resp.close()
            return
        raise Unexpected(url, f"more than {MAX_REDIRECTS} redirects")

    @staticmethod
    def _accept(resp: requests.Response, url: str, follow: bool) -> None:
        status = resp.status_code
        if 200 <= status < 300 or (not follow and status in REDIRECT_STATUS):
            return
        if status in SERVER_TROUBLE:
            raise Unreachable(
                f"{urlsplit(resp.url or url).netloc} answered HTTP {status} for {url}; "
                "try again later"
            )
        raise Unexpected(url, f"HTTP {status}")

    @staticmethod
    def _body(resp: requests.Response, url: str) -> bytes:
        try:
            body: bytes = resp.raw.read(MAX_BODY + 1, decode_content=True)
        except (requests.RequestException, OSError) as exc:
            raise Unreachable(f"the connection for {url} dropped: {type(exc).__name__}") from exc
        if len(body) > MAX_BODY:
            raise Unexpected(url, f"answer larger than {MAX_BODY} bytes")
        return body

    def _memoised(self, kind: str, url: str, fetch: Any) -> Any:
        key = (kind, url)
        if key not in self._memo:
            self._memo[key] = fetch()
        return self._memo[key]

    # ------------------------------------------------------------ what sources ask
    def text(self, url: str) -> str:
        def fetch() -> str:
            with self._get(url) as resp:
                return self._body(resp, url).decode("utf-8", "replace")

        result: str = self._memoised("text", url, fetch)
        return result

    def json(self, url: str) -> Any:
        def fetch() -> Any:
            with self._get(url) as resp:
                body = self._body(resp, url)
            try:
                return json.loads(body)
            except ValueError as exc:
                raise Unexpected(url, "the answer is not JSON") from exc

        return self._memoised("json", url, fetch)

    def redirect(self, url: str) -> str:
        """Where `url` redirects to (its Location, as the publisher wrote it)."""

        def fetch() -> str:
            with self._get(url, follow=False) as resp:
                location = resp.headers.get("Location", "")
            if resp.status_code not in REDIRECT_STATUS or not location:
                raise Unexpected(url, f"no redirect (HTTP {resp.status_code})")
            return location

        result: str = self._memoised("redirect", url, fetch)
        return result

    def probe(self, url: str) -> None:
        """The file is still there (its first byte is served)."""

        def fetch() -> bool:
            with self._get(url, {"Range": "bytes=0-0"}):
                return True

        self._memoised("probe", url, fetch)

    def sha256(self, url: str) -> str:
        """The sha256 of the whole file, streamed."""

        def fetch() -> str:
            hasher = hashlib.sha256()
            with self._get(url) as resp:
                try:
                    for block in resp.iter_content(READ_BLOCK):
                        hasher.update(block)
                except (requests.RequestException, OSError) as exc:
                    raise Unreachable(
                        f"the download of {url} dropped: {type(exc).__name__}"
                    ) from exc
            return hasher.hexdigest()

        result: str = self._memoised("sha256", url, fetch)
        return result
