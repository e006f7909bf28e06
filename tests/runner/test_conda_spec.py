"""conda's version order and match specs (installer/runner/conda_spec.py), checked against the
examples of conda's own docstrings and docs (conda/models/version.py VersionOrder: "The
resulting order is"), and the package choice of an offline bundle
(installer/runner/conda_channel.py resolve) on a channel this test writes."""

from __future__ import annotations

import pytest

from installer.runner.conda_channel import Index, Record, ResolveError, records_of, resolve
from installer.runner.conda_spec import SpecError, compare, parse_spec

# conda/models/version.py, VersionOrder's docstring, in order ("==" pairs kept together).
CONDA_ORDER = [
    ["0.4", "0.4.0"],
    ["0.4.1.rc", "0.4.1.RC"],
    ["0.4.1"],
    ["0.5a1"],
    ["0.5b3"],
    ["0.5C1"],
    ["0.5"],
    ["0.9.6"],
    ["0.960923"],
    ["1.0"],
    ["1.1dev1"],
    ["1.1a1"],
    ["1.1.0dev1", "1.1.dev1"],
    ["1.1.a1"],
    ["1.1.0rc1"],
    ["1.1.0", "1.1"],
    ["1.1.0post1", "1.1.post1"],
    ["1.1post1"],
    ["1996.07.12"],
    ["1!0.4.1"],
    ["1!3.1.1.6"],
    ["2!0.4.1"],
]


def test_version_order_is_condas() -> None:
    flat = [(rank, v) for rank, group in enumerate(CONDA_ORDER) for v in group]
    for rank_a, a in flat:
        for rank_b, b in flat:
            want = (rank_a > rank_b) - (rank_a < rank_b)
            assert compare(a, b) == want, (a, b)


@pytest.mark.parametrize(
    ("spec", "yes", "no"),
    [
        ("python 3.12.*", ["3.12.0", "3.12.8"], ["3.13.0", "3.1.2", "3.120"]),
        ("python=3.12", ["3.12.8"], ["3.13.1"]),
        ("dtumathtools =2025", ["2025.1.0", "2025"], ["2024.9"]),
        ("matplotlib >=3.8", ["3.8.0", "3.10.1"], ["3.7.9"]),
        ("python >=3.12,<3.13.0a0", ["3.12.1"], ["3.13.0", "3.11.9", "3.13.0rc1"]),
        ("numpy >=1.23,<3", ["2.2.1"], ["3.0.0", "1.22"]),
        ("libzlib 1.3.1", ["1.3.1"], ["1.3.10", "1.3"]),
        ("openssl 3.*|1.1.1*", ["3.4.1", "1.1.1w"], ["1.0.2"]),
        ("pkg !=1.2.*", ["1.3"], ["1.2.5"]),
        ("pkg ~=1.4.2", ["1.4.5"], ["1.5.0", "1.4.1"]),
    ],
)
def test_match_specs(spec: str, yes: list[str], no: list[str]) -> None:
    parsed = parse_spec(spec)
    for version in yes:
        assert parsed.matches(version, "h0_0"), (spec, version)
    for version in no:
        assert not parsed.matches(version, "h0_0"), (spec, version)


def test_build_glob_and_exact_build() -> None:
    assert parse_spec("python_abi 3.12.* *_cp312").matches("3.12", "5_cp312")
    assert not parse_spec("python_abi 3.12.* *_cp312").matches("3.12", "5_cp313")
    exact = parse_spec("numpy=1.11.1=py27_0")
    assert exact.matches("1.11.1", "py27_0") and not exact.matches("1.11.10", "py27_0")


def test_unreadable_spec_is_an_error() -> None:
    with pytest.raises(SpecError):
        parse_spec("numpy >>1")
    with pytest.raises(SpecError):
        parse_spec("conda-forge::numpy")


def rec(
    name: str, version: str, build_number: int = 0, depends: tuple[str, ...] = (), **more: object
) -> tuple[str, dict[str, object]]:
    build = f"h0_{build_number}"
    fn = f"{name}-{version}-{build}.tar.bz2"
    return fn, {
        "name": name,
        "version": version,
        "build": build,
        "build_number": build_number,
        "depends": list(depends),
        "sha256": "0" * 64,
        "size": 1,
        **more,
    }


def index(*records: tuple[str, dict[str, object]]) -> Index:
    repodata = {"packages": dict(records)}
    return Index(records_of(repodata, "conda-forge", "osx-arm64"))


def chosen(records: list[Record]) -> dict[str, str]:
    return {r.name: r.version for r in records}


def test_resolve_takes_newest_that_fits_every_constraint() -> None:
    idx = index(
        rec("python", "3.12.8", depends=("__osx >=11.0",)),
        rec("python", "3.13.1"),
        rec("numpy", "2.2.1", depends=("python >=3.12,<3.13.0a0",)),
        rec("numpy", "1.26.4", depends=("python >=3.12,<3.13.0a0",)),
        rec("pandas", "2.2.3", depends=("numpy >=1.22,<2", "python >=3.12,<3.13.0a0")),
        rec("pandas", "1.0.0"),
    )
    got = chosen(resolve(["python=3.12", "pandas", "numpy"], idx))
    # numpy 2.2.1 is newest, but pandas limits it below 2: chosen again.
    assert got == {"python": "3.12.8", "numpy": "1.26.4", "pandas": "2.2.3"}


def test_resolve_replaces_a_choice_and_forgets_what_only_it_needed() -> None:
    idx = index(
        rec("a", "2.0", depends=("b", "olddep")),
        rec("a", "1.0", depends=("b",)),
        rec("b", "1.0", depends=("a <2",)),
        rec("olddep", "1.0"),
    )
    got = chosen(resolve(["a", "b"], idx))
    assert got == {"a": "1.0", "b": "1.0"}


def test_resolve_constrains_only_bind_chosen_packages() -> None:
    idx = index(
        rec("lib", "2.0", constrains=["tool <1"]),
        rec("tool", "1.5"),
        rec("tool", "0.9"),
        rec("other", "1.0"),
    )
    assert chosen(resolve(["lib", "other"], idx)) == {"lib": "2.0", "other": "1.0"}
    assert chosen(resolve(["lib", "tool"], idx)) == {"lib": "2.0", "tool": "0.9"}


def test_resolve_prefers_conda_format_and_higher_build_number() -> None:
    fn, data = rec("pkg", "1.0", 1)
    conda_fn = fn.replace(".tar.bz2", ".conda")
    repodata = {
        "packages": dict([rec("pkg", "1.0", 0), (fn, data)]),
        "packages.conda": {conda_fn: data},
    }
    records = resolve(["pkg"], Index(records_of(repodata, "c", "noarch")))
    assert [r.fn for r in records] == [conda_fn]


def test_resolve_names_what_is_missing_or_unsatisfiable() -> None:
    idx = index(rec("pandas", "2.2.3", depends=("numpy >=1.22",)), rec("x", "1.0"))
    with pytest.raises(
        ResolveError,
        match=r"numpy is not in the channel \(needed: numpy >=1.22 \(from pandas-2.2.3-h0_0",
    ):
        resolve(["pandas"], idx)
    with pytest.raises(ResolveError, match=r"no build of x satisfies x >=2 \(from the recipe\)"):
        resolve(["x >=2"], idx)


def test_virtual_packages_are_the_macs() -> None:
    idx = index(rec("pkg", "1.0", depends=("__osx >=11.0", "__unix")))
    assert chosen(resolve(["pkg"], idx)) == {"pkg": "1.0"}
