# Two entry points: `make eval` (the main job) and `make test` (the tests).
# Both create the virtual environment on first use, with the `inspect` extra (the Inspect task
# and its tests, tests/test_inspect_task.py, need it; `pip install -e .` alone leaves it out).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: eval test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[inspect]'
	touch $(STAMP)

eval: $(STAMP)
	$(BIN)/skill-eval eval

test: $(STAMP)
	$(BIN)/ruff check harness tests benchmarks
	$(BIN)/ruff format --check harness tests benchmarks skill references
	$(BIN)/mypy
	$(BIN)/python -m pytest -q
	$(BIN)/skill-eval validate -j 2 --incremental

clean:
	rm -rf $(VENV) dist .pytest_cache .mypy_cache
