"""A conda network failure in the Mac sandbox (`default`, Apple silicon): conda's own words
make it a network_error (issue 19 item 9), with the network advice in the summary."""

from __future__ import annotations

import re

import pytest

from tests.sandbox.conftest import MacFactory
from tests.sandbox.mac import MacModel
from tests.sandbox.test_faults import step

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_conda_network_error(make_mac: MacFactory) -> None:
    """`conda install` cannot reach its channel and says so in conda's words (CondaHTTPError
    ... CONNECTION FAILED): network_error, and the summary names the step and says what to do."""
    with make_mac(MacModel()) as box:
        # Fewer seconds between the step's attempts; everything else is the real recipe.
        python_yaml = box.support / "recipes" / "python.yaml"
        text = python_yaml.read_text()
        python_yaml.write_text(re.sub(r"backoff: \d+", "backoff: 0.2", text))
        box.server.files["/conda.anaconda.org/conda-forge/osx-arm64/repodata.json"].script = [
            "drop:0"
        ]
        code, result, err = box.run_profile("default")
        assert code == 1
        failed = step(result, "python_install")
        assert (failed["status"], failed["error_category"]) == ("failed", "network_error")
        assert "python_install failed (network_error)" in err
        assert "Check your internet connection" in err
        log = box.sandbox.host_path(result["log"]).read_text()
        assert "CondaHTTPError: HTTP 000 CONNECTION FAILED for url" in log
        rows = box.collector.rows("name, success, error")
        assert ("python_install_network_error", 0, "network_error") in rows
