"""`download:` fetch a file over HTTPS, verified against a sha256 (installer/steps/download.py).
Its dataclass, `DownloadAction`, is in installer/steps/download_action.py: the download
machinery below the kinds takes it as its input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from installer.kinds.fields import (
    LIVECHECK,
    SHA256,
    VERSION,
    VERSION_PLACEHOLDER,
    path_text,
    per_arch,
    text,
)
from installer.kinds.kind import Render
from installer.steps.download_action import DownloadAction
from installer.yaml_source.containers import Field, Map
from installer.yaml_source.scalars import Int, Str

if TYPE_CHECKING:
    from installer.steps.context import RunContext
    from installer.steps.model import PlannedStep
    from installer.steps.prefetch import Prefetcher
    from installer.steps.retry import Attempted


DOWNLOAD = Map(
    {
        "url": Field(
            text(), required=True, doc="what to fetch; `https://` only; may use `{version}`"
        ),
        "dest": Field(
            path_text(), required=True, doc="where the file goes (e.g. under `{cache_dir}`)"
        ),
        "version": Field(
            Str(pattern=VERSION, pattern_help="a version or commit", name="a version"),
            doc="the pinned upstream version (or commit), usable as `{version}` in `url` and "
            "`dest`; a pin: it needs `sha256`, and `dtu-install upstream bump` updates both",
        ),
        "sha256": Field(
            per_arch(Str(pattern=SHA256, pattern_help="64 lower-case hex digits", name="a sha256")),
            doc="the pinned digest, when the URL names one fixed build",
        ),
        "livecheck": Field(
            LIVECHECK,
            doc="how `dtu-install upstream` finds the newest version and its published sha256",
        ),
        "sha256_url": Field(
            text(),
            doc="for `latest` URLs: the publisher's checksum file, fetched over HTTPS; the "
            "first word of the answer is the digest",
        ),
        "sha256_json_key": Field(
            Str(),
            doc="when `sha256_url` answers JSON, the key of the digest (VS Code's update API: "
            "`sha256hash`)",
        ),
        "unverified_reason": Field(
            Str(), doc="why nothing can be verified (nothing is published); set `min_size` too"
        ),
        "min_size": Field(Int(minimum=1), doc="bytes; catches truncated unverified downloads"),
        "max_size": Field(
            Int(minimum=1),
            doc="bytes; a larger download is refused and discarded (default 2 GiB: a server "
            "that sends without end would fill the disk)",
        ),
        "mode": Field(
            Str(pattern=r"0?[0-7]{3}", pattern_help="an octal mode such as '0755'"),
            doc='octal file mode, e.g. `"0755"` for a script that must be executable',
        ),
    },
    exactly_one_of=[
        (
            ("sha256", "sha256_url", "unverified_reason"),
            "a download needs exactly one of sha256, sha256_url or unverified_reason",
        )
    ],
    needs={"sha256_json_key": "sha256_url", "version": "sha256", "livecheck": "version"},
    name="{url, dest, sha256 | sha256_url | unverified_reason, ...}",
)


class Download:
    name = "download"
    data_type = DownloadAction
    field = Field(
        DOWNLOAD,
        doc="fetch over HTTPS to `dest` (a `.part` file hashed while streaming, renamed when "
        "the sha256 matches)",
    )

    def build(self, r: Render, data: Any, where: str) -> DownloadAction:
        sha256 = data.get("sha256")
        version = data.get("version")
        # `{version}` exists only inside a download that pins one (SPEC 3, "Upstream versions").
        pinned = r if version is None else r.with_values({VERSION_PLACEHOLDER: version})
        sha256_url = r.text(data["sha256_url"], where) if "sha256_url" in data else None
        return DownloadAction(
            url=r.mirrors.rewrite(pinned.text(data["url"], where)),
            dest=pinned.path(data["dest"], where),
            sha256=None if sha256 is None else r.pick(sha256, where),
            version=version,
            sha256_url=None if sha256_url is None else r.mirrors.rewrite(sha256_url),
            sha256_json_key=data.get("sha256_json_key"),
            unverified_reason=data.get("unverified_reason"),
            min_size=data.get("min_size"),
            max_size=data.get("max_size"),
            mode=int(data["mode"], 8) if "mode" in data else None,
        )

    def describe(self, action: DownloadAction, launcher: tuple[str, ...]) -> str:
        if action.sha256:
            verified = f"sha256 {action.sha256[:12]}..."
            if action.version:
                verified = f"version {action.version}, {verified}"
        elif action.sha256_url:
            key = f" [{action.sha256_json_key}]" if action.sha256_json_key else ""
            verified = f"sha256 from {action.sha256_url}{key}"
        else:
            verified = f"unverified: {action.unverified_reason}"
        return f"download {action.url} -> {action.dest} ({verified})"

    def execute(
        self,
        action: DownloadAction,
        step: PlannedStep,
        ctx: RunContext,
        counter: Attempted,
        prefetch: Prefetcher | None,
    ) -> None:
        from installer.steps import bundle_source, download

        if ctx.options.bundle is not None:  # offline: the bundle's verified copy, no network
            counter.attempts += 1
            entry = bundle_source.install_from_bundle(
                action, step, ctx.facts.arch, ctx.options.bundle
            )
            ctx.log.write(f"{step.name}: {entry.name} from the bundle, sha256 {entry.sha256}")
            return
        job = prefetch.claim(step.name) if prefetch is not None else None
        if job is not None and not job.already_done:
            counter.attempts = job.counter.attempts
            if job.error is not None:
                raise job.error
            assert job.result is not None
            download.install(job.result, action)
            return
        fetched = download.fetch(action, ctx.net, step.name, step.retries, counter, step.timeout)
        download.install(fetched, action)

    def already_gone(self, action: DownloadAction) -> bool | None:
        return None


KIND = Download()
