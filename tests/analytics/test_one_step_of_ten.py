"""Issue 15, "Why": a commit that breaks one step of ten lowers the commit's overall rate by
only 4-5 pp, so `commit_regression` (more than 10 pp) stays quiet, as SPEC 6 defines it.
The broken step's own incident (`new_failure_pattern`) ties its failures to the commit: its
notice gives the share of the failures per SHA, beside the SHA that ran the step fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.analytics.alerts.backtest import backtest_incidents
from installer.analytics.alerts.commands import check
from installer.analytics.alerts.load import load_config
from installer.analytics.query import Scope, counts
from installer.analytics.timeutil import DAY, HOUR, Window
from installer.store.event_store import EventStore
from tests.analytics.notify_setup import WEBHOOK_ENV, rules_file
from tests.helpers import incident_scenarios as sc
from tests.helpers.webhook_server import webhook_server


def test_the_broken_step_is_tied_to_the_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.insert(sc.one_step_of_ten())
        day = Window(sc.DEPLOYED, sc.DEPLOYED + DAY)
        by_sha = counts(store, day, Scope.production(), by=["sha"])
        drop = by_sha[("base001",)].success_rate - by_sha[("new0002",)].success_rate  # type: ignore[operator]
        assert 4 <= drop <= 5  # the commit's overall rate hardly moves
        rules = load_config(rules_file(tmp_path, webhook=True)).rules
        result = backtest_incidents(store, rules, sc.DEPLOYED, sc.DEPLOYED + 12 * HOUR, 900)
    assert [(i.rule, i.key) for i in result.incidents] == [("new_failure_pattern", sc.BROKEN)]
    started = result.incidents[0].started
    with webhook_server() as hook:
        monkeypatch.setenv(WEBHOOK_ENV, hook.url)
        rules_path = tmp_path / "alerts.yaml"
        assert check(str(db), started, as_json=True, send=True, rules_file=rules_path) == 0
    (opened,) = hook.received
    text = opened["text"]
    # Every failure of the step is on the new commit; the old one ran it without failing.
    assert "The failures by commit SHA: new0002 " in text
    share = text.split("The failures by commit SHA: new0002 ")[1]
    failures = share.split(" of ")[0]
    assert share.startswith(f"{failures} of {failures} (100.00%;")
    assert "Without failures: base001 (none of" in text
