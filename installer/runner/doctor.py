"""`dtu-install doctor`: run an installed profile's verify checks, PASS/FAIL per check, and
optionally write one self-contained HTML page a student can send to support.

The report holds the platform facts minus anything personal: no user name, no home path
(paths are shown with `~`), no host name.
"""

from __future__ import annotations

import datetime
import html
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installer import __version__
from installer.errors import DtuInstallError, ExitCode
from installer.kinds.registry import CHECKS
from installer.platform.facts import Facts
from installer.runner.checks import check_passes
from installer.steps.context import RunContext, RunOptions
from installer.steps.download import Network
from installer.steps.model import Check, VerifyCheck
from installer.steps.runlog import RunLog

DOCTOR_SCHEMA = "dtu-install/doctor-result"
DOCTOR_VERSION = 1
# Facts that describe the machine without identifying the person (SPEC 4 "nothing personal").
SHAREABLE_FACTS = (
    "os_name",
    "os_version",
    "arch",
    "translated",
    "shell",
    "free_disk_bytes",
    "is_admin",
    "ci",
)


@dataclass(frozen=True)
class CheckResult:
    name: str
    recipe: str
    description: str
    what: str  # what was checked, with the home directory shown as ~
    passed: bool
    duration: float


def describe(check: Check, home: str) -> str:
    text = CHECKS.of(check).doctor_text(check)
    return text.replace(home, "~") if home and home != "/" else text


def run_checks(verify: Sequence[VerifyCheck], facts: Facts, log: RunLog) -> list[CheckResult]:
    ctx = RunContext(facts, RunOptions(), log, Network(log))
    results = []
    for item in verify:
        started = time.monotonic()
        passed = check_passes(item.check, ctx, item.name)
        results.append(
            CheckResult(
                item.name,
                item.recipe,
                item.description,
                describe(item.check, facts.home),
                passed,
                time.monotonic() - started,
            )
        )
    return results


def shareable_facts(facts: Facts) -> dict[str, Any]:
    return {name: getattr(facts, name) for name in SHAREABLE_FACTS}


def serialize(results: Sequence[CheckResult], facts: Facts, support_url: str) -> dict[str, Any]:
    return {
        "schema": DOCTOR_SCHEMA,
        "version": DOCTOR_VERSION,
        "dtu_install": __version__,
        "ok": all(r.passed for r in results),
        "facts": shareable_facts(facts),
        "support_url": support_url,
        "checks": [
            {
                "name": r.name,
                "recipe": r.recipe,
                "description": r.description,
                "what": r.what,
                "result": "PASS" if r.passed else "FAIL",
                "duration": round(r.duration, 3),
            }
            for r in results
        ],
    }


HTML_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dtu-install doctor report</title>
<style>
body {{ font: 15px/1.45 -apple-system, system-ui, sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; }}
th, td {{ text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; }}
.PASS {{ color: #126b2f; font-weight: 600; }} .FAIL {{ color: #b3261e; font-weight: 600; }}
code {{ background: #f3f3f3; padding: 0 .2rem; }}
</style></head><body>
<h1>dtu-install doctor report</h1>
<p>{verdict}</p>
<p>Created {created} by dtu-install {version}. Send this file to <a href="{support}">{support}</a>.
It contains no user name, home path or host name.</p>
<h2>Checks</h2>
<table><thead><tr><th>check</th><th>result</th><th>what was checked</th><th>recipe</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<h2>This Mac</h2>
<table><tbody>
{facts}
</tbody></table>
</body></html>
"""


def render_html(data: dict[str, Any]) -> str:
    e = html.escape
    rows = "\n".join(
        f"<tr><td>{e(c['name'])}<br><small>{e(c['description'])}</small></td>"
        f'<td class="{c["result"]}">{c["result"]}</td><td><code>{e(c["what"])}</code></td>'
        f"<td>{e(c['recipe'])}</td></tr>"
        for c in data["checks"]
    )
    facts = "\n".join(
        f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in data["facts"].items()
    )
    failed = sum(c["result"] == "FAIL" for c in data["checks"])
    verdict = (
        "All checks passed." if not failed else f"{failed} of {len(data['checks'])} checks failed."
    )
    return HTML_PAGE.format(
        verdict=e(verdict),
        created=e(datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        version=e(__version__),
        support=e(data["support_url"]),
        rows=rows,
        facts=facts,
    )


def doctor(
    targets: Sequence[str],
    *,
    recipe_paths: Sequence[Path] = (),
    as_json: bool = False,
    html: Path | None = None,
) -> int:
    from installer.platform.facts import detect_facts
    from installer.runner.command import load_plan, support_url

    facts = detect_facts()
    plan = load_plan(targets, recipe_paths, facts)
    if not plan.verify:
        where = f"{facts.os_name} {facts.os_version} {facts.arch}"
        left_out = sorted({step.recipe for step in plan.excluded})
        why = (
            f": `when` leaves out {', '.join(left_out)} on {where} (see `dtu-install plan`)"
            if left_out
            else ""
        )
        raise DtuInstallError(f"no verify checks of {', '.join(plan.targets)} apply here{why}")
    results = run_checks(plan.verify, facts, RunLog(None))
    data = serialize(results, facts, support_url(plan))
    if html is not None:
        try:
            html.write_text(render_html(data), encoding="utf-8")
        except OSError as exc:
            raise DtuInstallError(f"cannot write {html}: {exc.strerror}") from exc
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        for r in results:
            print(f"{'PASS' if r.passed else 'FAIL'}  {r.name}: {r.description} ({r.what})")
        failed = sum(not r.passed for r in results)
        print(f"{len(results) - failed} passed, {failed} failed")
        if html is not None:
            print(f"Report written to {html}; send it to {data['support_url']}")
    return ExitCode.OK if data["ok"] else ExitCode.FAILED
