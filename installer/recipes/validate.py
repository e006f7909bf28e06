"""Rules that span values or files: names, references, cycles, placeholders, URLs.

The schema (schema.py) has already checked each file's shape; these checks add their
problems to the same per-file `Checked` results so that everything is reported at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from installer.events.outcome import ERROR_CATEGORY_NAMES
from installer.platform.facts import ARCHITECTURES, Facts
from installer.recipes.graph import cycles
from installer.recipes.placeholders import (
    FACT_PLACEHOLDERS,
    VERSION_PLACEHOLDER,
    PlaceholderError,
    fact_values,
    names_in,
    substitute,
)
from installer.recipes.recipe_set import RecipeSet, StepDef
from installer.yaml_source.checked import Checked, KeyPath, closest_match, did_you_mean

# Values that are never rendered: regexes, digests, names, settings of the step itself
# and free text for people (render.py renders exactly the other strings).
LITERAL_KEYS = frozenset(
    {
        "name",
        "pattern",
        "sha256",
        "sha256_json_key",
        "version",
        "livecheck",
        "unverified_reason",
        "marker",
        "mode",
        "requires",
        "when",
        "on_failure",
        "retries",
        "timeout",
    }
)
URL_KEYS = ("url", "sha256_url")
# A URL that names no fixed build: a pinned digest breaks at the publisher's next release.
MOVING_URL_MARKERS = ("/latest/", "/latest?", "/current/")


def strings_in(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every renderable string below `value`, with its key path (mapping keys excluded)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in LITERAL_KEYS:
                yield from strings_in(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings_in(item, (*path, i))


def named(items: Any) -> list[tuple[int, str]]:
    """(index, name) of the valid names in a checked list (invalid items are kept in place
    as INVALID so that indices in key paths stay right)."""
    return [(i, n) for i, n in enumerate(items) if isinstance(n, str)]


def mappings(items: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index, item) of the mappings in a checked list (steps, verify checks); an item that
    is not a mapping was already reported, and a missing list is empty."""
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def validation_facts(arch: str) -> Facts:
    """A stand-in Mac to render URLs with, so their scheme can be checked per arch."""
    return Facts("Darwin", "99.0", arch, False, "zsh", "/Users/u", 0, True, False, False, False)


class _Validator:
    def __init__(self, recipe_set: RecipeSet, docs: Mapping[str, tuple[str, Checked]]) -> None:
        self.rs = recipe_set
        self.docs = {file: doc for file, (_, doc) in docs.items()}
        self.kinds = {file: kind for file, (kind, _) in docs.items()}
        self.known = set(FACT_PLACEHOLDERS) | set(recipe_set.variables)

    def doc(self, file: str) -> Checked:
        return self.docs[file]

    def run(self) -> None:
        self.variables()
        self.names()
        self.references()
        if not self.recipe_cycles():
            self.step_cycles()
        for doc, value in self.file_values("profile"):
            about = {"description": value.get("description", "")}
            self.placeholders(doc, about, (), self.known)
        for doc, value in self.file_values("recipe"):
            self.placeholders(doc, {"description": value.get("description", "")}, (), self.known)
            for index, step in mappings(value.get("steps")):
                base: KeyPath = ("steps", index)
                download = step.get("download")
                rest = {k: v for k, v in step.items() if k != "download"}
                self.placeholders(doc, rest, base, self.known)
                if isinstance(download, dict):
                    # `{version}` is known only inside a download that pins one.
                    pinned = {VERSION_PLACEHOLDER} if "version" in download else set()
                    self.placeholders(doc, download, (*base, "download"), self.known | pinned)
                    self.pin(doc, download, (*base, "download"))
                self.urls(doc, download, (*base, "download"))
            for index, step in mappings(value.get("uninstall")):
                self.placeholders(doc, step, ("uninstall", index), self.known)
            for i, verify in mappings(value.get("verify")):
                parts = {k: verify[k] for k in ("description", "check") if k in verify}
                self.placeholders(doc, parts, ("verify", i), self.known)

    def file_values(self, kind: str) -> Iterator[tuple[Checked, dict[str, Any]]]:
        """Every file of `kind` with its checked mapping, whether or not its definitions were
        registered: a recipe or profile whose name is invalid or taken, and a step without a
        valid name, still have their values checked, so that all problems come at once
        rather than one round per fix."""
        for file, file_kind in self.kinds.items():
            value = self.docs[file].value
            if file_kind == kind and isinstance(value, dict):
                yield self.docs[file], value

    # ------------------------------------------------------------ variables
    def variables(self) -> None:
        for file, kind in self.kinds.items():
            if kind != "settings" or not isinstance(self.docs[file].value, dict):
                continue
            doc = self.docs[file]
            for name, value in doc.value.get("variables", {}).items():
                path: KeyPath = ("variables", name)
                if name in FACT_PLACEHOLDERS:
                    doc.report(path, f"{name!r} is a fact placeholder; choose another name")
                elif name == VERSION_PLACEHOLDER:
                    doc.report(
                        path, f"{name!r} is a download's pinned version; choose another name"
                    )
                self.placeholders(doc, {name: value}, ("variables",), set(FACT_PLACEHOLDERS))

    # ------------------------------------------------------------ names
    def names(self) -> None:
        seen: dict[str, StepDef] = {}
        verify_seen: dict[str, str] = {}  # name -> where first declared (across recipes)
        for recipe in self.rs.recipes.values():
            doc = self.doc(recipe.file)
            for step in recipe.steps:
                path: KeyPath = ("steps", step.index, "name")
                for category in ERROR_CATEGORY_NAMES:
                    if step.name.endswith(f"_{category}"):
                        doc.report(
                            path, f"a step name may not end in an error category (_{category})"
                        )
                first = seen.setdefault(step.name, step)
                if first is not step:
                    doc.report(path, f"duplicate step name {step.name!r} (first at {first.source})")
            for i, verify in enumerate(recipe.verify):
                where = f"{verify.file}:{verify.line}"
                first_at = verify_seen.setdefault(verify.name, where)
                if first_at != where:
                    doc.report(
                        ("verify", i, "name"),
                        f"duplicate verify name {verify.name!r} (first at {first_at})",
                    )
        self.uninstall_names(seen)
        for name, profile in self.rs.profiles.items():
            if name in self.rs.recipes:
                self.doc(profile.file).report(
                    ("profile",),
                    f"{name!r} is also a recipe; profiles and recipes need distinct names",
                )

    def uninstall_names(self, seen: dict[str, StepDef]) -> None:
        """Uninstall steps are events too: their names are unique among all steps, and
        `undoes` names steps of their own recipe."""
        for recipe in self.rs.recipes.values():
            doc = self.doc(recipe.file)
            own = [s.name for s in recipe.steps]
            for step in recipe.uninstall:
                first = seen.setdefault(step.name, step)
                if first is not step:
                    doc.report(
                        ("uninstall", step.index, "name"),
                        f"duplicate step name {step.name!r} (first at {first.source})",
                    )
                for i, name in named(step.data.get("undoes", ())):
                    if name not in own:
                        doc.report(
                            ("uninstall", step.index, "undoes", i),
                            f"{name!r} is not a step of recipe {recipe.name!r}"
                            + did_you_mean(name, own),
                        )

    # ------------------------------------------------------------ references
    def references(self) -> None:
        recipes = list(self.rs.recipes)
        steps = self.rs.steps()
        for doc, value in self.file_values("recipe"):
            recipe_name = value.get("recipe")
            for i, name in named(value.get("requires", ())):
                if name == recipe_name:
                    doc.report(("requires", i), "a recipe cannot require itself")
                elif name not in self.rs.recipes:
                    doc.report(
                        ("requires", i), f"unknown recipe {name!r}{did_you_mean(name, recipes)}"
                    )
            for index, step in mappings(value.get("steps")):
                for i, name in named(step.get("requires", ())):
                    path: KeyPath = ("steps", index, "requires", i)
                    if name == step.get("name"):
                        doc.report(path, "a step cannot require itself")
                    elif name == recipe_name:
                        doc.report(path, "a step cannot require its own recipe")
                    elif name not in steps and name not in self.rs.recipes:
                        hint = did_you_mean(name, [*steps, *recipes])
                        doc.report(path, f"unknown step or recipe {name!r}{hint}")
        for doc, value in self.file_values("profile"):
            first: dict[str, int] = {}
            for i, name in named(value.get("recipes", ())):
                if first.setdefault(name, i) != i:
                    doc.report(
                        ("recipes", i), f"{name!r} is listed twice (also recipes[{first[name]}])"
                    )
                elif name not in self.rs.recipes:
                    doc.report(
                        ("recipes", i), f"unknown recipe {name!r}{did_you_mean(name, recipes)}"
                    )

    def recipe_cycles(self) -> bool:
        edges = {name: [n for _, n in named(r.requires)] for name, r in self.rs.recipes.items()}
        found = cycles(list(self.rs.recipes), edges)
        for group in found:
            first = self.rs.recipes[group[0]]
            loop = " -> ".join([*group, group[0]])
            self.doc(first.file).report(("requires",), f"requires cycle: {loop}")
        return bool(found)

    def step_cycles(self) -> None:
        steps = self.rs.steps()
        edges: dict[str, list[str]] = {}
        for name, step in steps.items():
            targets: list[str] = []
            wanted = [n for _, n in named(step.data.get("requires", ()))]
            wanted += [n for _, n in named(self.rs.recipes[step.recipe].requires)]
            for want in wanted:
                if want in steps:
                    targets.append(want)
                elif want in self.rs.recipes and want != step.recipe:
                    targets += [s.name for s in self.rs.recipes[want].steps]
            # Requiring itself or its own recipe is reported by `references`.
            edges[name] = [t for t in targets if t != name]
        for group in cycles(list(steps), edges):
            first = steps[group[0]]
            loop = " -> ".join([*group, group[0]])
            self.doc(first.file).report(
                ("steps", first.index, "requires"), f"requires cycle: {loop}"
            )

    # ------------------------------------------------------------ values
    def placeholders(self, doc: Checked, data: Any, prefix: KeyPath, known: set[str]) -> None:
        for path, text in strings_in(data, prefix):
            try:
                names = names_in(text)
            except PlaceholderError as exc:
                doc.report(path, str(exc))
                continue
            for name in names:
                if name in self.rs.variables and name not in known:
                    # Only in settings.yaml: a variable is filled in from the facts alone.
                    doc.report(
                        path,
                        f"{{{name}}} is a variable; a variable's value may use only the fact "
                        f"placeholders ({', '.join(f'{{{f}}}' for f in FACT_PLACEHOLDERS)})",
                    )
                elif name not in known:
                    close = closest_match(name, sorted(known))
                    hint = f" (did you mean {{{close}}}?)" if close is not None else ""
                    doc.report(path, f"unknown placeholder {{{name}}}{hint}")

    def urls(self, doc: Checked, download: Any, base: KeyPath) -> None:
        if not isinstance(download, dict):
            return
        for key in URL_KEYS:
            if key not in download:
                continue
            for arch in ARCHITECTURES:
                version = download.get("version")
                url = self.rendered(download[key], arch, version)
                if url is not None and not url.startswith("https://"):
                    doc.report((*base, key), f"must be an https:// URL, got {url!r}")
                    break
        url = download.get("url")
        raw_urls = list(url.values()) if isinstance(url, dict) else [url]
        if "sha256" in download and any(
            isinstance(u, str) and m in u for u in raw_urls for m in MOVING_URL_MARKERS
        ):
            doc.report(
                (*base, "sha256"),
                "a 'latest' URL changes under a pinned sha256; use sha256_url "
                "(the publisher's checksum) or unverified_reason",
            )

    def pin(self, doc: Checked, download: dict[str, Any], base: KeyPath) -> None:
        """A pinned version lives in one place: the url must use `{version}`, so that a bump
        is the change of `version` and `sha256` only."""
        if "version" not in download:
            return
        url = download.get("url")
        urls = list(url.values()) if isinstance(url, dict) else [url]
        if any(isinstance(u, str) and f"{{{VERSION_PLACEHOLDER}}}" not in u for u in urls):
            doc.report(
                (*base, "url"),
                "a download with `version` must use {version} in its url (the version "
                "lives in one place)",
            )

    def rendered(self, value: Any, arch: str, version: str | None = None) -> str | None:
        """`value` rendered for a stand-in Mac of `arch`; None if it cannot be rendered
        (its placeholder problems are reported elsewhere)."""
        values: dict[str, Any] = dict(fact_values(validation_facts(arch)))
        for name, raw in self.rs.variables.items():
            var = raw.get(arch, "") if isinstance(raw, dict) else raw
            if isinstance(var, list):
                var = [v for v in var if isinstance(v, str)]
            try:
                values[name] = substitute(var, values) if isinstance(var, str) else var
            except (PlaceholderError, KeyError):
                values[name] = ""
        if version is not None:
            values[VERSION_PLACEHOLDER] = version
        text = value.get(arch) if isinstance(value, dict) else value
        if not isinstance(text, str):
            return None
        try:
            return substitute(text, values)
        except KeyError:
            return None


def validate_recipe_set(recipe_set: RecipeSet, docs: Mapping[str, tuple[str, Checked]]) -> None:
    """Add the cross-value problems to the per-file results in `docs`."""
    _Validator(recipe_set, docs).run()
