# image-pipeline: every command a newcomer or CI needs. Each target creates the virtualenv it uses.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python3.12) \
            $(shell command -v python3.12 2>/dev/null))
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The demo's own, smaller set is installed first (requirements-demo.txt), so `make demo` on a fresh
# clone starts without waiting for Pulumi, the linters and the benchmark's libvips.
DEMO_STAMP := $(VENV)/.installed-demo

ARCH ?= $(shell uname -m | sed 's/aarch64/arm64/')
STACK ?= dev
# IMAGES reaches the demo through the environment and is split like a shell command line there,
# so quoted paths with spaces survive: make demo IMAGES="'~/my photo.jpg' ~/Pictures".
IMAGES ?=
export IMAGES
UPLOADS ?=
PREFIX ?=
# An outputs JSON file for smoke/backfill instead of asking the Pulumi CLI for STACK's.
OUTPUTS ?=
QUICK ?=
STACK_SOURCE = $(if $(OUTPUTS),--outputs "$(OUTPUTS)",--stack "$(STACK)")

.PHONY: help venv test lint format demo layer bench bench-quick loadtest hostile smoke backfill clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# The demo step creates .venv without pip and installs with the interpreter's own pip when it has
# one (ensurepip's copy and byte-compiling moto would double the wait); the full step then adds
# pip to .venv, which Pulumi's toolchain uses. The layer's file is hash-checked, the demo's not.
$(DEMO_STAMP): layer/requirements.txt requirements-demo.txt .python-version
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_VERSION) not found: install it (pyenv install $(PYTHON_VERSION))" >&2; exit 1; }
	if $(PYTHON) -m pip --version >/dev/null 2>&1; then \
	  $(PYTHON) -m venv --without-pip $(VENV) && pip="$(PYTHON) -m pip --python $(PY)"; \
	else \
	  $(PYTHON) -m venv $(VENV) && pip="$(PY) -m pip"; \
	fi && \
	$$pip install --quiet --no-compile --require-hashes -r layer/requirements.txt && \
	$$pip install --quiet --no-compile -r requirements-demo.txt
	touch $@

$(STAMP): $(DEMO_STAMP) requirements.txt requirements-dev.txt requirements-bench.txt
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --default-pip >/dev/null
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(STAMP) ## Create the virtualenv with the pinned dependencies

test: $(STAMP) ## Run the whole test suite (installs nothing outside .venv)
	$(PY) -m pytest

lint: $(STAMP) ## Lint and check formatting with ruff, audit the CI workflow with zizmor
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/zizmor --offline .github/workflows

format: $(STAMP) ## Format and fix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo: $(DEMO_STAMP) ## Run the whole pipeline locally on the demo images (IMAGES="a.jpg 'my photo.png'" adds yours)
	$(PY) -m local.demo --images "$$IMAGES"

layer: $(STAMP) ## Build the function's layer (Pillow, AWS SDK) for ARCH (x86_64 or arm64)
	$(PY) -m layer.build --arch $(ARCH)

bench: $(STAMP) ## Benchmark the handler against a tutorial handler, libvips and sharp (QUICK=1: 3 photos, 1 run)
	$(PY) -m bench $(if $(QUICK),--quick)

bench-quick: $(STAMP) ## The benchmark's quick mode: 3 photos, 1 run, no runs by cores
	$(PY) -m bench --quick

loadtest: $(STAMP) ## Burst of uploads through the local pipeline with S3 faults, reconciled (UPLOADS=2000)
	$(PY) -m loadtest $(if $(UPLOADS),--uploads $(UPLOADS))

MEMORY ?= 1024
hostile: $(STAMP) ## Run the hostile-input harness: peak RSS, CPU and outcome per case (MEMORY=1024)
	$(PY) -m hostile --memory $(MEMORY)

smoke: $(STAMP) ## Smoke-test a deployed stack from its outputs (STACK=dev, or OUTPUTS=file.json)
	$(PY) -m ops.smoke_test $(STACK_SOURCE)

backfill: $(STAMP) ## Reprocess a stack's uploads (STACK=dev or OUTPUTS=file.json, PREFIX=...)
	$(PY) -m ops.backfill $(STACK_SOURCE) $(if $(PREFIX),--prefix "$(PREFIX)")

clean: ## Remove the virtualenv, caches and demo output
	rm -rf $(VENV) out .cache .pytest_cache .ruff_cache
