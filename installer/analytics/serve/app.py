"""The live dashboard as a Flask application: one route per page, each with a JSON twin
under /api (the same query, the same numbers), and one error handler per status so a bad
parameter or a missing page is a page that says what is wrong, never a traceback.

The store is opened read-only per request (SQLite connections are cheap; waitress answers
from several threads): the server never writes events. It only brings the daily rollup up
to date, as every dashboard command does.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, redirect, request
from werkzeug.exceptions import HTTPException

from installer.analytics.dashboards import DASHBOARDS, compute
from installer.analytics.dashboards.serialize import to_json
from installer.analytics.html_page import plotly_js
from installer.analytics.query import Counts, Scope, counts, newest_event, present, runs
from installer.analytics.run_timeline import RunNotFound
from installer.analytics.serve import sources, views
from installer.analytics.serve.params import DASHBOARD_PARAMS, BadParameter, PageQuery, parse
from installer.analytics.settings import AnalyticsSettings
from installer.analytics.timeutil import format_moment, now, round_rate
from installer.errors import DtuInstallError, UsageError
from installer.store.event_store import EventStore

RUNS_LIMIT = 200
PLOTLY_CACHE_SECONDS = 86_400


class NotFound(DtuInstallError):
    """A run or page that does not exist: a 404 page."""


@dataclass(frozen=True)
class ServeConfig:
    db: Path
    settings: AnalyticsSettings
    rules_file: Path | None = None
    clock: Callable[[], int] = now


class Site:
    """What every page needs: the query from the URL, the store, the frame around it."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config

    @contextmanager
    def store(self) -> Iterator[EventStore]:
        with EventStore(self.config.db, readonly=True) as opened:
            yield opened

    def query(
        self, allowed: frozenset[str] = DASHBOARD_PARAMS, required: tuple[str, ...] = ()
    ) -> PageQuery:
        args = {name: request.args.getlist(name) for name in request.args}
        return parse(
            args,
            now=self.config.clock(),
            categories=self.config.settings.categories,
            allowed=allowed,
            required=required,
        )

    def frame(self, db: EventStore, page: PageQuery, path: str) -> views.Frame:
        groups = present(db, page.query.window, Scope(), by=["category", "arch", "os"])
        choices = {
            name: sorted({str(k[i]) for k in groups if k[i] is not None})
            for i, name in enumerate(("category", "arch", "os"))
        }
        return views.Frame(
            page=page,
            path=path,
            as_of=newest_event(db),
            incidents=sources.open_incidents(db),
            alerts=sources.firing_alerts(db, page.query.at, self.config.rules_file),
            choices=choices,
        )

    def envelope(self, db: EventStore, page: PageQuery) -> dict[str, Any]:
        """What every JSON answer starts with: the same facts the page frame shows."""
        newest = newest_event(db)
        window = page.query.window
        alerts = sources.firing_alerts(db, page.query.at, self.config.rules_file)
        return {
            "data_as_of": None if newest is None else format_moment(newest),
            "at": format_moment(page.query.at),
            "days": page.query.days,
            "window": {"from": format_moment(window.start), "to": format_moment(window.end)},
            "scope": page.scope.as_json(),
            "open_incidents": [i.serialize(page.query.at) for i in sources.open_incidents(db)],
            "alerts_firing": [a.as_json() for a in alerts],
        }

    # --- pages: each returns the JSON document or the HTML -------------------------------

    def dashboard(self, name: str, as_json: bool) -> Any:
        page = self.query()
        with self.store() as db:
            result = compute(name, db, page.query)
            if as_json:
                return {**self.envelope(db, page), "dashboard": to_json(name, result)}
            return _html(views.dashboard_page(name, result, self.frame(db, page, f"/{name}")))

    def component(self, as_json: bool) -> Any:
        """Level 2: one component by OS version x architecture, most failures first."""
        page = self.query(required=("component",))
        with self.store() as db:
            groups = counts(db, page.query.window, page.scope, by=["os", "arch"])
            rows = sorted(
                ((_opt(k[0]), _opt(k[1]), c) for k, c in groups.items()),
                key=lambda r: (-r[2].failures, -r[2].events, r[0] or "\uffff", r[1] or "\uffff"),
            )
            if as_json:
                return {
                    **self.envelope(db, page),
                    "by_os_arch": [{"os": o, "arch": a, **_counts_json(c)} for o, a, c in rows],
                }
            frame = self.frame(db, page, "/component")
            return _html(views.component_page(frame, page.scope.component or "", rows))

    def errors(self, as_json: bool) -> Any:
        """Level 3: the failures of one component on one OS x architecture, by category."""
        page = self.query(required=("component", "os", "arch"))
        with self.store() as db:
            groups = counts(db, page.query.window, page.scope, by=["error", "success"])
            failures: dict[str | None, int] = {}
            for (error, success), c in groups.items():
                if not success:
                    failures[_opt(error)] = failures.get(_opt(error), 0) + c.events
            rows = sorted(failures.items(), key=lambda kv: (-kv[1], kv[0] or "\uffff"))
            if as_json:
                return {
                    **self.envelope(db, page),
                    "failures_by_error": [{"error": e, "failures": n} for e, n in rows],
                }
            frame = self.frame(db, page, "/errors")
            return _html(views.errors_page(frame, [(e, Counts(n, 0)) for e, n in rows]))

    def runs(self, as_json: bool) -> Any:
        """Level 4: the runs with events in the scope, latest first."""
        page = self.query()
        with self.store() as db:
            found = runs(db, page.query.window, page.scope, RUNS_LIMIT)
            if as_json:
                return {
                    **self.envelope(db, page),
                    "limit": RUNS_LIMIT,
                    "runs": [
                        {
                            "run": r.run,
                            "support_id": r.run[:8],
                            "first_event": format_moment(r.first),
                            "last_event": format_moment(r.last),
                            **_counts_json(r.counts),
                        }
                        for r in found
                    ],
                }
            return _html(views.runs_page(self.frame(db, page, "/runs"), found, RUNS_LIMIT))

    def run(self, run: str, as_json: bool) -> Any:
        """Level 5: one run's timeline (its full id, or the support id a student quotes)."""
        page = self.query()
        with self.store() as db:
            try:
                found = sources.run_timeline(db, run)
            except RunNotFound as exc:
                raise NotFound(str(exc)) from None
            except UsageError as exc:  # too short, odd characters, several runs
                raise BadParameter(str(exc)) from None
            if as_json:
                return {**self.envelope(db, page), **found.as_json()}
            frame = self.frame(db, page, f"/run/{found.run}")
            return _html(views.run_page(frame, found.run, found.events))


def create_app(config: ServeConfig) -> Flask:
    app = Flask("dtu-install-analytics")
    app.json.sort_keys = False  # type: ignore[attr-defined]  # on flask's default provider only; keep the documents' order
    site = Site(config)

    @app.get("/")
    def index() -> Any:
        target = "/overview"
        if request.query_string:
            target += "?" + request.query_string.decode("latin-1")
        return redirect(target, code=302)

    for name in DASHBOARDS:
        for prefix, as_json in (("", False), ("/api", True)):
            view = functools.partial(site.dashboard, name, as_json)
            app.add_url_rule(f"{prefix}/{name}", f"{prefix}/{name}", view)
    for path, method in (
        ("/component", site.component),
        ("/errors", site.errors),
        ("/runs", site.runs),
    ):
        app.add_url_rule(path, path, functools.partial(method, False))
        app.add_url_rule(f"/api{path}", f"/api{path}", functools.partial(method, True))
    app.add_url_rule("/run/<run>", "/run", functools.partial(site.run, as_json=False))
    app.add_url_rule("/api/run/<run>", "/api/run", functools.partial(site.run, as_json=True))
    app.add_url_rule(views.PLOTLY_PATH, "plotly", _plotly)
    _error_pages(app)
    return app


def _error_pages(app: Flask) -> None:
    def problem(status: int, message: str) -> Response:
        if request.path.startswith("/api/"):
            response = jsonify({"error": message, "status": status})
            response.status_code = status
            return response
        return _html(views.error_page(status, message), status)

    @app.errorhandler(BadParameter)
    def bad_parameter(exc: BadParameter) -> Response:
        return problem(400, str(exc))

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        return problem(404, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 404:
            known = ", ".join(f"/{n}" for n in DASHBOARDS)
            return problem(404, f"no page at {request.path}; the dashboards are {known}")
        return problem(status, exc.description or "request refused")

    @app.errorhandler(DtuInstallError)
    def expected(exc: DtuInstallError) -> Response:
        return problem(500, str(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        # One line in the server's log for the operator; the visitor gets no traceback.
        print(
            f"dtu-install analytics serve: {request.method} {request.full_path}: "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return problem(500, "the server could not answer this page; its log says why")


def _html(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="text/html")


@functools.lru_cache(maxsize=1)
def _plotly_source() -> str:
    return plotly_js()


def _plotly() -> Response:
    """plotly.js once per browser (cached a day), not 4.8 MB inlined in every page."""
    response = Response(_plotly_source(), mimetype="text/javascript")
    response.headers["Cache-Control"] = f"public, max-age={PLOTLY_CACHE_SECONDS}"
    return response


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _counts_json(c: Counts) -> dict[str, Any]:
    return {
        "events": c.events,
        "successes": c.successes,
        "failures": c.failures,
        "success_rate": round_rate(c.success_rate),
    }
