# image-pipeline: every command a newcomer or CI needs. Each target creates the virtualenv it uses.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python3.12) \
            $(shell command -v python3.12 2>/dev/null))
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

ARCH ?= $(shell uname -m | sed 's/aarch64/arm64/')
STACK ?= dev
IMAGES ?=
UPLOADS ?=
PREFIX ?=

.PHONY: help venv test lint format demo layer bench loadtest hostile smoke backfill clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Two pip runs: the layer's file is hash-checked (--require-hashes), the others are not.
$(STAMP): layer/requirements.txt requirements.txt requirements-dev.txt requirements-bench.txt .python-version
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_VERSION) not found: install it (pyenv install $(PYTHON_VERSION))" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r layer/requirements.txt
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

demo: $(STAMP) ## Run the whole pipeline locally on the demo images (IMAGES="a.jpg b.png" adds yours)
	$(PY) -m local.demo $(IMAGES)

layer: $(STAMP) ## Build the function's layer (Pillow, AWS SDK) for ARCH (x86_64 or arm64)
	$(PY) -m layer.build --arch $(ARCH)

bench: $(STAMP) ## Benchmark the handler against a tutorial handler, libvips and sharp (npm)
	$(PY) -m bench

loadtest: $(STAMP) ## Burst of uploads through the local pipeline with S3 faults, reconciled (UPLOADS=2000)
	$(PY) -m loadtest $(if $(UPLOADS),--uploads $(UPLOADS))

MEMORY ?= 1024
hostile: $(STAMP) ## Run the hostile-input harness: peak RSS, CPU and outcome per case (MEMORY=1024)
	$(PY) -m hostile --memory $(MEMORY)

smoke: $(STAMP) ## Smoke-test a deployed stack from its outputs (STACK=dev)
	$(PY) -m ops.smoke_test --stack $(STACK)

backfill: $(STAMP) ## Reprocess a stack's uploads (STACK=dev PREFIX=...)
	$(PY) -m ops.backfill --stack $(STACK) $(if $(PREFIX),--prefix $(PREFIX))

clean: ## Remove the virtualenv, caches and demo output
	rm -rf $(VENV) out .cache .pytest_cache .ruff_cache
