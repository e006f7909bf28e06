"""YAML with marks, and a small schema language declared as data.

Any YAML input of dtu-install (recipes, profiles, settings, alert rules) is read here:
`document.read_yaml_file` composes the document into `YNode`s that remember their line and
column, and a schema (built from `scalars.Str`, `scalars.Int`, `containers.Seq`,
`containers.Map`, ...) checks it, fills in defaults and returns plain Python values. Every
problem becomes an `installer.errors.Problem` (`FILE:LINE:COL: key.path: message`), collected
in a `checked.Checked`; checking never stops at the first one, and no input (however
malformed) raises anything but what is reported as a problem.

The same schema objects export JSON Schema (`json_schema()`) for editors and a one-line
type description (`describe()`) for the maintainer docs, so the format is declared once.

The modules, one job each (import from them; this file re-exports nothing):

- `document`: read a YAML file into the marked tree of `YNode`s (with size bounds).
- `checked`: where checking puts its results: values, located problems, marks; key paths
  and the "did you mean" hint messages use.
- `schema`: the `Schema` base every node type extends, and `check_document`.
- `scalars`: `Str`, `Number`/`Int`, `Bool`.
- `duration`: `Duration` and `parse_duration` (`90s`, `15m`, `4h`, `7d`, `1w`).
- `containers`: `Seq`, `Map` with its `Field`s, `DictOf`, `AnyValue`.
- `choice`: `Either` (by the node's kind) and `Tagged` (by a tag key).
"""
