"""`dtu-install analytics serve`: the dashboards as live pages (issue 17).

- `params`: the URL's query string -> a typed `PageQuery`, or `BadParameter` (a 400 page);
- `drill`: the drill-down's numbers (component -> OS x arch -> error category -> runs);
- `sources`: what other parts own, read through their functions (open incidents, a run's
  timeline, alerts firing now, the newest event);
- `views`: the HTML of every page; `app`: the Flask application; `command`: the server.

Flask (Pallets) is the web library: routing, query-string parsing, Jinja-free responses
built here, an error handler per status, and a test client; waitress, already the
collector-side WSGI server of the `analytics` extra, serves it (no development server).
"""
