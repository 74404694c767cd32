# The README's two commands: `make up` (set up and start the lab) and `make test`.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: up test setup lint down bench

up: setup
	$(VENV)/bin/lab up

test: setup lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check lab services tests bench load
	$(VENV)/bin/mypy

down: setup
	$(VENV)/bin/lab down

bench: setup
	$(VENV)/bin/python bench/fleet.py

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)
