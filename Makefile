# make run   - set up (virtual env from uv.lock) and clean seeds/ into data/clean/
# make test  - set up and run the whole test suite
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Prefect: state inside the project, no telemetry, patient start-up on a busy 2-core machine
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 60

.PHONY: setup prose run test ui screenshot lint format clean

setup: $(VENV)/.synced $(VENV)/.kernels

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: every process (each worker, each run) otherwise compiles its ~1,400 modules
# from source where bytecode is not written (PYTHONDONTWRITEBYTECODE): seconds per worker.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode
	@touch $@

# numba's kernels compiled into their cache once (flows/precompile.py), not by every worker
# of the first run at once; again when a file that holds one changes
KERNEL_SOURCES := $(shell grep -l '@njit' cleaners/*.py cleaners/*/*.py)
$(VENV)/.kernels: $(VENV)/.synced $(KERNEL_SOURCES)
	$(BIN)/python -m flows.precompile
	@touch $@

# Debian's prose packages that ../shared/bench/gen_corpus.py reads (tests and bench/ generate
# corpora with it); installed when missing and apt-get can (root), else say what to install.
PROSE_PACKAGES := r-cran-janeaustenr debian-handbook
prose:
	@if dpkg -s $(PROSE_PACKAGES) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $(PROSE_PACKAGES) >/dev/null; \
	else echo "generated-corpus tests and bench/ need: apt-get install $(PROSE_PACKAGES)"; fi

run: setup
	$(BIN)/clean-corpus run seeds --out data/clean

ui: setup
	$(BIN)/clean-corpus ui

screenshot: setup
	$(BIN)/python docs/make_screenshot.py

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(TOOLS) .prefect data/clean .pytest_cache .ruff_cache
