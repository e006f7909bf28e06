"""Makes `store-v4.sqlite3`: an event store as the release before issue 16 left it.

Made with the code of that release (main at 91b9dfe: schema version 4, identity = every
tracking parameter), with this file and tests/helpers/month_hits.py added to it:

    .venv/bin/python tests/analytics/data/make_store_v4.py tests/analytics/data/store-v4.sqlite3

(With the code after issue 16 it makes no duplicates, so it cannot remake the fixture.)

It imports a month of tracker hits (`tests/helpers/month_hits.py`), then pulls the same
events from the fake Piwik PRO: the pulled rows lack `_id`, `url`, `rec` and so were stored a
second time (issue 16: 3,330 events pulled + imported gave 6,660 rows). It adds a step sent
twice with different `cdt` (a resend), events without a run id (the original bash tracker),
folds the daily rollup and leaves the pull's position, as a running deployment would have.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from installer.analytics.piwik_api import PiwikClient
from installer.analytics.pull import pull
from installer.analytics.query import refresh_rollup
from installer.analytics.settings import PiwikSettings, Secret
from installer.analytics.timeutil import parse_moment
from installer.cli.main import main
from installer.store.event_store import EventStore
from tests.helpers.month_hits import SITE, month_hits, piwik_rows
from tests.helpers.piwik_fake import FakePiwik, serve

RESENT = 7  # the hit sent a second time, 5 s later
NO_RUN = (
    "?idsite=1&rec=1&e_c=Installer&e_a=Event&e_n=homebrew_install&e_v=1&cdt=2026-11-03%2010%3A00%3A00",
    "?idsite=1&rec=1&e_c=Installer&e_a=Event&e_n=homebrew_install&e_v=1&cdt=2026-11-03%2010%3A00%3A09",
    "?idsite=1&rec=1&e_c=Installer&e_a=Event&e_n=conda_init_network_error&e_v=0&cdt=2026-11-04%2011%3A00%3A00",
)


def make(out: Path) -> None:
    hits = month_hits()
    resent = hits[RESENT].replace("cdt=", "cdt=X", 1)
    stamp = resent.split("cdt=X", 1)[1].split("&", 1)[0]  # 2026-11-..%20hh%3Amm%3Ass
    later = stamp[:-2] + f"{(int(stamp[-2:]) + 5) % 60:02d}"
    resent = resent.replace("cdt=X" + stamp, "cdt=" + later)
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "hits.txt"
        lines.write_text("\n".join([*hits, resent, *NO_RUN]) + "\n", encoding="utf-8")
        assert main(["analytics", "import", str(lines), "--db", str(out)]) == 0
    fake = FakePiwik({"id": "secret"}, {SITE: piwik_rows(hits)})
    with serve(fake), EventStore(out) as store:
        client = PiwikClient(fake.url, Secret("id"), Secret("secret"), session=fake.session())
        settings = PiwikSettings(fake.url, SITE, Secret("id"), Secret("secret"))
        dimensions = {"os": 1, "arch": 2, "sha": 3, "duration": 4, "error": 5, "run": 6}
        categories = ("Installer", "Installer_CI", "Installer_TEST")
        now = parse_moment("2026-12-05T12:00:00Z")
        since = parse_moment("2026-11-01T00:00:00Z")
        import datetime

        start = datetime.datetime.utcfromtimestamp(since).date()
        pull(store, client, settings, dimensions, now=now, categories=categories, since=start)
        refresh_rollup(store)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        (version,) = store.conn.execute("PRAGMA user_version").fetchone()
        assert version == 4, version


if __name__ == "__main__":
    make(Path(sys.argv[1]))
