# Two commands do everything on a fresh machine:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup system-packages run test test-fast eval models clean

setup: $(STAMP)

# torch is pinned (constraints.txt): an unpinned torch pulls gigabytes of CUDA packages.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/digital-employee models prepare
	touch $(STAMP)

run: setup
	$(BIN)/digital-employee serve

# Debian packages the tests drive for real (a PostgreSQL server); installed only when missing.
system-packages:
	bash scripts/ci-system-packages.sh

test: setup system-packages
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

eval: setup
	$(BIN)/digital-employee eval run --out data/evals/demo

models: setup
	$(BIN)/digital-employee models check

clean:
	rm -rf $(VENV) data/kb data/evals
