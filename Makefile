# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-all bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first and pinned: an unpinned resolve would pull a multi-GB CUDA wheel.
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev,ray]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/archsim pareto --preset quick --out reports/quick

# the fast tier: lint, formatting, types and every test not marked slow (a few minutes)
test: $(STAMP)
	$(BIN)/ruff check archsim tests benchmarks
	$(BIN)/ruff format --check archsim tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

# everything: the fast tier, then the slow tests (CI runs this)
test-all: test
	$(BIN)/python -m pytest -m slow

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
