"""The Command Line Tools step of the real recipe, run for real (bash, awk, subprocesses) with
macOS's `softwareupdate` and `xcode-select` replaced by recording stubs.

The script names macOS's tools and folders by absolute path, so each test writes the script
with those paths pointing into its temporary directory; nothing else changes. The stubs
behave as the real tools do in the listings quoted by Homebrew and others:
`* Label: <label>` followed by `\\tTitle: <title>, Version: <version>, Size: ...`.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from installer.events.outcome import ErrorCategory, Status
from installer.kinds.actions.command import CommandAction
from installer.kinds.actions.shell import ShellAction
from installer.kinds.checks.command import CommandCheck
from installer.kinds.checks.path_exists import PathExistsCheck
from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from installer.steps.failure import category_for_exit
from installer.steps.model import PlannedStep
from tests.helpers.recipes import mac
from tests.runner.conftest import plan, run

ROOT = Path(__file__).resolve().parents[2]
CLT = "/Library/Developer/CommandLineTools"
APPLE_DOWNLOADS = "https://developer.apple.com/download/all/"


def _step(home: Path) -> PlannedStep:
    plan = build_plan(
        load_recipe_set([ROOT / "recipes"]), ["default"], mac("arm64", "26.1", str(home))
    )
    return next(s for s in plan.steps if s.name == "xcode_clt_install")


def _entry(label: str, version: str, title: str = "Command Line Tools for Xcode") -> str:
    return (
        f"* Label: {label}\n"
        f"\tTitle: {title}, Version: {version}, Size: 861558KiB, Recommended: YES,\n"
    )


HEADER = (
    "Software Update Tool\n\nFinding available software\n"
    "Software Update found the following new or updated software:\n"
)
# Xcode 26 labels ("... 26.0-26.0") sort before "...Xcode-16.4" in a plain version sort
# (space < dash): Homebrew's `sort -V | tail -n1` would pick 16.4 from this list.
ENTRIES = [
    _entry("Command Line Tools for Xcode-16.4", "16.4"),
    _entry("Command Line Tools for Xcode 26.0-26.0", "26.0", "Command Line Tools for Xcode 26.0"),
    _entry("Command Line Tools for Xcode-15.3", "15.3"),
    _entry("Command Line Tools beta 2 for Xcode 27.0-27.0", "27.0", "Command Line Tools beta 2"),
    _entry("Safari26.2SequoiaAuto-26.2", "26.2", "Safari"),
    _entry("macOS Tahoe 26.1-25B78", "26.1", "macOS Tahoe 26.1"),
]
NEWEST = "Command Line Tools for Xcode 26.0-26.0"


@dataclass
class Mac:
    root: Path
    log: Path
    clt: Path

    def run(
        self, script: str, timeout: float = 60, awk: str = "awk"
    ) -> subprocess.CompletedProcess[str]:
        """The script under bash without a terminal; `awk` names the awk it finds on PATH."""
        path = "/usr/bin:/bin"
        if awk != "awk":
            found = shutil.which(awk)
            assert found, f"{awk} is missing: `make system-deps` installs the Debian package"
            (self.root / "awk-bin").mkdir(exist_ok=True)
            (self.root / "awk-bin" / "awk").symlink_to(found)
            path = f"{self.root / 'awk-bin'}:{path}"
        return subprocess.run(
            ["/bin/bash", "-c", script],
            stdin=subprocess.DEVNULL,  # no person at a terminal
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            # mktemp -d in the test's own folder: a shared /tmp may be cleaned under it.
            env={"PATH": path, "LC_ALL": "C", "TMPDIR": str(self.root)},
        )

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


def _stub(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def fake_mac(tmp_path: Path) -> Mac:
    """`softwareupdate -l` prints listing.txt (or hangs when `hang` exists); `-i LABEL`
    installs, making git appear; `xcode-select -p` passes once a developer dir is chosen."""
    log = tmp_path / "calls.log"
    clt = tmp_path / "Library" / "Developer" / "CommandLineTools"
    record = f'echo "$(basename "$0") $*" >> {log}\n'
    _stub(
        tmp_path / "stubs" / "softwareupdate",
        record
        + f"""case "$1" in
  -l) echo $$ > {tmp_path}/lister.pid; [ -e {tmp_path}/hang ] && exec sleep 600
      cat {tmp_path}/listing.txt ;;
  -i) [ -e {tmp_path}/broken-install ] && exit 0
      mkdir -p {clt}/usr/bin && touch {clt}/usr/bin/git ;;
esac
""",
    )
    _stub(
        tmp_path / "stubs" / "xcode-select",
        record
        + f"""case "$1" in
  -p) if [ ! -e {tmp_path}/selected ]; then
        echo "xcode-select: error: unable to get active developer directory..." >&2
        exit 2
      fi
      echo {CLT} ;;
  --switch) touch {tmp_path}/selected ;;
esac
""",
    )
    return Mac(tmp_path, log, clt)


def _script(mac_: Mac, **settings: str) -> str:
    """The recipe's script, rendered for a Mac, with macOS's paths moved into the test's
    directory (and settings such as LIST_SECONDS changed)."""
    action = _step(mac_.root / "home").action
    assert isinstance(action, ShellAction)
    script = action.script
    stubs = mac_.root / "stubs"
    for real, fake in {
        "/usr/sbin/softwareupdate": f"{stubs}/softwareupdate",
        "/usr/bin/xcode-select": f"{stubs}/xcode-select",
        "/tmp/.com.apple": f"{mac_.root}/.com.apple",
        f"CLT={CLT}\n": f"CLT={mac_.clt}\n",
    }.items():
        assert real in script, real
        script = script.replace(real, fake)
    for name, value in settings.items():
        script, count = re.subn(rf"^{name}=\S+$", f"{name}={value}", script, flags=re.M)
        assert count == 1, name
    return script


# macOS's /usr/bin/awk is the one-true-awk (BWK awk), Debian's `original-awk`; the label
# program must work there, not only in the mawk/gawk that Linux has as `awk`.
@pytest.mark.parametrize(
    ("seed", "awk"), [(0, "original-awk"), (1, "original-awk"), (2, "awk"), (3, "awk")]
)
def test_the_newest_label_by_version_is_installed_whatever_the_order(
    fake_mac: Mac, seed: int, awk: str
) -> None:
    entries = ENTRIES[:]
    random.Random(seed).shuffle(entries)
    (fake_mac.root / "listing.txt").write_text(HEADER + "".join(entries))
    done = fake_mac.run(_script(fake_mac), awk=awk)
    assert done.returncode == 0, done.stderr
    assert fake_mac.calls() == [
        "softwareupdate -l",
        f"softwareupdate -i {NEWEST}",  # not the beta, not 16.4
        f"xcode-select --switch {fake_mac.clt}",
        "xcode-select -p",
    ]
    assert not list(fake_mac.root.glob(".com.apple*"))  # the placeholder is removed


def test_a_beta_is_installed_only_when_nothing_else_is_offered(fake_mac: Mac) -> None:
    beta = "Command Line Tools beta 2 for Xcode 27.0-27.0"
    (fake_mac.root / "listing.txt").write_text(HEADER + ENTRIES[3] + ENTRIES[4])
    assert fake_mac.run(_script(fake_mac)).returncode == 0
    assert f"softwareupdate -i {beta}" in fake_mac.calls()


def test_done_needs_git_not_only_xcode_select(fake_mac: Mac, tmp_path: Path) -> None:
    """After a macOS upgrade `xcode-select -p` can pass on a broken install."""
    checks = _step(tmp_path / "home").checks
    assert [type(c) for c in checks] == [CommandCheck, PathExistsCheck]
    assert isinstance(checks[0], CommandCheck) and checks[0].argv == ("/usr/bin/xcode-select", "-p")
    assert isinstance(checks[1], PathExistsCheck) and checks[1].path == f"{CLT}/usr/bin/git"

    moved = (
        CommandCheck((str(fake_mac.root / "stubs" / "xcode-select"), "-p")),
        PathExistsCheck(str(fake_mac.clt / "usr" / "bin" / "git")),
    )
    step = dataclasses.replace(
        _step(tmp_path / "home"), checks=moved, action=CommandAction(("true",)), sudo=None
    )

    def outcome() -> Status:
        result = run(plan(step), mac(), tmp_path, dry_run=True)
        return result.outcomes[0].status

    (fake_mac.root / "selected").touch()  # -p passes ...
    assert outcome() is Status.NOT_RUN  # ... but git is missing: it would install
    (fake_mac.clt / "usr" / "bin").mkdir(parents=True)
    (fake_mac.clt / "usr" / "bin" / "git").touch()
    assert outcome() is Status.SKIPPED


def test_an_install_that_leaves_no_git_fails_and_says_what_to_do(fake_mac: Mac) -> None:
    (fake_mac.root / "listing.txt").write_text(HEADER + ENTRIES[0])
    (fake_mac.root / "broken-install").touch()
    done = fake_mac.run(_script(fake_mac))
    assert done.returncode == 1
    assert "git is missing" in done.stderr
    assert APPLE_DOWNLOADS in done.stderr.splitlines()[-1]


def test_a_hanging_softwareupdate_list_is_cut_off_and_explained(fake_mac: Mac) -> None:
    (fake_mac.root / "hang").touch()
    started = time.monotonic()
    done = fake_mac.run(_script(fake_mac, LIST_SECONDS="2"), timeout=30)
    elapsed = time.monotonic() - started
    assert done.returncode == 1
    assert elapsed < 15, elapsed  # cut off after 2 s, not the stub's 600 s
    assert "softwareupdate -l timed out" in done.stderr
    assert "no answer within 2 s" in done.stderr
    assert APPLE_DOWNLOADS in done.stderr
    assert not any(c.startswith("softwareupdate -i") for c in fake_mac.calls())
    # The runner reads "timed out" as a timeout, with its advice about the connection.
    assert category_for_exit(1, done.stdout + done.stderr) is ErrorCategory.TIMEOUT
    assert not list(fake_mac.root.glob(".com.apple*"))
    lister = int((fake_mac.root / "lister.pid").read_text())
    with pytest.raises(ProcessLookupError):  # the hung lister was killed, not left behind
        os.kill(lister, 0)


def test_no_label_offered_gives_plain_steps_without_a_terminal(fake_mac: Mac) -> None:
    """macOS 26.1 (Homebrew/install issue 1090): Software Update offers no Command Line Tools."""
    (fake_mac.root / "listing.txt").write_text(
        "Software Update Tool\n\nFinding available software\nNo new software available.\n"
    )
    done = fake_mac.run(_script(fake_mac))
    assert done.returncode == 1
    assert "Software Update offers no Command Line Tools for this Mac." in done.stderr
    assert 'Search for "Command Line Tools"' in done.stderr
    last = done.stderr.strip().splitlines()[-1]  # what the run's summary shows
    assert last == (
        f'Get the Command Line Tools from {APPLE_DOWNLOADS} (search "Command Line Tools", '
        "open the .dmg and run its installer), then run this installer again."
    )
    assert fake_mac.calls() == ["softwareupdate -l"]  # no GUI without a person at the screen


def test_install_sh_picks_the_label_with_the_same_program() -> None:
    """install.sh cannot load recipes: it carries its own copy of the label program."""

    def block(text: str) -> list[str]:
        start = text.index("# >>> newest Command Line Tools label")
        end = text.index("# <<< newest Command Line Tools label")
        lines = [line.strip() for line in text[start:end].splitlines()[1:]]
        first = next(i for i, line in enumerate(lines) if "awk '" in line) + 1
        last = next(i for i, line in enumerate(lines) if line.startswith("'"))
        return lines[first:last]

    action = _step(Path("/Users/student")).action
    assert isinstance(action, ShellAction)
    recipe_program = block(action.script)
    assert len(recipe_program) > 10
    assert block((ROOT / "install.sh").read_text()) == recipe_program
