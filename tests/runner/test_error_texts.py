"""Error categories from the failing program's own words (installer/steps/error_texts.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from installer.events.outcome import ErrorCategory, Status
from installer.runner.display import print_summary
from installer.steps.error_texts import PROGRAMS, ErrorText
from installer.steps.failure import ADVICE, category_for_exit
from tests.runner.conftest import cmd, plan, run

ENTRIES = [
    pytest.param(text, id=f"{program.program}:{text.example[:40]}")
    for program in PROGRAMS
    for text in program.texts
]


@pytest.mark.parametrize("text", ENTRIES)
def test_every_known_text_means_its_category(text: ErrorText) -> None:
    """Each example is the program's exact words; inside other output they still decide,
    and no earlier entry or generic pattern takes them first."""
    assert text.pattern.search(text.example)
    output = f"Collecting package metadata: done\n\n{text.example}\n"
    assert category_for_exit(1, output) is text.category


def test_what_happened_still_comes_first() -> None:
    """Exit 127 (command not found) is a fact; words in the output do not override it."""
    words = "CondaHTTPError: HTTP 000 CONNECTION FAILED for url <https://x>"
    assert category_for_exit(127, words) is ErrorCategory.MISSING_DEPENDENCY


def test_tables_name_their_sources() -> None:
    for program in PROGRAMS:
        assert program.source and program.texts, program.program


# What conda prints when it cannot reach the channel: "\n" + the error on stderr
# (conda/conda conda/exceptions.py, CondaHTTPError and print_conda_exception; the advice
# lines are conda/gateways/connection/download.py's), exit code 1.
CONDA_OFFLINE_STDERR = (
    "\nCondaHTTPError: HTTP 000 CONNECTION FAILED for url "
    "<https://conda.anaconda.org/conda-forge/osx-arm64/repodata.json>\n"
    "Elapsed: -\n\n"
    "An HTTP error occurred when trying to retrieve this URL.\n"
    "HTTP errors are often intermittent, and a simple retry will get you on your way.\n"
)
CONDA_OFFLINE = f"""\
#!/bin/sh
echo "Channels:"
echo " - conda-forge"
echo "Platform: osx-arm64"
echo "Collecting package metadata (repodata.json): failed"
cat >&2 <<'EOF'
{CONDA_OFFLINE_STDERR}EOF
exit 1
"""


def test_conda_offline_is_a_network_error_with_the_network_advice(
    facts: object, tmp_path: Path, sleeps: list[float]
) -> None:
    conda = tmp_path / "conda"
    conda.write_text(CONDA_OFFLINE)
    conda.chmod(0o755)
    step = cmd("python_install", str(conda), "install", "--yes", "python=3.12")
    result = run(plan(step), facts, tmp_path)  # type: ignore[arg-type]
    outcome = result.outcomes[0]
    assert outcome.status is Status.FAILED
    assert outcome.category is ErrorCategory.NETWORK
    assert outcome.attempts == 3  # a network error is worth another attempt
    out = io.StringIO()
    print_summary(Console(file=out, width=100), result)
    assert " ".join(ADVICE[ErrorCategory.NETWORK].split()[:6]) in " ".join(out.getvalue().split())
