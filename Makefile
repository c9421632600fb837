# The two commands: `make demo` and `make test`. Each builds its own .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck check bench clean

# setup.py and the C sources too: an edit recompiles the accelerators
$(STAMP): pyproject.toml setup.py src/saksi/audit/_accel.c src/saksi/ingest/_fast.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/saksi demo

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/saksi bench election

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
	rm -f src/saksi/audit/_accel*.so src/saksi/audit/_accel*.pyd
	rm -f src/saksi/ingest/_fast*.so src/saksi/ingest/_fast*.pyd
