"""Once through install.sh, as a student starts it: a Terminal under Rosetta on an
Apple-silicon Mac without the Command Line Tools. install.sh installs them headless
(softwareupdate through sudo), fetches and verifies the zipapp, and runs it natively with
/usr/bin/python3, which installs the default profile."""

from __future__ import annotations

import json

import pytest

from tests.sandbox.conftest import MacFactory
from tests.sandbox.harness import SUPPORT
from tests.sandbox.mac import MacModel
from tests.sandbox.test_profiles import statuses
from tests.sandbox.upstream import add_dtu_install_release

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_install_sh_under_rosetta_without_command_line_tools(make_mac: MacFactory) -> None:
    with make_mac(MacModel(arch="arm64", rosetta=True, clt="missing")) as box:
        base = add_dtu_install_release(box.server, (box.support / "dtu-install.pyz").read_bytes())
        env = {"DTU_INSTALL_BASE_URL": base}
        argv = ["/bin/zsh", f"{SUPPORT}/install.sh", "run", "default", "--yes", "--json", "--test"]
        done = box.sandbox.run(argv, box.env(env), timeout=240)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "this Terminal runs under Rosetta" in done.stdout
        result = json.loads(done.stdout[done.stdout.index("\n{") + 1 :])
        # install.sh put the Command Line Tools there, so the profile finds them done.
        assert statuses(result) == {
            s: "skipped" if s in ("xcode_clt_install", "miniforge_config_usage") else "success"
            for s in box.steps("default")
        }
        sudo_log = box.sandbox.host_path("/Library/Logs/sandbox-sudo.log").read_text()
        assert "-n softwareupdate -i Command Line Tools for Xcode 26.1-26.1" in sudo_log
        assert box.doctor("default")["ok"] is True
        # Run natively: the facts (and so the events) say arm64, not translated.
        rows = box.collector.rows("name, os, arch")
        assert sorted(r[0] for r in rows) == sorted(box.steps("default"))
        assert {(r[1], r[2]) for r in rows} == {("Darwin15.1", "arm64")}


def test_install_sh_when_software_update_offers_no_command_line_tools(
    make_mac: MacFactory,
) -> None:
    """macOS 26.1 where Software Update lists no Command Line Tools (Homebrew/install issue
    1090): install.sh stops before downloading anything and says how to get them by hand."""
    with make_mac(MacModel(arch="arm64", macos="26.1", clt="none_offered")) as box:
        base = add_dtu_install_release(box.server, (box.support / "dtu-install.pyz").read_bytes())
        argv = ["/bin/sh", f"{SUPPORT}/install.sh", "run", "default", "--yes"]
        done = box.sandbox.run(argv, box.env({"DTU_INSTALL_BASE_URL": base}), timeout=120)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Software Update offers no Command Line Tools for this Mac." in done.stderr
        assert "https://developer.apple.com/download/all/" in done.stdout + done.stderr
        assert (
            box.server.hits(
                "/github.com/dtudk/dtu-install/releases/latest/download/dtu-install.pyz"
            )
            == 0
        )
        assert not box.sandbox.host_path("/Library/Developer/CommandLineTools").exists()
