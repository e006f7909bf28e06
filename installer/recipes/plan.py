"""From recipes and a Mac's facts to the ordered, rendered steps that would run.

`build_plan` resolves the targets (profiles or recipes; none = the `default` profile),
pulls in required recipes, leaves out what `when` excludes on this Mac, orders steps so
that requirements come first (otherwise keeping the recipes' order), and renders them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from installer.errors import UsageError
from installer.mirrors import resolve as resolve_mirrors
from installer.platform.facts import Facts
from installer.recipes.conditions import why_excluded
from installer.recipes.courses import course_targets
from installer.recipes.graph import stable_order
from installer.recipes.macos_minimum import too_old
from installer.recipes.recipe_set import RecipeSet, StepDef
from installer.recipes.render import Renderer
from installer.steps.model import ExcludedStep, Plan, TooOldMac
from installer.yaml_source.checked import did_you_mean

DEFAULT_PROFILE = "default"


def resolve_targets(recipe_set: RecipeSet, targets: Sequence[str]) -> list[str]:
    """Profile and recipe names -> recipe names in order (no duplicates). `course ID...`
    names course environments (installer/recipes/courses.py)."""
    wanted = course_targets(targets, recipe_set.courses) or [DEFAULT_PROFILE]
    names: list[str] = []
    for target in wanted:
        if target in recipe_set.profiles:
            names += recipe_set.profiles[target].recipes
        elif target in recipe_set.recipes:
            names.append(target)
        else:
            choices = [*recipe_set.profiles, *recipe_set.recipes]
            if not targets:
                raise UsageError(
                    f"no {DEFAULT_PROFILE!r} profile in the recipes; name a profile or recipe"
                    f" (one of: {', '.join(choices) or 'none'})"
                )
            raise UsageError(
                f"unknown profile or recipe {target!r}{did_you_mean(target, choices)}"
                f"; known: {', '.join(choices) or 'none'}"
            )
    return list(dict.fromkeys(names))


def _recipe_needs(recipe_set: RecipeSet, name: str) -> list[str]:
    """Recipes that `name` needs first: its `requires` and those its steps require."""
    recipe = recipe_set.recipes[name]
    steps = recipe_set.steps()
    needs = list(recipe.requires)
    for step in recipe.steps:
        for want in step.data.get("requires", ()):
            owner = steps[want].recipe if want in steps else want
            if owner != name:
                needs.append(owner)
    return list(dict.fromkeys(needs))


def with_requirements(recipe_set: RecipeSet, names: Sequence[str]) -> list[str]:
    """`names` plus every recipe they need, requirements first (depth-first post-order)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name in visiting:  # cycles were rejected at load time
            return
        visiting.add(name)
        for need in _recipe_needs(recipe_set, name):
            visit(need)
        visiting.discard(name)
        order.append(name)

    for name in names:
        visit(name)
    return order


def _step_requires(recipe_set: RecipeSet, step: StepDef, *, blocking: bool) -> list[str]:
    """The steps `step` comes after. With `blocking`, only those whose failure must stop it:
    a recipe named in `requires` stands for its steps except those marked
    `on_failure: continue` (declared non-essential: they may fail without holding up the
    recipes that come after; they are still ordered before them)."""
    steps = recipe_set.steps()
    out: list[str] = []
    wanted = [*step.data.get("requires", ()), *recipe_set.recipes[step.recipe].requires]
    for want in wanted:
        if want in steps:
            out.append(want)
        elif want in recipe_set.recipes:
            out += [
                s.name
                for s in recipe_set.recipes[want].steps
                if not blocking or s.data.get("on_failure") != "continue"
            ]
    return list(dict.fromkeys(out))


def _joined(value: str | Sequence[str]) -> str:
    return value if isinstance(value, str) else " ".join(value)


def build_plan(
    recipe_set: RecipeSet,
    targets: Sequence[str],
    facts: Facts,
    environ: Mapping[str, str] | None = None,
) -> Plan:
    """`environ` (default: os.environ) is where `DTU_INSTALL_MIRRORS` is read."""
    recipes = with_requirements(recipe_set, resolve_targets(recipe_set, targets))
    mirrors = resolve_mirrors(recipe_set.mirrors, environ)
    renderer = Renderer(facts, recipe_set.variables, mirrors)
    included: list[StepDef] = []
    excluded: list[ExcludedStep] = []
    verify = []
    old_mac: list[TooOldMac] = []
    for name in recipes:
        recipe = recipe_set.recipes[name]
        recipe_reason = why_excluded(recipe.when, facts)
        if recipe_reason is None:
            verify += [renderer.verify(v) for v in recipe.verify]
            refused = too_old(name, recipe.minimum_macos, facts)
            if refused is not None:
                old_mac.append(refused)
        for step in recipe.steps:
            reason = recipe_reason or why_excluded(step.data.get("when"), facts)
            if reason:
                excluded.append(ExcludedStep(step.name, name, reason))
            else:
                included.append(step)
    # A requirement that `when` leaves out does not apply to this Mac: it counts as met.
    names = [s.name for s in included]
    present = set(names)
    after = {
        s.name: [r for r in _step_requires(recipe_set, s, blocking=False) if r in present]
        for s in included
    }
    requires = {
        s.name: [r for r in _step_requires(recipe_set, s, blocking=True) if r in present]
        for s in included
    }
    by_name = {s.name: s for s in included}
    ordered = stable_order(names, after)
    return Plan(
        targets=tuple(targets) or (DEFAULT_PROFILE,),
        steps=tuple(renderer.step(by_name[n], tuple(requires[n])) for n in ordered),
        excluded=tuple(excluded),
        verify=tuple(verify),
        variables={name: _joined(renderer.values[name]) for name in recipe_set.variables},
        platform={"os_name": facts.os_name, "os_version": facts.os_version, "arch": facts.arch},
        mirrors=mirrors,
        too_old=tuple(old_mac),
    )
