"""The GitHub workflows: they pass actionlint (the one the dev extra pins, which `make
actionlint` runs), a retired runner label fails it, the macOS matrix covers both
architectures on runners GitHub offers today, and the release publishes what install.sh
downloads after testing exactly that file.

Runner labels: actions/runner-images README.md ("Available Images"); retirements:
actions/runner-images issues 13046 (macos-13, December 2025) and 13518 (macos-14,
2 November 2026).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
# Labels GitHub no longer runs. actionlint rejects macos-13 itself; it still accepts
# macos-14 (its table lists it), so this file checks that one against the workflows too.
RETIRED_LABELS = {
    "macos-13": "actions/runner-images#13046",
    "macos-13-large": "actions/runner-images#13046",
    "macos-13-xlarge": "actions/runner-images#13046",
    "macos-14": "actions/runner-images#13518",
    "macos-14-large": "actions/runner-images#13518",
    "macos-14-xlarge": "actions/runner-images#13518",
}
MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


def _actionlint() -> str:
    """The actionlint of this environment's dev extra (beside this Python), else PATH's."""
    beside = Path(sys.executable).with_name("actionlint")
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    assert found, "actionlint is missing: install the dev extra (pip install -e '.[dev]')"
    return found


def run_actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_actionlint(), "-no-color", "-oneline", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,  # finds the local reusable workflow (release.yml -> macos-e2e.yml)
        timeout=60,
    )


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def job_runner_labels(job: dict[str, Any]) -> set[str]:
    """Every label a job can run on: `runs-on` with each matrix combination's values put in
    for `${{ matrix.KEY }}` (also inside a label, as in `macos-${{ matrix.macos }}`)."""
    runs_on = job.get("runs-on")
    if runs_on is None:
        return set()
    labels = [str(label) for label in (runs_on if isinstance(runs_on, list) else [runs_on])]
    matrix = job.get("strategy", {}).get("matrix", {})
    rows: list[dict[str, Any]] = [dict(row) for row in matrix.get("include", [])]
    for key, values in matrix.items():
        if key not in ("include", "exclude") and isinstance(values, list):
            rows += [{key: value} for value in values]
    resolved: set[str] = set()
    for label in labels:
        keys = MATRIX_REF.findall(label)
        if not keys:
            resolved.add(label)
            continue
        for row in rows:
            if all(key in row for key in keys):
                resolved.add(MATRIX_REF.sub(lambda m, row=row: str(row[m.group(1)]), label))
    return resolved


def test_the_pinned_actionlint_knows_todays_macos_labels() -> None:
    version = subprocess.run(
        [_actionlint(), "-version"], capture_output=True, text=True, check=False
    )
    assert version.returncode == 0, version.stderr
    assert "1.17.0" in version.stdout, version.stdout  # the pin in pyproject.toml's dev extra


def test_todays_workflows_pass_actionlint() -> None:
    files = workflow_files()
    assert {f.name for f in files} >= {"tests.yml", "macos-e2e.yml", "release.yml"}
    result = run_actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_a_retired_label_fails_actionlint(tmp_path: Path) -> None:
    workflow = tmp_path / "retired.yml"
    workflow.write_text(
        "on: push\njobs:\n  e2e:\n    runs-on: macos-13\n    steps:\n      - run: sw_vers\n",
        encoding="utf-8",
    )
    result = run_actionlint(workflow)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'retired.yml:4:14: label "macos-13" is unknown' in result.stdout


def test_a_retired_label_in_the_e2e_matrix_fails_actionlint(tmp_path: Path) -> None:
    """The matrix names plain labels, so the linter sees each one (it did not when the label
    was assembled from pieces such as `macos-${{ matrix.macos }}`)."""
    text = (WORKFLOWS / "macos-e2e.yml").read_text(encoding="utf-8")
    assert "- runner: macos-15-intel\n" in text
    workflow = tmp_path / "macos-e2e.yml"
    workflow.write_text(text.replace("- runner: macos-15-intel\n", "- runner: macos-13\n"))
    result = run_actionlint(workflow)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'label "macos-13" is unknown' in result.stdout


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_no_workflow_runs_on_a_retired_label(path: Path) -> None:
    for name, job in load(path)["jobs"].items():
        retired = {
            label: RETIRED_LABELS[label]
            for label in job_runner_labels(job)
            if label in RETIRED_LABELS
        }
        assert not retired, f"job {name} runs on retired labels: {retired}"


def test_the_retired_label_check_sees_matrix_labels() -> None:
    job = {
        "runs-on": "${{ matrix.runner }}",
        "strategy": {"matrix": {"include": [{"runner": "macos-15"}, {"runner": "macos-14"}]}},
    }
    assert job_runner_labels(job) & RETIRED_LABELS.keys() == {"macos-14"}
    # The old e2e matrix: the label assembled from pieces, which no linter saw.
    assembled = {
        "runs-on": "macos-${{ matrix.macos }}",
        "strategy": {"matrix": {"include": [{"macos": "13"}, {"macos": "15"}]}},
    }
    assert job_runner_labels(assembled) == {"macos-13", "macos-15"}
    assert job_runner_labels({"runs-on": ["self-hosted", "macos-13"]}) >= {"macos-13"}


def test_the_macos_e2e_covers_intel_and_apple_silicon_on_two_versions_each() -> None:
    job = load(WORKFLOWS / "macos-e2e.yml")["jobs"]["e2e"]
    assert job["runs-on"] == "${{ matrix.runner }}"
    rows = job["strategy"]["matrix"]["include"]
    by_arch: dict[str, set[str]] = {}
    for row in rows:
        runner, arch = row["runner"], row["arch"]
        # runner-images README: the `-intel` labels are x64, the plain `macos-NN` ones arm64.
        assert arch == ("x86_64" if runner.endswith("-intel") else "arm64"), row
        by_arch.setdefault(arch, set()).add(re.sub(r"^macos-(\d+).*$", r"\1", runner))
    assert set(by_arch) == {"x86_64", "arm64"}
    assert all(len(versions) >= 2 for versions in by_arch.values()), by_arch


def _install_sh_asset_names() -> set[str]:
    script = (ROOT / "install.sh").read_text(encoding="utf-8")
    match = re.search(r'^PYZ_NAME="([^"]+)"$', script, re.MULTILINE)
    assert match, "install.sh no longer sets PYZ_NAME"
    assert "/releases/latest/download" in script
    return {"install.sh", match.group(1), match.group(1) + ".sha256"}


def test_the_release_tests_the_built_file_then_publishes_what_install_sh_downloads() -> None:
    release = load(WORKFLOWS / "release.yml")
    # PyYAML reads the `on:` key as True (YAML 1.1).
    trigger = release.get("on", release.get(True))
    assert list(trigger) == ["push"] and trigger["push"]["tags"]
    assert release["permissions"] == {"contents": "read"}
    jobs = release["jobs"]
    # The e2e is macos-e2e.yml itself, fed the build's artifact and its sha256.
    e2e = jobs["e2e"]
    assert e2e["uses"] == "./.github/workflows/macos-e2e.yml"
    assert e2e["needs"] == "build"
    assert e2e["with"]["sha256"] == "${{ needs.build.outputs.sha256 }}"
    upload = next(s for s in jobs["build"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["name"] == e2e["with"]["artifact"]
    uploaded = {Path(p).name for p in upload["with"]["path"].split()}
    assert uploaded == _install_sh_asset_names()
    # Only the publishing job may write, and only after the e2e passed.
    publish = jobs["publish"]
    assert set(publish["needs"]) == {"build", "e2e"}
    assert publish["permissions"] == {"contents": "write"}
    assert [j for j, body in jobs.items() if "permissions" in body] == ["publish"]
    script = next(s["run"] for s in publish["steps"] if "gh release create" in s.get("run", ""))
    published = set(re.findall(r"(?:^|\s)(?:\S+/)?([\w.-]+\.(?:sh|pyz|sha256))\b", script))
    assert published == _install_sh_asset_names()


def test_the_called_e2e_tests_the_given_file_not_a_rebuild() -> None:
    e2e_workflow = load(WORKFLOWS / "macos-e2e.yml")
    trigger = e2e_workflow.get("on", e2e_workflow.get(True))
    assert set(trigger["workflow_call"]["inputs"]) == {"artifact", "sha256"}
    jobs = e2e_workflow["jobs"]
    assert jobs["build"]["if"] == "${{ !inputs.artifact }}"  # no rebuild when called
    steps = jobs["e2e"]["steps"]
    download = next(s for s in steps if "download-artifact" in s.get("uses", ""))
    assert download["with"]["name"] == "${{ inputs.artifact || 'zipapp' }}"
    check = next(s for s in steps if s.get("name") == "The zipapp under test")
    assert check["env"]["EXPECTED_SHA256"] == "${{ inputs.sha256 }}"
    assert '"$actual" != "$EXPECTED_SHA256"' in check["run"]
